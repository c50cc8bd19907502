package passkey

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// ChallengeLifetime is how long a ceremony waits for the authenticator: the
// timeout the browser is given, and the life of the challenge in the
// database.
const ChallengeLifetime = 5 * time.Minute

// ErrIPIssuer: the issuer's host is an IP address, which cannot be a
// WebAuthn relying party id (WebAuthn §5.1.3: an RP ID is a valid domain
// string), so passkeys are off.
var ErrIPIssuer = errors.New("passkey: the issuer's host is an IP address; passkeys need a domain name")

// RelyingParty is who the ceremonies run as (WebAuthn §4 "Relying Party").
//
// Its id is the issuer's host, without port: a passkey is bound to it by the
// authenticator and works only for that id and its subdomains' pages that
// claim it. Changing the issuer's host therefore orphans every passkey
// registered before: browsers no longer offer them, and people sign in with
// their password (and register new passkeys). Its origin is the issuer's
// origin (scheme, host, port), the only page origin whose ceremonies count.
type RelyingParty struct {
	ID      string
	Origins []string
	idHash  [32]byte
	wa      *webauthn.WebAuthn
}

// NewRelyingParty is the relying party of issuer: its host as the RP id,
// its origin as the one allowed origin. ErrIPIssuer for an IP address.
func NewRelyingParty(issuer string) (*RelyingParty, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("passkey: issuer %q is not an http(s) URL", issuer)
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return nil, ErrIPIssuer
	}
	origin := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          host,
		RPDisplayName: host,
		RPOrigins:     []string{origin},
		// Attestation "none": we trust no vendor's certificate and keep no
		// statement (WebAuthn §5.4.7).
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			RequireResidentKey: protocol.ResidentKeyRequired(),
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			UserVerification:   protocol.VerificationRequired,
		},
		// The challenge's own expiry in the database is what counts (by
		// the provider's clock); the browser gets the same timeout.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: ChallengeLifetime, TimeoutUVD: ChallengeLifetime},
			Registration: webauthn.TimeoutConfig{Timeout: ChallengeLifetime, TimeoutUVD: ChallengeLifetime},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: relying party: %w", err)
	}
	return &RelyingParty{ID: host, Origins: []string{origin}, idHash: sha256.Sum256([]byte(host)), wa: wa}, nil
}

package tokens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ory/fosite/token/jwt"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
)

// ErrInvalidIDTokenHint is returned (wrapped) by VerifyIDTokenHint.
var ErrInvalidIDTokenHint = errors.New("oauth: invalid id_token_hint")

// IDTokenHint is what an ID token presented as id_token_hint says.
type IDTokenHint struct {
	Subject string
	// SessionID is the sid claim: the browser session the token came from.
	SessionID string
	// ClientID is azp, or else the only audience.
	ClientID  string
	Audience  []string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Expired is set for a token past its exp, which is still accepted
	// (OIDC RP-Initiated Logout §2 expects hints to be expired).
	Expired bool
	// AMR is the token's amr claim: how the person signed in.
	AMR []string
}

// VerifyIDTokenHint checks an ID token this provider (issuer) issued: signed
// (RS256, ES256 or EdDSA) by a published key (also one rotated out of signing), the issuer, a
// subject, and not an access token. An expired token is accepted.
func (s *Signer) VerifyIDTokenHint(ctx context.Context, issuer, raw string) (IDTokenHint, error) {
	t, err := s.Decode(ctx, raw)
	var expired bool
	if err != nil {
		var ve *jwt.ValidationError
		if !errors.As(err, &ve) || ve.Errors&^jwt.ValidationErrorExpired != 0 {
			return IDTokenHint{}, fmt.Errorf("%w: %v", ErrInvalidIDTokenHint, err)
		}
		expired = true
	}
	// Our ID tokens are typ JWT. Access tokens (at+jwt) and back-channel
	// logout tokens (logout+jwt, with events) are signed by the same keys;
	// a logout token an RP received must not pass for a hint.
	if typ, _ := t.Header["typ"].(string); typ != "" && !strings.EqualFold(typ, "JWT") {
		return IDTokenHint{}, fmt.Errorf("%w: a %s token is not an ID token", ErrInvalidIDTokenHint, typ)
	}
	c := t.Claims
	if _, ok := c["events"]; ok {
		return IDTokenHint{}, fmt.Errorf("%w: a logout token is not an ID token", ErrInvalidIDTokenHint)
	}
	if iss, _ := c["iss"].(string); iss != issuer {
		return IDTokenHint{}, fmt.Errorf("%w: issuer %q is not this provider", ErrInvalidIDTokenHint, iss)
	}
	h := IDTokenHint{Expired: expired}
	h.Subject, _ = c["sub"].(string)
	if h.Subject == "" {
		return IDTokenHint{}, fmt.Errorf("%w: no subject", ErrInvalidIDTokenHint)
	}
	h.SessionID, _ = c[fositestore.ClaimSID].(string)
	switch aud := c["aud"].(type) {
	case string:
		h.Audience = []string{aud}
	case []any:
		for _, a := range aud {
			if s, ok := a.(string); ok {
				h.Audience = append(h.Audience, s)
			}
		}
	}
	if azp, _ := c["azp"].(string); azp != "" {
		h.ClientID = azp
	} else if len(h.Audience) == 1 {
		h.ClientID = h.Audience[0]
	}
	if amr, ok := c["amr"].([]any); ok {
		for _, m := range amr {
			if s, ok := m.(string); ok {
				h.AMR = append(h.AMR, s)
			}
		}
	}
	h.IssuedAt = unixClaim(c, "iat")
	h.ExpiresAt = unixClaim(c, "exp")
	return h, nil
}

func unixClaim(c jwt.MapClaims, name string) time.Time {
	switch v := c[name].(type) {
	case float64:
		return time.Unix(int64(v), 0).UTC()
	case int64:
		return time.Unix(v, 0).UTC()
	case interface{ Int64() (int64, error) }:
		if n, err := v.Int64(); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Time{}
}

// Package passkeytest is a software WebAuthn authenticator for tests: it
// answers navigator.credentials.create and get options the way a browser
// and a passkey provider do (attestation none, ES256, user verified), and
// lets a test change what it signs (origin, RP id, challenge, user handle,
// counter) to build the answers a server must refuse.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

var b64 = base64.RawURLEncoding

// Credential is one passkey the authenticator holds.
type Credential struct {
	ID         []byte
	Key        *ecdsa.PrivateKey
	RPID       string
	UserHandle []byte
	Counter    uint32
}

// Authenticator holds passkeys, as a platform authenticator with user
// verification does.
type Authenticator struct {
	// Origin is the page origin the browser reports in clientDataJSON.
	Origin      string
	Credentials []*Credential
	// AAGUID is reported at registration (zeros by default).
	AAGUID [16]byte
}

// New is an authenticator on pages of origin.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin} }

// Tweak changes one answer before it is signed.
type Tweak struct {
	// Origin, RPID and Challenge replace what the browser would report
	// and the authenticator would hash ("": as asked).
	Origin, RPID, Challenge string
	// UserHandle replaces the credential's user handle (nil: as stored).
	UserHandle []byte
	// Counter, when set, is the signature counter reported (else it
	// advances by one).
	Counter *uint32
	// NoUserVerification clears the UV flag.
	NoUserVerification bool
}

type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

func parseOptions(opts any) (options, error) {
	var o options
	raw, err := json.Marshal(opts)
	if err == nil {
		if r, ok := opts.(json.RawMessage); ok {
			raw = r
		} else if b, ok := opts.([]byte); ok {
			raw = b
		}
		err = json.Unmarshal(raw, &o)
	}
	return o, err
}

func (a *Authenticator) clientData(typ, challenge string, t Tweak) []byte {
	origin := a.Origin
	if t.Origin != "" {
		origin = t.Origin
	}
	if t.Challenge != "" {
		challenge = t.Challenge
	}
	cd, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return cd
}

func flags(t Tweak) byte {
	f := byte(0x01) // user present
	if !t.NoUserVerification {
		f |= 0x04
	}
	return f
}

// Create answers creation options (the JSON the server sent, or a value
// that marshals to it) with a new passkey and returns the credential JSON a
// browser posts back.
func (a *Authenticator) Create(opts any, t Tweak) ([]byte, *Credential, error) {
	o, err := parseOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("passkeytest: user id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	c := &Credential{ID: id, Key: key, RPID: o.PublicKey.RP.ID, UserHandle: handle}
	rpID := c.RPID
	if t.RPID != "" {
		rpID = t.RPID
	}
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, nil, err
	}
	point := pub.Bytes() // 0x04 || x || y
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: point[1:33], -3: point[33:65]})
	if err != nil {
		return nil, nil, err
	}
	rpHash := sha256.Sum256([]byte(rpID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, flags(t)|0x40) // attested credential data
	auth = binary.BigEndian.AppendUint32(auth, 0)
	auth = append(auth, a.AAGUID[:]...)
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(id)))
	auth = append(auth, id...)
	auth = append(auth, cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, nil, err
	}
	body, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge, t)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	a.Credentials = append(a.Credentials, c)
	return body, c, nil
}

// Get answers request options with credential c (nil: the first one held,
// or the first one the allow list names).
func (a *Authenticator) Get(opts any, c *Credential, t Tweak) ([]byte, error) {
	o, err := parseOptions(opts)
	if err != nil {
		return nil, err
	}
	if c == nil {
		for _, have := range a.Credentials {
			if c != nil {
				break
			}
			if len(o.PublicKey.AllowCredentials) == 0 {
				c = have
			}
			for _, allowed := range o.PublicKey.AllowCredentials {
				if allowed.ID == b64.EncodeToString(have.ID) {
					c = have
				}
			}
		}
	}
	if c == nil {
		return nil, fmt.Errorf("passkeytest: no credential for these options")
	}
	return a.Sign(c, o.PublicKey.Challenge, t)
}

// Sign makes an assertion of c over challenge (base64url), as Get does.
func (a *Authenticator) Sign(c *Credential, challenge string, t Tweak) ([]byte, error) {
	rpID := c.RPID
	if t.RPID != "" {
		rpID = t.RPID
	}
	if t.Counter != nil {
		c.Counter = *t.Counter
	} else {
		c.Counter++
	}
	rpHash := sha256.Sum256([]byte(rpID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, flags(t))
	auth = binary.BigEndian.AppendUint32(auth, c.Counter)
	cd := a.clientData("webauthn.get", challenge, t)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	handle := c.UserHandle
	if t.UserHandle != nil {
		handle = t.UserHandle
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(handle),
		},
	})
}

// Challenge is the challenge (base64url) in options.
func Challenge(opts any) string {
	o, _ := parseOptions(opts)
	return o.PublicKey.Challenge
}

package backchannel

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/provider/randtoken"
)

// Back-Channel Logout 1.0 §2.4.
const (
	// EventLogout is the events member that marks a logout token.
	EventLogout = "http://schemas.openid.net/event/backchannel-logout"
	// TokenType is the JWT typ header of a logout token (explicit typing,
	// §2.4 and RFC 8725 §3.11), so it cannot pass for an ID token.
	TokenType = "logout+jwt"
	// TokenLifetime keeps logout tokens short-lived: they are delivered
	// at once, and a fresh one is signed for each retry.
	TokenLifetime = 2 * time.Minute
)

// logoutToken signs a logout token for one client. It carries no nonce
// (§2.4 forbids it, so it cannot be replayed as an ID token).
func (n *Notifier) logoutToken(ctx context.Context, clientID, userID, sessionID string) (string, error) {
	kid, key, err := n.Signer.Signing(ctx)
	if err != nil {
		return "", fmt.Errorf("signing key: %w", err)
	}
	now := n.now()
	claims := map[string]any{
		"iss":    n.Issuer,
		"aud":    clientID,
		"iat":    now.Unix(),
		"exp":    now.Add(TokenLifetime).Unix(),
		"jti":    randtoken.ID(),
		"events": map[string]any{EventLogout: struct{}{}},
	}
	// §2.4: sub, sid or both. The sid is sent to every client, not only to
	// those that set backchannel_logout_session_required: a client that
	// does not need it ignores it, one that does can end exactly the
	// session it opened.
	if userID != "" {
		claims["sub"] = userID
	}
	if sessionID != "" {
		claims["sid"] = sessionID
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType(TokenType),
	)
	if err != nil {
		return "", fmt.Errorf("signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return jws.CompactSerialize()
}

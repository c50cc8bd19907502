package dcr

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// TokenStore keeps initial access tokens.
type TokenStore interface {
	CreateInitialAccessToken(ctx context.Context, t storage.InitialAccessToken) error
	ListInitialAccessTokens(ctx context.Context) ([]storage.InitialAccessToken, error)
	DeleteInitialAccessToken(ctx context.Context, tokenHash []byte) error
}

// TokenID names an initial access token in listings and to revoke it: the
// first 8 bytes of its SHA-256 in hex. It tells tokens apart and cannot be
// used to register anything.
func TokenID(t storage.InitialAccessToken) string {
	return hex.EncodeToString(t.TokenHash[:min(8, len(t.TokenHash))])
}

// minIDPrefix is the shortest id prefix RevokeInitialAccessToken accepts,
// so that a typo does not end some other token.
const minIDPrefix = 6

// Errors of a token id that names no single token: the caller's to
// correct, so their messages are for them.
var (
	ErrAmbiguousToken = fault.Sentinel(fault.Invalid, "The id matches more than one initial access token; give more of it.")
	ErrShortTokenID   = fault.Sentinel(fault.Invalid, fmt.Sprintf("Give at least %d characters of the token id.", minIDPrefix))
)

// RevokeInitialAccessToken ends at once the one token whose TokenID starts
// with id (at least six hex digits), for a token that leaked or was made
// without an expiry. storage.ErrNotFound when none matches.
func RevokeInitialAccessToken(ctx context.Context, st TokenStore, id string) (storage.InitialAccessToken, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < minIDPrefix {
		return storage.InitialAccessToken{}, ErrShortTokenID
	}
	all, err := st.ListInitialAccessTokens(ctx)
	if err != nil {
		return storage.InitialAccessToken{}, fmt.Errorf("revoke initial access token: %w", err)
	}
	var found []storage.InitialAccessToken
	for _, t := range all {
		if strings.HasPrefix(TokenID(t), id) {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return storage.InitialAccessToken{}, fmt.Errorf("revoke initial access token %s: %w", id, storage.ErrNotFound)
	case 1:
	default:
		return storage.InitialAccessToken{}, ErrAmbiguousToken
	}
	if err := st.DeleteInitialAccessToken(ctx, found[0].TokenHash); err != nil {
		return storage.InitialAccessToken{}, fmt.Errorf("revoke initial access token %s: %w", id, err)
	}
	return found[0], nil
}

// NewInitialAccessToken creates a token that registers clients until it
// expires (lifetime 0: never), and returns it in the clear, the only time
// it exists outside the requester's hands, with the record stored for it.
// It may be used many times: an operator hands it to a developer or a
// deployment pipeline, and ends it by letting it expire or with
// RevokeInitialAccessToken.
func NewInitialAccessToken(ctx context.Context, st TokenStore, lifetime time.Duration, now time.Time) (string, storage.InitialAccessToken, error) {
	tok := randtoken.New()
	t := storage.InitialAccessToken{TokenHash: randtoken.Hash(tok), CreatedAt: now}
	if lifetime > 0 {
		t.ExpiresAt = now.Add(lifetime)
	}
	if err := st.CreateInitialAccessToken(ctx, t); err != nil {
		return "", storage.InitialAccessToken{}, fmt.Errorf("initial access token: %w", err)
	}
	return tok, t, nil
}

package dcr

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// TokenStore keeps initial access tokens.
type TokenStore interface {
	CreateInitialAccessToken(ctx context.Context, t storage.InitialAccessToken) error
}

// NewInitialAccessToken creates a token that registers clients until it
// expires (lifetime 0: never), and returns it in the clear, the only time
// it exists outside the requester's hands. It may be used many times: an
// operator hands it to a developer or a deployment pipeline, and ends it
// by letting it expire.
func NewInitialAccessToken(ctx context.Context, st TokenStore, lifetime time.Duration, now time.Time) (string, time.Time, error) {
	tok := randtoken.New()
	t := storage.InitialAccessToken{TokenHash: randtoken.Hash(tok), CreatedAt: now}
	if lifetime > 0 {
		t.ExpiresAt = now.Add(lifetime)
	}
	if err := st.CreateInitialAccessToken(ctx, t); err != nil {
		return "", time.Time{}, fmt.Errorf("initial access token: %w", err)
	}
	return tok, t.ExpiresAt, nil
}

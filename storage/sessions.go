package storage

import (
	"context"
	"time"
)

// Session is a signed-in browser. The cookie carries a random secret whose
// SHA-256 is TokenHash; ID is a separate public identifier used as the
// OpenID `sid` claim and on the account page.
type Session struct {
	ID        string
	TokenHash []byte
	UserID    string
	// OrgID is the active organization; empty when none.
	OrgID     string
	AuthTime  time.Time
	AMR       []string
	IP        string
	UserAgent string
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time
	// IdP is the connector the user signed in through (the ID token's
	// idp claim); empty for a local sign-in.
	IdP string
	// UpstreamIDToken is the upstream's ID token, kept to end the upstream
	// session on logout (id_token_hint); empty when not needed.
	UpstreamIDToken string
}

// SessionStore keeps browser sessions.
type SessionStore interface {
	// CreateSession returns ErrAlreadyExists on a taken id or token hash.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns ErrNotFound, also when the session expired before now.
	GetSession(ctx context.Context, id string, now time.Time) (Session, error)
	// GetSessionByTokenHash returns ErrNotFound, also when expired before now.
	GetSessionByTokenHash(ctx context.Context, tokenHash []byte, now time.Time) (Session, error)
	// ListSessionsByUser returns unexpired sessions, newest first.
	ListSessionsByUser(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// UpdateSession applies fn atomically. ErrNotFound.
	UpdateSession(ctx context.Context, id string, fn func(Session) (Session, error)) error
	// DeleteSession returns ErrNotFound.
	DeleteSession(ctx context.Context, id string) error
	// DeleteSessionsByUser removes every session of the user except the one
	// with id exceptID (empty: none excepted) and returns what it removed.
	DeleteSessionsByUser(ctx context.Context, userID, exceptID string) ([]Session, error)
	// DeleteExpiredSessions removes at most limit sessions expired before
	// now and returns how many it removed.
	DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int, error)
}

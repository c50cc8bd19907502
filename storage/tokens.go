package storage

import (
	"context"
	"time"
)

// TokenKind tells which fosite session a TokenRecord holds.
type TokenKind string

const (
	KindAuthorizeCode TokenKind = "authorize_code"
	KindAccessToken   TokenKind = "access_token"
	KindRefreshToken  TokenKind = "refresh_token"
	KindPKCE          TokenKind = "pkce"
	KindOIDC          TokenKind = "oidc"
)

// TokenRecord is one stored fosite request: everything needed to rebuild it.
// Signature is always a SHA-256 (hex) of the token's signature or of the raw
// code, never the secret itself.
type TokenRecord struct {
	Kind      TokenKind
	Signature string
	// RequestID is shared by a code, the tokens issued from it and every
	// refresh token of the same chain.
	RequestID   string
	RequestedAt time.Time
	ClientID    string
	Subject     string
	// SessionID is the browser session (sid) the grant came from, if any.
	SessionID string
	// OrgID is the organization the grant was made in, if any.
	OrgID            string
	Scopes           []string
	GrantedScopes    []string
	Audiences        []string
	GrantedAudiences []string
	// Form is the sanitized request form, URL-encoded.
	Form string
	// Session is the fosite session, JSON.
	Session   []byte
	Active    bool
	ExpiresAt time.Time
	// AccessSignature pairs a refresh token with its access token.
	AccessSignature string
	// FirstUsedAt is when a refresh token was rotated or a code redeemed.
	FirstUsedAt time.Time
	// FamilyExpiresAt caps a refresh chain's total lifetime; zero is no cap.
	FamilyExpiresAt time.Time
}

// TokenFilter selects token records for bulk revocation. Empty fields match
// anything, but at least one of Subject, SessionID, RequestID must be set.
type TokenFilter struct {
	Kinds     []TokenKind
	RequestID string
	Subject   string
	ClientID  string
	SessionID string
	OrgID     string
	// IssuedBefore matches records requested before it, when non-zero.
	IssuedBefore time.Time
}

// TokenStore keeps fosite's requests.
type TokenStore interface {
	// CreateToken returns ErrAlreadyExists on a taken (Kind, Signature).
	CreateToken(ctx context.Context, t TokenRecord) error
	// CreateTokens creates several records at once (one statement where the
	// backend allows): all of them, or none and ErrAlreadyExists when any
	// (Kind, Signature) is taken (in the caller's transaction: none once it
	// rolls back).
	CreateTokens(ctx context.Context, ts ...TokenRecord) error
	// GetToken returns the record whether active or not; ErrNotFound.
	GetToken(ctx context.Context, kind TokenKind, signature string) (TokenRecord, error)
	// DeleteToken returns ErrNotFound.
	DeleteToken(ctx context.Context, kind TokenKind, signature string) error
	// InvalidateToken flips an active record to inactive and sets
	// FirstUsedAt to now, as one conditional update: of many concurrent
	// callers exactly one succeeds. ErrNotFound; ErrInactive if it was
	// inactive already.
	InvalidateToken(ctx context.Context, kind TokenKind, signature string, now time.Time) error
	// RotateToken is InvalidateToken for a record paired with an access
	// token (a refresh token): in the same atomic step it also invalidates
	// the access token the record names (AccessSignature, if that one is
	// still active; FirstUsedAt now), and it returns the record as it is
	// after the update. Of many concurrent callers exactly one succeeds.
	// ErrNotFound; ErrInactive if it was inactive already.
	RotateToken(ctx context.Context, kind TokenKind, signature string, now time.Time) (TokenRecord, error)
	// DeactivateTokens marks every matching record inactive (rows are kept,
	// so reuse of a rotated refresh token is still detected) and returns how
	// many changed.
	DeactivateTokens(ctx context.Context, f TokenFilter) (int, error)
	// SessionClients returns the distinct client ids of records whose
	// SessionID is sessionID (the clients a browser session signed in to).
	SessionClients(ctx context.Context, sessionID string) ([]string, error)
	// DeleteTokensByRequestID removes every record of kind with that request.
	DeleteTokensByRequestID(ctx context.Context, kind TokenKind, requestID string) error
	// DeleteExpiredTokens removes at most limit records that expired before
	// now and returns how many.
	DeleteExpiredTokens(ctx context.Context, now time.Time, limit int) (int, error)
}

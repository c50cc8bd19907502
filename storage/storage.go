package storage

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them with context; callers test with errors.Is.
var (
	// ErrNotFound: no record with that key, or the record has expired where the
	// method says expired records count as absent.
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists: a record with that key (or unique field) exists already.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrConflict: a compare-and-swap lost a race, or the change would break an
	// invariant (for example, removing the last owner of an organization).
	ErrConflict = errors.New("storage: conflict")
	// ErrInactive: the record exists but was invalidated (a used code, a rotated
	// refresh token). Methods that return it say so.
	ErrInactive = errors.New("storage: inactive")
	// ErrUnavailable: the database could not serve the request now (not
	// reachable, shutting down or starting, refusing writes, out of
	// connections); the same request may succeed later. Any method may
	// return it. Callers answer 503 with Retry-After and log it; it says
	// nothing about the caller's input or credentials.
	ErrUnavailable = errors.New("storage: database unavailable")
)

// Store is every concern together: what a backend implements and what cmd/
// hands to the provider. Packages should accept the narrowest interface they
// use rather than Store.
type Store interface {
	ClientStore
	UserStore
	OrgStore
	SessionStore
	AuthRequestStore
	ConsentStore
	TokenStore
	KeyStore
	PATStore
	OneTimeTokenStore
	MailStore
	AuditStore
	ThrottleStore
	MFAStore
	RegistrationStore
	IdentityStore
	OrgSSOStore
	ConnectorStore
	CleanupStore
	LeaseStore
	Transactor

	// Ping reports whether the database answers and its migrations are current.
	Ping(ctx context.Context) error
	// Close releases the database handle.
	Close() error
}

// Transactor runs work in one database transaction carried in the context.
// Every Store method called with the returned context takes part in that
// transaction. The method set matches fosite's storage.Transactional so a
// store can be handed to fosite as it is.
type Transactor interface {
	// BeginTX starts a transaction and returns a context that carries it.
	// Calling it with a context that already carries one is an error.
	BeginTX(ctx context.Context) (context.Context, error)
	// Commit commits the transaction carried by ctx. Serialization failures
	// (PostgreSQL 40001/40P01, SQLite busy) are returned wrapping ErrConflict.
	Commit(ctx context.Context) error
	// Rollback abandons the transaction carried by ctx.
	Rollback(ctx context.Context) error
	// InTx runs fn in a transaction, committing when fn returns nil and rolling
	// back otherwise. A serialization failure retries fn a few times; after
	// that the error wraps ErrConflict. If ctx already carries a transaction fn
	// runs in it unchanged.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// ---------------------------------------------------------------------------
// OAuth clients

// Client is a registered OAuth 2.0 client.
type Client struct {
	ID string
	// SecretHash is the SHA-256 of the client secret; empty for public clients.
	SecretHash []byte
	Name       string
	// Public clients have no secret and authenticate with "none" + PKCE.
	Public bool
	// FirstParty clients skip the consent page.
	FirstParty bool
	// PKCEOptional lets a confidential client omit code_challenge (RFC 9700
	// §2.1.1 allows it for confidential clients that use nonce); one that
	// sends a challenge is still held to it. Public clients always need
	// PKCE whatever this says.
	PKCEOptional           bool
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	CORSOrigins            []string
	GrantTypes             []string
	ResponseTypes          []string
	Scopes                 []string
	Audiences              []string
	// TokenEndpointAuthMethod is client_secret_basic, client_secret_post,
	// private_key_jwt or none.
	TokenEndpointAuthMethod string
	// JWKS (a JSON Web Key Set document) or JWKSURI hold the client's public
	// keys for private_key_jwt.
	JWKS      []byte
	JWKSURI   string
	LogoURI   string
	PolicyURI string
	TOSURI    string
	// BackchannelLogoutURI receives OpenID Back-Channel Logout tokens.
	BackchannelLogoutURI             string
	BackchannelLogoutSessionRequired bool
	// OrgID binds the client to one organization: logins through it always
	// use that organization and skip the picker.
	OrgID string
	// Lifespans override the global defaults when non-zero.
	AccessTokenLifespan  time.Duration
	RefreshTokenLifespan time.Duration
	IDTokenLifespan      time.Duration
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// PKCERequired reports whether the client must send a code_challenge:
// always for a public client, otherwise unless PKCEOptional.
func (c Client) PKCERequired() bool { return c.Public || !c.PKCEOptional }

// ClientStore keeps OAuth clients.
type ClientStore interface {
	// CreateClient returns ErrAlreadyExists if the id is taken.
	CreateClient(ctx context.Context, c Client) error
	// GetClient returns ErrNotFound.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns every client ordered by creation time.
	ListClients(ctx context.Context) ([]Client, error)
	// UpdateClient applies fn to the stored client atomically. ErrNotFound;
	// any error from fn is returned unchanged and nothing is written.
	UpdateClient(ctx context.Context, id string, fn func(Client) (Client, error)) error
	// DeleteClient returns ErrNotFound.
	DeleteClient(ctx context.Context, id string) error
}

// ---------------------------------------------------------------------------
// People and organizations

// User is a person who signs in.
type User struct {
	ID string
	// Email is stored as given, compared case-insensitively; unique.
	Email string
	Name  string
	// PasswordHash is a PHC string (argon2id, or bcrypt from an import);
	// empty when the person has no password.
	PasswordHash  string
	EmailVerified bool
	Disabled      bool
	// Admin marks an instance administrator.
	Admin     bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserStore keeps people.
type UserStore interface {
	// CreateUser returns ErrAlreadyExists if the id or the email (ignoring
	// case) is taken.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns ErrNotFound.
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByEmail matches ignoring case; ErrNotFound.
	GetUserByEmail(ctx context.Context, email string) (User, error)
	// ListUsers returns every user ordered by creation time.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser applies fn atomically. ErrNotFound; ErrAlreadyExists if the
	// new email is taken; errors from fn are returned unchanged.
	UpdateUser(ctx context.Context, id string, fn func(User) (User, error)) error
	// DeleteUser removes the user and, by cascade, their memberships,
	// sessions, consents, personal access tokens and one-time tokens, and,
	// in the same transaction, the records of every OAuth token issued to
	// them (subject = id), which hold their claims. ErrNotFound.
	DeleteUser(ctx context.Context, id string) error
}

// Organization groups people; each member has a role in it.
type Organization struct {
	ID   string
	Name string
	// RequireMFA: members must have a second factor to sign in to this
	// organization.
	RequireMFA bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Membership is a person's role in one organization.
type Membership struct {
	OrgID  string
	UserID string
	Role   string
	// OrgName is filled in by reads for display and token claims.
	OrgName string
	// OrgRequireMFA is the organization's current RequireMFA, filled in by
	// reads so a refresh checks it without a second query.
	OrgRequireMFA bool
	CreatedAt     time.Time
}

// ClientWatcher is implemented by a store that can tell every process
// sharing it of client changes as they commit (PostgreSQL: LISTEN/NOTIFY).
// WatchClients calls changed with a client's id after each change, and with
// "" when changes may have been missed (a lost connection); it reconnects
// by itself and returns ctx's error when ctx ends.
type ClientWatcher interface {
	WatchClients(ctx context.Context, changed func(id string)) error
}

// OrgStore keeps organizations and memberships.
type OrgStore interface {
	// CreateOrg returns ErrAlreadyExists if the id or the name is taken.
	CreateOrg(ctx context.Context, o Organization) error
	// GetOrg returns ErrNotFound.
	GetOrg(ctx context.Context, id string) (Organization, error)
	// ListOrgs returns every organization ordered by name.
	ListOrgs(ctx context.Context) ([]Organization, error)
	// UpdateOrg applies fn atomically. ErrNotFound; ErrAlreadyExists on a
	// taken name.
	UpdateOrg(ctx context.Context, id string, fn func(Organization) (Organization, error)) error
	// DeleteOrg removes the organization and its memberships. ErrNotFound.
	DeleteOrg(ctx context.Context, id string) error

	// AddMembership returns ErrNotFound if the org or user does not exist,
	// ErrAlreadyExists if the person is a member already.
	AddMembership(ctx context.Context, m Membership) error
	// GetMembership returns ErrNotFound. OrgName and OrgRequireMFA are
	// filled in.
	GetMembership(ctx context.Context, orgID, userID string) (Membership, error)
	// ListMembershipsByUser returns the person's memberships ordered by
	// organization name, with OrgName and OrgRequireMFA filled in.
	ListMembershipsByUser(ctx context.Context, userID string) ([]Membership, error)
	// ListMembersByOrg returns the organization's memberships ordered by
	// creation time, with OrgName and OrgRequireMFA filled in.
	ListMembersByOrg(ctx context.Context, orgID string) ([]Membership, error)
	// UpdateMembershipRole changes the role. ErrNotFound.
	UpdateMembershipRole(ctx context.Context, orgID, userID, role string) error
	// DeleteMembership returns ErrNotFound.
	DeleteMembership(ctx context.Context, orgID, userID string) error

	// CreateOrgRole defines a custom role. ErrNotFound if the organization
	// does not exist; ErrAlreadyExists if it defines the role already.
	CreateOrgRole(ctx context.Context, r OrgRole) error
	// ListOrgRoles returns the organization's custom roles ordered by name.
	ListOrgRoles(ctx context.Context, orgID string) ([]OrgRole, error)
	// DeleteOrgRole removes a custom role. ErrNotFound; ErrConflict while a
	// member still holds it.
	DeleteOrgRole(ctx context.Context, orgID, name string) error
}

// OrgRole is a role an organization defines beyond the built-in owner,
// admin and member. It grants nothing inside Ostiary; applications read it
// from the org_role claim.
type OrgRole struct {
	OrgID       string
	Name        string
	Description string
	CreatedAt   time.Time
}

// ---------------------------------------------------------------------------
// Browser sessions and pending authorization requests

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
	// IdP is the connector the person signed in through (the ID token's
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

// AuthRequest is an authorization request parked while the person signs in,
// picks an organization or consents. Form is the request's parameters,
// URL-encoded. The pages record the person's decisions on it and send the
// browser back to the authorization endpoint, which decides what comes next.
type AuthRequest struct {
	ID       string
	ClientID string
	Form     string
	// SessionID is the browser session going through this request. The
	// decisions below count only while the same session presents it.
	SessionID string
	// LoginAt is when the person signed in during this request; it satisfies
	// prompt=login and max_age.
	LoginAt time.Time
	// OrgID is the organization chosen for this request.
	OrgID string
	// ConsentGiven: the person allowed the requested scopes.
	ConsentGiven bool
	// Denied: the person refused; the client gets access_denied.
	Denied    bool
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuthRequestStore keeps pending authorization requests.
type AuthRequestStore interface {
	// CreateAuthRequest returns ErrAlreadyExists.
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	// GetAuthRequest returns ErrNotFound, also when expired before now.
	GetAuthRequest(ctx context.Context, id string, now time.Time) (AuthRequest, error)
	// UpdateAuthRequest applies fn atomically. ErrNotFound.
	UpdateAuthRequest(ctx context.Context, id string, fn func(AuthRequest) (AuthRequest, error)) error
	// DeleteAuthRequest returns ErrNotFound.
	DeleteAuthRequest(ctx context.Context, id string) error
	// DeleteExpiredAuthRequests removes at most limit requests expired
	// before now and returns how many.
	DeleteExpiredAuthRequests(ctx context.Context, now time.Time, limit int) (int, error)
}

// Consent is a person's remembered grant of scopes to a third-party client.
type Consent struct {
	UserID    string
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConsentStore keeps remembered consents.
type ConsentStore interface {
	// PutConsent creates or replaces the consent for (UserID, ClientID).
	PutConsent(ctx context.Context, c Consent) error
	// GetConsent returns ErrNotFound.
	GetConsent(ctx context.Context, userID, clientID string) (Consent, error)
	// ListConsentsByUser returns the person's consents ordered by client id.
	ListConsentsByUser(ctx context.Context, userID string) ([]Consent, error)
	// DeleteConsent returns ErrNotFound.
	DeleteConsent(ctx context.Context, userID, clientID string) error
}

// ---------------------------------------------------------------------------
// OAuth token records

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

// ---------------------------------------------------------------------------
// Signing keys

// SigningKey is one RS256 key. PrivateKey is AEAD-encrypted by the caller;
// the store never sees it in the clear.
type SigningKey struct {
	ID        string
	Algorithm string
	// PublicJWK is the public key as a JWK, JSON.
	PublicJWK  []byte
	PrivateKey []byte
	CreatedAt  time.Time
	// ActiveFrom is when the key may start signing (published before then).
	ActiveFrom time.Time
	// RetiredAt is when another key took over signing; zero while current.
	RetiredAt time.Time
	// UnpublishAt is when the key leaves the JWKS: every token it signed
	// has expired. Zero while the key may still sign.
	UnpublishAt time.Time
}

// KeySet is the whole set of signing keys with a version for compare-and-swap.
type KeySet struct {
	Keys    []SigningKey
	Version int64
}

// KeyStore keeps the signing key set as one unit.
type KeyStore interface {
	// GetKeySet returns the current set; an empty set with Version 0 when
	// none was ever stored.
	GetKeySet(ctx context.Context) (KeySet, error)
	// UpdateKeySet reads the set, applies fn and writes the result only if
	// nobody wrote in between (Version is incremented by the store). A lost
	// race returns ErrConflict; errors from fn are returned unchanged.
	UpdateKeySet(ctx context.Context, fn func(KeySet) (KeySet, error)) error
}

// ---------------------------------------------------------------------------
// Personal access tokens

// PAT is a personal access token for scripts; only its SHA-256 is stored.
type PAT struct {
	ID        string
	UserID    string
	Name      string
	TokenHash []byte
	Scopes    []string
	CreatedAt time.Time
	// ExpiresAt zero means no expiry.
	ExpiresAt  time.Time
	LastUsedAt time.Time
	// AMR is the amr of the browser session that created the token: an
	// organization requiring a second factor wants "otp" in it.
	AMR []string
}

// PATStore keeps personal access tokens.
type PATStore interface {
	// CreatePAT returns ErrAlreadyExists.
	CreatePAT(ctx context.Context, p PAT) error
	// GetPATByHash returns ErrNotFound, also when expired before now.
	GetPATByHash(ctx context.Context, tokenHash []byte, now time.Time) (PAT, error)
	// ListPATsByUser returns the person's tokens, newest first.
	ListPATsByUser(ctx context.Context, userID string) ([]PAT, error)
	// TouchPAT records a use. ErrNotFound.
	TouchPAT(ctx context.Context, id string, now time.Time) error
	// DeletePAT removes the user's token. ErrNotFound (also when it belongs
	// to someone else).
	DeletePAT(ctx context.Context, userID, id string) error
}

// ---------------------------------------------------------------------------
// One-time email tokens

// OneTimeToken is an email verification, password reset or invitation token.
type OneTimeToken struct {
	TokenHash []byte
	// Purpose is e.g. "verify_email", "reset_password", "invite".
	Purpose string
	UserID  string
	Email   string
	// Data is purpose-specific JSON (an invitation's org and role).
	Data      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OneTimeTokenStore keeps one-time tokens.
type OneTimeTokenStore interface {
	// CreateOneTimeToken stores t and removes every earlier token of the same
	// Purpose and Email, so only the newest works.
	CreateOneTimeToken(ctx context.Context, t OneTimeToken) error
	// ConsumeOneTimeToken removes and returns the token in one step: of
	// concurrent callers one gets it. ErrNotFound when absent, of another
	// purpose, or expired before now.
	ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (OneTimeToken, error)
	// DeleteOneTimeTokensByUser removes every token of purpose issued to
	// userID (a password change cancels the pending reset links) and
	// returns how many there were.
	DeleteOneTimeTokensByUser(ctx context.Context, userID, purpose string) (int, error)
	// GetOneTimeToken returns the token without consuming it, so a page can
	// show what a link is for before the person acts on it. ErrNotFound as
	// for ConsumeOneTimeToken.
	GetOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (OneTimeToken, error)
}

// ---------------------------------------------------------------------------
// Mail outbox

// Mail is one message in the durable outbox.
type Mail struct {
	ID      string
	To      string
	Subject string
	// Body is the message body as provider/mail sealed it (its links are
	// live credentials, so it is never stored readable). Storage keeps it
	// opaque and drops it (nil) once the mail is sent or given up.
	Body          []byte
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	SentAt        time.Time
	// FailedAt is when the sender gave up on the mail; it is never claimed
	// again. Zero while it may still be sent.
	FailedAt  time.Time
	LastError string
}

// MailStore is the durable outbox.
type MailStore interface {
	// EnqueueMail returns ErrAlreadyExists.
	EnqueueMail(ctx context.Context, m Mail) error
	// ClaimMail leases up to limit unsent, not given up mails due at or before now, pushing
	// their NextAttemptAt to leaseUntil and counting an attempt, so that of
	// several replicas only one sends each mail.
	ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Mail, error)
	// MarkMailSent records delivery and drops the body. ErrNotFound.
	MarkMailSent(ctx context.Context, id string, now time.Time) error
	// MarkMailFailed records the error and when to try again. ErrNotFound.
	MarkMailFailed(ctx context.Context, id, lastError string, nextAttempt time.Time) error
	// GiveUpMail records the error and that the mail will never be sent:
	// ClaimMail no longer returns it, and its body is dropped. ErrNotFound.
	GiveUpMail(ctx context.Context, id, lastError string, now time.Time) error
	// ListMail returns the newest limit mails, sent or not.
	ListMail(ctx context.Context, limit int) ([]Mail, error)
}

// ---------------------------------------------------------------------------
// Audit

// AuditEvent is one security-relevant event.
type AuditEvent struct {
	ID   string
	Time time.Time
	// Type is e.g. "login.success", "token.revoked", "client.created".
	Type      string
	ActorID   string
	SubjectID string
	ClientID  string
	OrgID     string
	IP        string
	Details   map[string]string
}

// AuditFilter selects audit events; empty fields match anything.
type AuditFilter struct {
	Type      string
	ActorID   string
	SubjectID string
	Since     time.Time
	Until     time.Time
	// Limit caps the result (default 100, at most 1000).
	Limit int
	// BeforeID pages: only events older than the event with this id.
	BeforeID string
}

// AuditStore keeps audit events.
type AuditStore interface {
	// AppendAudit returns ErrAlreadyExists on a taken id.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// ListAudit returns matching events, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
}

// ---------------------------------------------------------------------------
// Throttling

// ThrottleStore counts attempts in fixed windows, shared by every replica.
type ThrottleStore interface {
	// Hit counts one attempt for key in the window that contains now (a new
	// window starts when the previous one has ended) and returns the count
	// including this one and when the window ends.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, resetAt time.Time, err error)
	// Peek returns the count of the current window without counting.
	Peek(ctx context.Context, key string, now time.Time) (count int, resetAt time.Time, err error)
	// Reset forgets key.
	Reset(ctx context.Context, key string) error
}

// ---------------------------------------------------------------------------
// Second factor (TOTP, RFC 6238)

// TOTPFactor is a person's authenticator-app secret.
type TOTPFactor struct {
	UserID string
	// Secret is the shared secret sealed (AEAD) by the caller; the store
	// never sees it in the clear.
	Secret []byte
	// ConfirmedAt is when a correct code activated the factor; zero while the
	// enrollment waits for its first code.
	ConfirmedAt time.Time
	// LastStep is the last TOTP time step whose code was accepted, so the
	// same code (or an older one) is never accepted twice.
	LastStep  int64
	CreatedAt time.Time
}

// MFAChallenge is a half-finished sign-in: the password was right and the
// second factor is still due. The browser holds a random secret whose
// SHA-256 is TokenHash.
type MFAChallenge struct {
	TokenHash []byte
	UserID    string
	// RequestID is the parked authorization request to resume, if any.
	RequestID string
	// ReturnTo is the local path to go to afterwards when there is no request.
	ReturnTo  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// MFAStore keeps second factors, recovery codes and pending second-factor
// challenges.
type MFAStore interface {
	// PutTOTP creates or replaces the person's factor (and so drops an
	// earlier one). ErrNotFound if the user does not exist.
	PutTOTP(ctx context.Context, f TOTPFactor) error
	// GetTOTP returns ErrNotFound.
	GetTOTP(ctx context.Context, userID string) (TOTPFactor, error)
	// UpdateTOTP applies fn atomically: of concurrent callers each sees the
	// other's write, so a step recorded by one is seen by the next.
	// ErrNotFound; errors from fn are returned unchanged and nothing changes.
	UpdateTOTP(ctx context.Context, userID string, fn func(TOTPFactor) (TOTPFactor, error)) error
	// DeleteTOTP removes the factor and every recovery code of the person.
	// ErrNotFound when there was no factor.
	DeleteTOTP(ctx context.Context, userID string) error

	// ReplaceRecoveryCodes drops the person's recovery codes and stores the
	// given SHA-256 hashes instead. ErrNotFound if the user does not exist.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte, now time.Time) error
	// UseRecoveryCode removes the code in one step, so of concurrent callers
	// one gets it. ErrNotFound when absent or used.
	UseRecoveryCode(ctx context.Context, userID string, hash []byte) error
	// CountRecoveryCodes returns how many unused codes the person has.
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)

	// CreateMFAChallenge stores c, and removes challenges that expired before
	// c.CreatedAt. ErrAlreadyExists on a taken hash; ErrNotFound if the user
	// does not exist.
	CreateMFAChallenge(ctx context.Context, c MFAChallenge) error
	// GetMFAChallenge returns ErrNotFound, also when expired before now.
	GetMFAChallenge(ctx context.Context, tokenHash []byte, now time.Time) (MFAChallenge, error)
	// DeleteMFAChallenge returns ErrNotFound, so of concurrent callers one
	// wins.
	DeleteMFAChallenge(ctx context.Context, tokenHash []byte) error
}

// ---------------------------------------------------------------------------
// Upstream identities (single sign-on)

// Identity links a person to an account at an upstream identity provider.
// Issuer and Subject name the upstream account; an email never does.
type Identity struct {
	ID          string
	UserID      string
	ConnectorID string
	Issuer      string
	Subject     string
	// Email is the upstream address when the identity was linked, for display.
	Email     string
	CreatedAt time.Time
}

// IdentityStore keeps linked upstream identities.
type IdentityStore interface {
	// CreateIdentity returns ErrAlreadyExists if the id or (Issuer, Subject)
	// is taken, ErrNotFound if the user does not exist.
	CreateIdentity(ctx context.Context, i Identity) error
	// GetIdentity finds the identity of an upstream account. ErrNotFound.
	GetIdentity(ctx context.Context, issuer, subject string) (Identity, error)
	// ListIdentitiesByUser returns the person's identities, oldest first.
	ListIdentitiesByUser(ctx context.Context, userID string) ([]Identity, error)
	// DeleteIdentity removes the person's identity id. ErrNotFound, also when
	// it belongs to someone else.
	DeleteIdentity(ctx context.Context, userID, id string) error
}

// OrgConnector is an organization's enterprise single sign-on: the
// connector its people sign in with and how they join.
type OrgConnector struct {
	OrgID       string
	ConnectorID string
	// DefaultRole is the role of a person who joins by signing in.
	DefaultRole string
	// ForbidPassword refuses password sign-in for addresses of the
	// organization's verified domains.
	ForbidPassword bool
	// GroupRoles maps an upstream group to a role in the organization.
	GroupRoles map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// OrgDomain is an email domain an organization claims. It counts only once
// verified (a DNS TXT record with Token, or an instance administrator).
type OrgDomain struct {
	// Domain is lowercase, without a trailing dot; unique across
	// organizations.
	Domain     string
	OrgID      string
	Token      string
	VerifiedAt time.Time
	CreatedAt  time.Time
}

// OrgSSOStore keeps organizations' single sign-on settings and domains.
type OrgSSOStore interface {
	// PutOrgConnector creates or replaces the organization's connector.
	// ErrNotFound if the organization does not exist.
	PutOrgConnector(ctx context.Context, c OrgConnector) error
	// GetOrgConnector returns ErrNotFound.
	GetOrgConnector(ctx context.Context, orgID string) (OrgConnector, error)
	// DeleteOrgConnector returns ErrNotFound.
	DeleteOrgConnector(ctx context.Context, orgID string) error

	// CreateOrgDomain returns ErrAlreadyExists if any organization claims
	// the domain, ErrNotFound if the organization does not exist.
	CreateOrgDomain(ctx context.Context, d OrgDomain) error
	// GetOrgDomain returns ErrNotFound.
	GetOrgDomain(ctx context.Context, domain string) (OrgDomain, error)
	// ListOrgDomains returns the organization's domains ordered by name.
	ListOrgDomains(ctx context.Context, orgID string) ([]OrgDomain, error)
	// VerifyOrgDomain marks the organization's domain verified at at.
	// ErrNotFound, also for another organization's domain.
	VerifyOrgDomain(ctx context.Context, orgID, domain string, at time.Time) error
	// DeleteOrgDomain returns ErrNotFound, also for another organization's.
	DeleteOrgDomain(ctx context.Context, orgID, domain string) error
}

// ConnectorRecord is an upstream connector added at run time. Config is its
// settings as JSON without the client secret, which is SealedSecret
// (AEAD-sealed; the provider holds the key).
type ConnectorRecord struct {
	ID           string
	Config       []byte
	SealedSecret []byte
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ConnectorStore keeps run-time connectors.
type ConnectorStore interface {
	// CreateConnector returns ErrAlreadyExists on a taken id.
	CreateConnector(ctx context.Context, c ConnectorRecord) error
	// ListConnectors returns every connector ordered by id.
	ListConnectors(ctx context.Context) ([]ConnectorRecord, error)
	// DeleteConnector returns ErrNotFound.
	DeleteConnector(ctx context.Context, id string) error
}

package fositestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"
	foauth2 "github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	fstorage "github.com/ory/fosite/storage"

	"github.com/ostiary/ostiary/storage"
)

// Store is what the adapter reads and writes: the token records, in the
// transactions fosite runs (storage.Store satisfies it).
type Store interface {
	storage.TokenStore
	BeginTX(ctx context.Context) (context.Context, error)
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Adapter implements every storage interface fosite uses over
// storage.TokenStore and storage.ClientStore, with the rules fosite leaves
// unwritten (docs/architecture.md, "fosite, as we use it").
type Adapter struct {
	store Store
	// clients answers GetClient, for fosite and for the token records.
	clients *ClientCache
	now     func() time.Time
	grace   time.Duration
	// successors derives a rotated refresh token's successor; set only
	// with a grace period (store_refresh.go).
	successors     *RefreshSuccessors
	familyLifetime time.Duration
	codeLifespan   time.Duration
}

// Config is how the adapter keeps records; the durations are
// provider/oauth's Config's of the same names.
type Config struct {
	// Now is the clock of the adapter's expiry checks.
	Now func() time.Time
	// AuthorizeCodeLifespan is the expiry of a record whose session names
	// none (codes, PKCE and OpenID Connect sessions).
	AuthorizeCodeLifespan time.Duration
	RefreshGracePeriod    time.Duration
	RefreshFamilyLifetime time.Duration
	// Successors derives the successor of a rotated refresh token; set
	// with a grace period, nil without.
	Successors *RefreshSuccessors
}

// NewAdapter is the storage of fosite over store, with clients from clients.
func NewAdapter(store Store, clients *ClientCache, cfg Config) *Adapter {
	return &Adapter{
		store:          store,
		clients:        clients,
		now:            cfg.Now,
		grace:          cfg.RefreshGracePeriod,
		successors:     cfg.Successors,
		familyLifetime: cfg.RefreshFamilyLifetime,
		codeLifespan:   cfg.AuthorizeCodeLifespan,
	}
}

var (
	_ fosite.Storage                     = (*Adapter)(nil)
	_ foauth2.CoreStorage                = (*Adapter)(nil)
	_ foauth2.TokenRevocationStorage     = (*Adapter)(nil)
	_ pkce.PKCERequestStorage            = (*Adapter)(nil)
	_ openid.OpenIDConnectRequestStorage = (*Adapter)(nil)
	_ fstorage.Transactional             = (*Adapter)(nil)
)

// kindClientAssertion keeps the jti of used private_key_jwt assertions.
// storage has no record for them; a token record keyed by the jti's hash,
// expiring with the assertion, gives the atomic "first one wins" insert
// that replay protection needs (RFC 7523 §3 item 7).
const kindClientAssertion = storage.TokenKind("client_assertion")

// SigKey is what records are keyed by: the SHA-256 (hex) of a token
// signature or raw code, never the secret itself.
func SigKey(sig string) string {
	sum := sha256.Sum256([]byte(sig))
	return hex.EncodeToString(sum[:])
}

// derivedKey names an internal record that no presented token can hash to.
func derivedKey(label, key string) string { return SigKey(label + "\x00" + key) }

// mapErr turns storage sentinels into the errors fosite branches on, and
// marks every other error of the store as a storage failure.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return fosite.ErrNotFound.WithWrap(err).WithDebug(err.Error())
	case errors.Is(err, storage.ErrConflict):
		return fosite.ErrSerializationFailure.WithWrap(err).WithDebug(err.Error())
	case errors.Is(err, storage.ErrAlreadyExists), errors.Is(err, storage.ErrInactive):
		return err
	}
	// Anything else is the database failing: marked, so that whatever
	// fosite wraps it in, the answer is a 5xx (failure.go).
	return &storageFailure{err}
}

// secretParams never reach a stored form, whatever fosite sanitizes.
var secretParams = []string{"client_secret", "client_assertion", "code_verifier", "refresh_token", "code", "access_token", "token", "password", "subject_token", "actor_token", "device_code"}

func (a *Adapter) record(kind storage.TokenKind, sig string, req fosite.Requester, tt fosite.TokenType) (storage.TokenRecord, error) {
	sess, ok := req.GetSession().(*Session)
	if !ok || sess == nil {
		return storage.TokenRecord{}, fmt.Errorf("oauth: store %s: unexpected session type %T", kind, req.GetSession())
	}
	data, err := json.Marshal(sess)
	if err != nil {
		return storage.TokenRecord{}, fmt.Errorf("oauth: store %s: encode session: %w", kind, err)
	}
	form := url.Values{}
	for k, v := range req.GetRequestForm() {
		form[k] = v
	}
	for _, p := range secretParams {
		form.Del(p)
	}
	exp := sess.GetExpiresAt(tt)
	if exp.IsZero() {
		exp = a.now().Add(a.codeLifespan)
	}
	return storage.TokenRecord{
		Kind:             kind,
		Signature:        SigKey(sig),
		RequestID:        req.GetID(),
		RequestedAt:      req.GetRequestedAt(),
		ClientID:         req.GetClient().GetID(),
		Subject:          sess.GetSubject(),
		SessionID:        sess.SID,
		OrgID:            sess.OrgID,
		Scopes:           req.GetRequestedScopes(),
		GrantedScopes:    req.GetGrantedScopes(),
		Audiences:        req.GetRequestedAudience(),
		GrantedAudiences: req.GetGrantedAudience(),
		Form:             form.Encode(),
		Session:          data,
		Active:           true,
		ExpiresAt:        exp,
		FamilyExpiresAt:  sess.FamilyExpiresAt,
	}, nil
}

func (a *Adapter) create(ctx context.Context, kind storage.TokenKind, sig string, req fosite.Requester, tt fosite.TokenType) error {
	rec, err := a.record(kind, sig, req, tt)
	if err != nil {
		return err
	}
	if err := a.store.CreateToken(ctx, rec); err != nil {
		return mapErr(fmt.Errorf("oauth: store %s: %w", kind, err))
	}
	return nil
}

// get loads a record and rebuilds its request. Expired records (by the
// injected clock) are not found; inactive ones are returned as they are,
// for the caller to judge.
func (a *Adapter) get(ctx context.Context, kind storage.TokenKind, sig string) (storage.TokenRecord, *fosite.Request, error) {
	return a.getKey(ctx, kind, SigKey(sig))
}

// getKey is get by the record's key (SigKey of what fosite names).
func (a *Adapter) getKey(ctx context.Context, kind storage.TokenKind, key string) (storage.TokenRecord, *fosite.Request, error) {
	rec, err := a.store.GetToken(ctx, kind, key)
	if err != nil {
		return rec, nil, mapErr(fmt.Errorf("oauth: load %s: %w", kind, err))
	}
	if !rec.ExpiresAt.IsZero() && !a.now().Before(rec.ExpiresAt) {
		return rec, nil, fosite.ErrNotFound.WithDebugf("The %s expired.", kind)
	}
	req, err := a.request(ctx, rec)
	return rec, req, err
}

func (a *Adapter) request(ctx context.Context, rec storage.TokenRecord) (*fosite.Request, error) {
	cl, err := a.GetClient(ctx, rec.ClientID)
	if err != nil {
		// A deleted client takes its tokens with it.
		return nil, err
	}
	sess := NewSession()
	if err := json.Unmarshal(rec.Session, sess); err != nil {
		return nil, fmt.Errorf("oauth: decode %s session: %w", rec.Kind, err)
	}
	sess.ensure()
	form, err := url.ParseQuery(rec.Form)
	if err != nil {
		return nil, fmt.Errorf("oauth: decode %s form: %w", rec.Kind, err)
	}
	return &fosite.Request{
		ID:                rec.RequestID,
		RequestedAt:       rec.RequestedAt,
		Client:            cl,
		RequestedScope:    fosite.Arguments(rec.Scopes),
		GrantedScope:      fosite.Arguments(rec.GrantedScopes),
		RequestedAudience: fosite.Arguments(rec.Audiences),
		GrantedAudience:   fosite.Arguments(rec.GrantedAudiences),
		Form:              form,
		Session:           sess,
	}, nil
}

// ---------------------------------------------------------------------------
// fosite.ClientManager

func (a *Adapter) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, err := a.clients.Get(ctx, id)
	if err != nil {
		return nil, mapErr(fmt.Errorf("oauth: client %q: %w", id, err))
	}
	return c, nil
}

func (a *Adapter) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	rec, err := a.store.GetToken(ctx, kindClientAssertion, derivedKey("jti", jti))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil
	case err != nil:
		// fosite turns any error here into "jti already used", an
		// invalid_client. SetClientAssertionJWT's insert decides replays
		// atomically anyway, and its failure reaches the client as a 5xx.
		return nil
	case a.now().Before(rec.ExpiresAt):
		return fosite.ErrJTIKnown
	}
	return nil
}

func (a *Adapter) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	// A concurrent request that presented the same assertion and won
	// makes this ErrJTIKnown.
	return a.insertJTI(ctx, kindClientAssertion, derivedKey("jti", jti), exp, "client assertion")
}

// insertJTI records a used jti under key until exp; ErrJTIKnown when the
// key is taken.
func (a *Adapter) insertJTI(ctx context.Context, kind storage.TokenKind, key string, exp time.Time, what string) error {
	err := a.store.CreateToken(ctx, storage.TokenRecord{
		Kind: kind, Signature: key, RequestID: key, RequestedAt: a.now(),
		Session: []byte("{}"), Active: true, ExpiresAt: exp,
	})
	if errors.Is(err, storage.ErrAlreadyExists) {
		return fosite.ErrJTIKnown
	}
	if err != nil {
		return mapErr(fmt.Errorf("oauth: %s jti: %w", what, err))
	}
	return nil
}

// kindRequestObject keeps the jti of used request objects (RFC 9101 §10.7
// on replay), per client, until the object expires; the janitor removes
// expired records as for every token kind.
const kindRequestObject = storage.TokenKind("request_object")

// RememberRequestObject records request object jti of clientID until exp,
// or returns fosite.ErrJTIKnown when it was already used (the insert
// decides: two concurrent uses have one winner).
func (a *Adapter) RememberRequestObject(ctx context.Context, clientID, jti string, exp time.Time) error {
	key := derivedKey("request_object", clientID+"\x00"+jti)
	rec, err := a.store.GetToken(ctx, kindRequestObject, key)
	if err == nil && a.now().Before(rec.ExpiresAt) {
		return fosite.ErrJTIKnown
	}
	if err == nil {
		// Expired and not yet swept: the object itself is refused by exp,
		// so this is a new object reusing an old jti.
		if err := a.store.DeleteToken(ctx, kindRequestObject, key); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return mapErr(fmt.Errorf("oauth: request object jti: %w", err))
		}
	}
	return a.insertJTI(ctx, kindRequestObject, key, exp, "request object")
}

// ---------------------------------------------------------------------------
// Authorization codes

func (a *Adapter) CreateAuthorizeCodeSession(ctx context.Context, sig string, req fosite.Requester) error {
	return a.create(ctx, storage.KindAuthorizeCode, sig, req, fosite.AuthorizeCode)
}

// GetAuthorizeCodeSession returns the request AND
// fosite.ErrInvalidatedAuthorizeCode for a used code: fosite then revokes
// what was issued from it (RFC 6749 §4.1.2).
func (a *Adapter) GetAuthorizeCodeSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	rec, req, err := a.get(ctx, storage.KindAuthorizeCode, sig)
	if err != nil {
		return nil, err
	}
	if !rec.Active {
		return req, fosite.ErrInvalidatedAuthorizeCode
	}
	return req, nil
}

// InvalidateAuthorizeCodeSession is a conditional update: of concurrent
// redemptions exactly one gets nil (ory/fosite#778).
func (a *Adapter) InvalidateAuthorizeCodeSession(ctx context.Context, sig string) error {
	err := a.store.InvalidateToken(ctx, storage.KindAuthorizeCode, SigKey(sig), a.now())
	if errors.Is(err, storage.ErrInactive) {
		return fmt.Errorf("oauth: authorization code already redeemed: %w", fosite.ErrInvalidatedAuthorizeCode)
	}
	return mapErr(err)
}

// ---------------------------------------------------------------------------
// Access tokens

// CreateAccessTokenSession stores the record at once, or, inside one of
// fosite's transactions (a code exchange or refresh, where the refresh
// token's record follows), with the next write of the transaction: both in
// one statement (pendingWrites).
func (a *Adapter) CreateAccessTokenSession(ctx context.Context, sig string, req fosite.Requester) error {
	p := a.pending(ctx)
	if p == nil {
		return a.create(ctx, storage.KindAccessToken, sig, req, fosite.AccessToken)
	}
	rec, err := a.record(storage.KindAccessToken, sig, req, fosite.AccessToken)
	if err != nil {
		return err
	}
	p.recs = append(p.recs, rec)
	return nil
}

// GetAccessTokenSession loads the record of an access token; sig is the
// whole token (provider/oauth/tokens.Strategy). A record found under the whole token's key
// marks the session with that key, which lets ValidateAccessToken skip
// verifying the signature again. A record written before records were keyed
// that way is found under the signature segment's key, unmarked.
func (a *Adapter) GetAccessTokenSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	key := SigKey(sig)
	rec, req, err := a.getKey(ctx, storage.KindAccessToken, key)
	if err == nil {
		req.Session.(*Session).recordKey = key
	} else if legacy, ok := legacyAccessKey(sig); ok && errors.Is(err, storage.ErrNotFound) {
		rec, req, err = a.getKey(ctx, storage.KindAccessToken, legacy)
	}
	if err != nil {
		return nil, err
	}
	if !rec.Active {
		return req, fosite.ErrInactiveToken
	}
	return req, nil
}

func (a *Adapter) DeleteAccessTokenSession(ctx context.Context, sig string) error {
	keys := []string{SigKey(sig)}
	if legacy, ok := legacyAccessKey(sig); ok {
		keys = append(keys, legacy)
	}
	for _, key := range keys {
		if err := a.deleteIfPresent(ctx, storage.KindAccessToken, key); err != nil {
			return err
		}
	}
	return nil
}

func (a *Adapter) RevokeAccessToken(ctx context.Context, requestID string) error {
	return a.deactivate(ctx, storage.KindAccessToken, requestID)
}

func (a *Adapter) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return a.deactivate(ctx, storage.KindRefreshToken, requestID)
}

// deactivate keeps the rows, so a later use of any token of the family is
// still recognized as reuse rather than as an unknown token.
func (a *Adapter) deactivate(ctx context.Context, kind storage.TokenKind, requestID string) error {
	if requestID == "" {
		return nil
	}
	_, err := a.store.DeactivateTokens(ctx, storage.TokenFilter{Kinds: []storage.TokenKind{kind}, RequestID: requestID})
	return mapErr(err)
}

// ---------------------------------------------------------------------------
// PKCE and OpenID Connect sessions (both live as long as their code)

func (a *Adapter) CreatePKCERequestSession(ctx context.Context, sig string, req fosite.Requester) error {
	return a.create(ctx, storage.KindPKCE, sig, req, fosite.AuthorizeCode)
}

func (a *Adapter) GetPKCERequestSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	_, req, err := a.get(ctx, storage.KindPKCE, sig)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// DeletePKCERequestSession is idempotent: two concurrent redemptions both
// reach it, and the code's conditional invalidation decides between them.
func (a *Adapter) DeletePKCERequestSession(ctx context.Context, sig string) error {
	return a.deleteIfPresent(ctx, storage.KindPKCE, SigKey(sig))
}

// The OpenID Connect methods receive the raw code; only its hash is kept.
func (a *Adapter) CreateOpenIDConnectSession(ctx context.Context, code string, req fosite.Requester) error {
	return a.create(ctx, storage.KindOIDC, code, req, fosite.AuthorizeCode)
}

func (a *Adapter) GetOpenIDConnectSession(ctx context.Context, code string, _ fosite.Requester) (fosite.Requester, error) {
	_, req, err := a.get(ctx, storage.KindOIDC, code)
	if err != nil {
		return nil, err
	}
	return req, nil
}

func (a *Adapter) DeleteOpenIDConnectSession(ctx context.Context, code string) error {
	return a.deleteIfPresent(ctx, storage.KindOIDC, SigKey(code))
}

func (a *Adapter) deleteIfPresent(ctx context.Context, kind storage.TokenKind, key string) error {
	err := a.store.DeleteToken(ctx, kind, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return mapErr(err)
}

// legacyAccessKey is the key an access token's record had before records
// were keyed by the whole token: its signature segment.
func legacyAccessKey(token string) (string, bool) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 || strings.Count(token, ".") != 2 {
		return "", false
	}
	return SigKey(token[i+1:]), true
}

package grants

import (
	"context"
	"errors"
	"time"

	"github.com/ory/fosite"
	foauth2 "github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	fstorage "github.com/ory/fosite/storage"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// GrantTypeDeviceCode is RFC 8628 §3.4's grant_type.
const GrantTypeDeviceCode = fositestore.GrantTypeDeviceCode

// SlowDownStep is what a poll sooner than the interval adds to it (RFC 8628
// §3.5: "the interval MUST be increased by 5 seconds").
const SlowDownStep = 5 * time.Second

// PollTolerance is how much sooner than the interval a poll may arrive and
// still count as on time: clients poll on a ticker, and the network
// delays one request more than the next.
const PollTolerance = time.Second

// The errors of RFC 8628 §3.5, in the token endpoint's shape (RFC 6749
// §5.2), all status 400.
var (
	ErrAuthorizationPending = &fosite.RFC6749Error{ErrorField: "authorization_pending", CodeField: 400,
		DescriptionField: "The user has not yet completed the authorization at the verification URI."}
	ErrSlowDown = &fosite.RFC6749Error{ErrorField: "slow_down", CodeField: 400,
		DescriptionField: "The device polled sooner than the interval; the interval is now 5 seconds longer."}
	ErrExpiredToken = &fosite.RFC6749Error{ErrorField: "expired_token", CodeField: 400,
		DescriptionField: "The device_code has expired; start a new device authorization."}
	// fosite's access_denied is a 403; §3.5 answers it as RFC 6749 §5.2
	// does, 400.
	errDeviceDenied = &fosite.RFC6749Error{ErrorField: "access_denied", CodeField: 400,
		DescriptionField: "The user denied the device authorization."}
	errDeviceInvalid = fosite.ErrInvalidGrant.WithHint("The device_code is unknown, already used, or was issued to another client.")
)

// DeviceStore is what the device grant reads and writes.
type DeviceStore interface {
	GetDeviceGrant(ctx context.Context, deviceCodeHash []byte) (storage.DeviceGrant, error)
	UpdateDeviceGrant(ctx context.Context, deviceCodeHash []byte, fn func(storage.DeviceGrant) (storage.DeviceGrant, error)) error
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error)
	MembershipLister
}

// TokenStorage is where the grant's tokens are recorded: the storage
// adapter every other grant uses, in one transaction.
type TokenStorage interface {
	foauth2.AccessTokenStorage
	foauth2.RefreshTokenStorage
	fstorage.Transactional
}

// DeviceCode is the fosite handler of the device authorization grant's
// token request (RFC 8628 §3.4, §3.5). fosite v0.49.0 has none. Like
// PATExchange it is composed with the other handlers, so fosite
// authenticates the client, and its tokens are made by the same strategy
// and recorded by the same adapter as the code flow's: they refresh,
// introspect and revoke alike.
//
// Polls are paced per device code: each one is recorded with a conditional
// update, and one sooner than the interval answers slow_down and lengthens
// the interval. An approved code is redeemed by a conditional update first
// in the transaction that stores the tokens, so of two concurrent polls
// exactly one gets tokens and the other invalid_grant.
type DeviceCode struct {
	AccessTokenStrategy  foauth2.AccessTokenStrategy
	RefreshTokenStrategy foauth2.RefreshTokenStrategy
	Tokens               TokenStorage
	IDToken              *openid.IDTokenHandleHelper
	Store                DeviceStore
	Config               *fosite.Config
	Now                  func() time.Time
}

var _ fosite.TokenEndpointHandler = (*DeviceCode)(nil)

// DeviceCodeHash is what a device code is stored under.
func DeviceCodeHash(code string) []byte { return randtoken.Hash(code) }

func (h *DeviceCode) CanHandleTokenEndpointRequest(_ context.Context, ar fosite.AccessRequester) bool {
	return ar.GetGrantTypes().ExactOne(GrantTypeDeviceCode)
}

// CanSkipClientAuth is false: RFC 8628 §3.4 authenticates the client as
// RFC 6749 §3.2.1 does; a public client names itself with client_id.
func (h *DeviceCode) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

// HandleTokenEndpointRequest records the poll and answers pending,
// slow_down, expired, denied, or prepares the approved grant.
func (h *DeviceCode) HandleTokenEndpointRequest(ctx context.Context, ar fosite.AccessRequester) error {
	if !h.CanHandleTokenEndpointRequest(ctx, ar) {
		return fosite.ErrUnknownRequest
	}
	cl := ar.GetClient()
	if !cl.GetGrantTypes().Has(GrantTypeDeviceCode) {
		return fosite.ErrUnauthorizedClient.WithHint("The client is not registered for the device authorization grant.")
	}
	hash := DeviceCodeHash(ar.GetRequestForm().Get("device_code"))
	now := h.Now()
	var answer error
	var grant storage.DeviceGrant
	err := h.Store.UpdateDeviceGrant(ctx, hash, func(g storage.DeviceGrant) (storage.DeviceGrant, error) {
		answer, grant = nil, g
		switch {
		case g.ClientID != cl.GetID():
			return g, errDeviceInvalid
		case g.Status == storage.DeviceGrantRedeemed:
			return g, errDeviceInvalid
		case g.Status == storage.DeviceGrantDenied:
			return g, errDeviceDenied
		case !now.Before(g.ExpiresAt):
			return g, ErrExpiredToken
		case g.Status == storage.DeviceGrantApproved:
			return g, errApproved
		}
		// Pending: §3.5 asks the client to wait interval seconds between
		// polls; a sooner one is told to slow down, and the interval grows
		// for all later polls of this code.
		if !g.LastPolledAt.IsZero() && now.Sub(g.LastPolledAt) < g.Interval-PollTolerance {
			g.Interval += SlowDownStep
			answer = ErrSlowDown
		} else {
			answer = ErrAuthorizationPending
		}
		g.LastPolledAt = now
		return g, nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return errDeviceInvalid
	case errors.Is(err, errApproved):
		return h.prepare(ctx, ar, grant, now)
	case err != nil:
		var rfc *fosite.RFC6749Error
		if errors.As(err, &rfc) {
			return err
		}
		return fosite.ErrServerError.WithWrap(err).WithDebugf("record device poll: %v", err)
	}
	return answer
}

// errApproved ends the poll's update without writing: the approved grant
// is redeemed in the token transaction.
var errApproved = errors.New("grants: device grant approved")

// prepare fills the request from the approved grant: scopes, audiences and
// the session, with the user and organization read again (a user disabled
// or a membership removed since the approval stops it).
func (h *DeviceCode) prepare(ctx context.Context, ar fosite.AccessRequester, g storage.DeviceGrant, now time.Time) error {
	u, err := h.Store.GetUser(ctx, g.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		return fosite.ErrInvalidGrant.WithHint("The user who approved the device is disabled or no longer exists.")
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebugf("load user: %v", err)
	}
	sess, ok := ar.GetSession().(*fositestore.Session)
	if !ok {
		return fosite.ErrServerError.WithDebugf("unexpected session type %T", ar.GetSession())
	}
	if g.OrgID != "" {
		m, err := h.Store.GetMembership(ctx, g.OrgID, u.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return fosite.ErrInvalidGrant.WithHint("The user is no longer a member of the organization chosen for the device.")
		}
		if err != nil {
			return fosite.ErrServerError.WithWrap(err).WithDebugf("load membership: %v", err)
		}
		if LacksRequiredFactor(&m, g.AMR) {
			return fosite.ErrInvalidGrant.WithHintf("The organization requires %s.", RequiredFactorText(&m))
		}
		sess.OrgID, sess.OrgName, sess.OrgRole = m.OrgID, m.OrgName, m.Role
	}
	cl := ar.GetClient()
	for _, sc := range GrantableScopes(u, g.GrantedScopes) {
		ar.GrantScope(sc)
	}
	for _, a := range tokens.Audience(cl, nil) {
		ar.GrantAudience(a)
	}
	sess.Subject = u.ID
	sess.ClientID = cl.GetID()
	sess.SID = g.SessionID
	sess.IdP = g.IdP
	claims := sess.IDTokenClaims()
	claims.Subject = u.ID
	claims.AuthTime = g.AuthTime.Truncate(time.Second).UTC()
	claims.RequestedAt = g.CreatedAt.Truncate(time.Second).UTC()
	claims.AuthenticationMethodsReferences = g.AMR
	if err := LoadGroups(ctx, h.Store, sess, u.ID, ar.GetGrantedScopes()); err != nil {
		return err
	}
	tokens.SetIDTokenClaims(sess, u, ar.GetGrantedScopes())
	gt := fosite.GrantType(GrantTypeDeviceCode)
	sess.SetExpiresAt(fosite.AccessToken, now.UTC().Add(fosite.GetEffectiveLifespan(cl, gt, fosite.AccessToken, h.Config.GetAccessTokenLifespan(ctx))).Round(time.Second))
	if h.refreshable(ctx, ar) {
		sess.SetExpiresAt(fosite.RefreshToken, now.UTC().Add(fosite.GetEffectiveLifespan(cl, gt, fosite.RefreshToken, h.Config.GetRefreshTokenLifespan(ctx))).Round(time.Second))
	}
	return nil
}

// refreshable is the code flow's rule: a refresh token for offline_access
// (fosite's RefreshTokenScopes) when the client may refresh.
func (h *DeviceCode) refreshable(ctx context.Context, ar fosite.AccessRequester) bool {
	if !ar.GetClient().GetGrantTypes().Has("refresh_token") {
		return false
	}
	scopes := h.Config.GetRefreshTokenScopes(ctx)
	if len(scopes) == 0 {
		return true
	}
	for _, sc := range scopes {
		if ar.GetGrantedScopes().Has(sc) {
			return true
		}
	}
	return false
}

// PopulateTokenEndpointResponse redeems the approved code and issues the
// tokens in one transaction: access token, refresh token with
// offline_access, ID token with openid.
func (h *DeviceCode) PopulateTokenEndpointResponse(ctx context.Context, ar fosite.AccessRequester, resp fosite.AccessResponder) (err error) {
	if !h.CanHandleTokenEndpointRequest(ctx, ar) {
		return fosite.ErrUnknownRequest
	}
	access, accessSig, err := h.AccessTokenStrategy.GenerateAccessToken(ctx, ar)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	var refresh, refreshSig string
	if h.refreshable(ctx, ar) {
		if refresh, refreshSig, err = h.RefreshTokenStrategy.GenerateRefreshToken(ctx, ar); err != nil {
			return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
		}
	}
	ctx, err = fstorage.MaybeBeginTx(ctx, h.Tokens)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	defer func() {
		if err != nil {
			if rerr := fstorage.MaybeRollbackTx(ctx, h.Tokens); rerr != nil {
				err = fosite.ErrServerError.WithWrap(err).WithDebugf("error: %s; rollback error: %s", err, rerr)
			}
		}
	}()
	// First in the transaction: the conditional redemption. A concurrent
	// poll waits for it and then finds the code redeemed.
	hash := DeviceCodeHash(ar.GetRequestForm().Get("device_code"))
	err = h.Store.UpdateDeviceGrant(ctx, hash, func(g storage.DeviceGrant) (storage.DeviceGrant, error) {
		if g.Status != storage.DeviceGrantApproved || g.ClientID != ar.GetClient().GetID() {
			return g, errDeviceInvalid
		}
		g.Status = storage.DeviceGrantRedeemed
		return g, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		err = errDeviceInvalid
	}
	if err != nil {
		return err
	}
	if err = h.Tokens.CreateAccessTokenSession(ctx, accessSig, ar.Sanitize(nil)); err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	if refreshSig != "" {
		if err = h.Tokens.CreateRefreshTokenSession(ctx, refreshSig, accessSig, ar.Sanitize(nil)); err != nil {
			return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
		}
	}
	resp.SetAccessToken(access)
	resp.SetTokenType("Bearer")
	resp.SetExpiresIn(ar.GetSession().GetExpiresAt(fosite.AccessToken).Sub(h.Now()).Round(time.Second))
	resp.SetScopes(ar.GetGrantedScopes())
	if refresh != "" {
		resp.SetExtra("refresh_token", refresh)
	}
	if ar.GetGrantedScopes().Has("openid") {
		sess := ar.GetSession().(*fositestore.Session)
		sess.IDTokenClaims().AccessTokenHash = h.IDToken.GetAccessTokenHash(ctx, ar, resp)
		lifespan := fosite.GetEffectiveLifespan(ar.GetClient(), fosite.GrantType(GrantTypeDeviceCode), fosite.IDToken, h.Config.GetIDTokenLifespan(ctx))
		if err = h.IDToken.IssueExplicitIDToken(ctx, lifespan, ar, resp); err != nil {
			return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
		}
	}
	if err = fstorage.MaybeCommitTx(ctx, h.Tokens); err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	return nil
}

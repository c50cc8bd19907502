package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/grants"
	"github.com/ostiary/ostiary/storage"
)

// ScopeAdmin lets an access token call the admin API (provider/adminapi);
// grants/rules.go says who may hold it.
const ScopeAdmin = grants.ScopeAdmin

// ErrNotAdminToken is returned (wrapped) by AdminPrincipal for a token that
// is not a live access token of this provider.
var ErrNotAdminToken = errors.New("oauth: not a valid access token")

// ErrInsufficientScope is returned (wrapped) by AdminPrincipal for a valid
// access token whose holder may not use the admin API.
var ErrInsufficientScope = errors.New("oauth: access token lacks " + ScopeAdmin)

// Principal is who an admin API call acts as.
type Principal struct {
	// Subject is the user's id, or the client's id for client_credentials.
	Subject  string
	ClientID string
	// User is set when Subject is a user (not a client acting for itself).
	User bool
}

// AdminPrincipal checks a bearer token for the admin API as a resource
// server would, and more: the JWT must verify offline against our
// published keys (RS256, typ at+jwt, our issuer, not expired); its record
// must still be active in the token store, so revocation, logout and a
// disabled user count at once; it must have been granted ScopeAdmin; and
// its holder must still be allowed the scope now (the flag may have been
// taken away after the token was issued). ErrNotAdminToken: 401;
// ErrInsufficientScope: 403; anything else is a server error.
func (s *Server) AdminPrincipal(ctx context.Context, raw string) (Principal, error) {
	t, err := s.signer.Decode(ctx, raw)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrNotAdminToken, err)
	}
	if typ, _ := t.Header["typ"].(string); typ != fositestore.TypAccessToken {
		return Principal{}, fmt.Errorf("%w: not an access token (typ %q)", ErrNotAdminToken, typ)
	}
	if iss, _ := t.Claims["iss"].(string); iss != s.cfg.Issuer {
		return Principal{}, fmt.Errorf("%w: issuer %q is not this provider", ErrNotAdminToken, iss)
	}
	// Records are keyed by the whole token (see tokens.Strategy).
	rec, err := s.store.GetToken(ctx, storage.KindAccessToken, fositestore.SigKey(s.strategy.AccessTokenSignature(ctx, raw)))
	if errors.Is(err, storage.ErrNotFound) {
		return Principal{}, fmt.Errorf("%w: no such token", ErrNotAdminToken)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("oauth: load access token: %w", err)
	}
	if !rec.Active || !rec.ExpiresAt.After(s.now()) {
		return Principal{}, fmt.Errorf("%w: revoked or expired", ErrNotAdminToken)
	}
	if !slices.Contains(rec.GrantedScopes, ScopeAdmin) {
		return Principal{}, ErrInsufficientScope
	}
	p := Principal{Subject: rec.Subject, ClientID: rec.ClientID}
	if rec.Subject == rec.ClientID {
		// client_credentials: the client is the subject.
		c, err := s.store.GetClient(ctx, rec.ClientID)
		if errors.Is(err, storage.ErrNotFound) {
			return Principal{}, fmt.Errorf("%w: the client no longer exists", ErrNotAdminToken)
		}
		if err != nil {
			return Principal{}, fmt.Errorf("oauth: load client: %w", err)
		}
		if !grants.ClientMayHoldAdmin(c) {
			return Principal{}, ErrInsufficientScope
		}
		return p, nil
	}
	u, err := s.store.GetUser(ctx, rec.Subject)
	if errors.Is(err, storage.ErrNotFound) {
		return Principal{}, fmt.Errorf("%w: the person no longer exists", ErrNotAdminToken)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("oauth: load user: %w", err)
	}
	if u.Disabled {
		return Principal{}, fmt.Errorf("%w: the person is disabled", ErrNotAdminToken)
	}
	if !grants.UserMayHoldAdmin(u) {
		return Principal{}, ErrInsufficientScope
	}
	p.User = true
	return p, nil
}

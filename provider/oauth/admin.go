package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ostiary/ostiary/storage"
)

// ScopeAdmin lets an access token call the admin API (provider/adminapi).
const ScopeAdmin = "ostiary:admin"

// This file is the one place that says who may hold ScopeAdmin:
//
//   - a person, only while they have the instance-admin flag and are not
//     disabled: an authorization-code grant drops the scope for anyone else
//     (grant), a refresh fails once the flag is gone (reloadForRefresh), a
//     personal access token exchange refuses it (exchange);
//   - a client acting for itself (client_credentials), only while its
//     registration lists the scope — fosite refuses unregistered scopes at
//     the token endpoint, and AdminPrincipal checks again on every call.

// personMayHoldAdmin is the rule for people.
func personMayHoldAdmin(u storage.User) bool { return u.Admin && !u.Disabled }

// clientMayHoldAdmin is the rule for clients acting for themselves.
func clientMayHoldAdmin(c storage.Client) bool {
	return !c.Public && slices.Contains(c.Scopes, ScopeAdmin)
}

// grantableScopes is what an authorization-code grant for u may carry of
// requested: everything but ScopeAdmin unless u may hold it.
func grantableScopes(u storage.User, requested []string) []string {
	out := make([]string, 0, len(requested))
	for _, sc := range requested {
		if sc == ScopeAdmin && !personMayHoldAdmin(u) {
			continue
		}
		out = append(out, sc)
	}
	return out
}

// ErrNotAdminToken is returned (wrapped) by AdminPrincipal for a token that
// is not a live access token of this provider.
var ErrNotAdminToken = errors.New("oauth: not a valid access token")

// ErrInsufficientScope is returned (wrapped) by AdminPrincipal for a valid
// access token whose holder may not use the admin API.
var ErrInsufficientScope = errors.New("oauth: access token lacks " + ScopeAdmin)

// Principal is who an admin API call acts as.
type Principal struct {
	// Subject is the person's id, or the client's id for client_credentials.
	Subject  string
	ClientID string
	// Person is set when Subject is a person.
	Person bool
}

// AdminPrincipal checks a bearer token for the admin API as a resource
// server would, and more: the JWT must verify offline against our
// published keys (RS256, typ at+jwt, our issuer, not expired); its record
// must still be active in the token store, so revocation, logout and a
// disabled person count at once; it must have been granted ScopeAdmin; and
// its holder must still be allowed the scope now (the flag may have been
// taken away after the token was issued). ErrNotAdminToken: 401;
// ErrInsufficientScope: 403; anything else is a server error.
func (s *Server) AdminPrincipal(ctx context.Context, raw string) (Principal, error) {
	t, err := s.signer.Decode(ctx, raw)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrNotAdminToken, err)
	}
	if typ, _ := t.Header["typ"].(string); typ != typAccessToken {
		return Principal{}, fmt.Errorf("%w: not an access token (typ %q)", ErrNotAdminToken, typ)
	}
	if iss, _ := t.Claims["iss"].(string); iss != s.cfg.Issuer {
		return Principal{}, fmt.Errorf("%w: issuer %q is not this provider", ErrNotAdminToken, iss)
	}
	// Records are keyed by the whole token (see accessTokens).
	rec, err := s.store.GetToken(ctx, storage.KindAccessToken, sigKey(s.strategy.AccessTokenSignature(ctx, raw)))
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
		if !clientMayHoldAdmin(c) {
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
	if !personMayHoldAdmin(u) {
		return Principal{}, ErrInsufficientScope
	}
	p.Person = true
	return p, nil
}

// adminLost reports, for a refresh, that the grant carries ScopeAdmin but
// its person may no longer hold it.
func adminLost(u storage.User, granted []string) bool {
	return slices.Contains(granted, ScopeAdmin) && !personMayHoldAdmin(u)
}

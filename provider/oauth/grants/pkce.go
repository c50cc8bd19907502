package grants

import (
	"context"

	"github.com/ory/fosite"
	foauth2 "github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/pkce"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
)

// PKCEPolicy is fosite's PKCE handler with the per-client rule: PKCE with
// S256 for every client (RFC 9700 §2.1.1), except a confidential client
// registered with PKCEOptional may send no code_challenge at all. A
// request that carries a challenge is always held to it, and so is its
// code at the token endpoint; a public client can never be let off.
//
// fosite's enforcement switch is global, so two handlers share the storage:
// strict for clients that must use PKCE, lenient (public clients still
// enforced) for the others. Both refuse plain.
type PKCEPolicy struct {
	strict, lenient *pkce.Handler
}

var (
	_ fosite.AuthorizeEndpointHandler = PKCEPolicy{}
	_ fosite.TokenEndpointHandler     = PKCEPolicy{}
)

func NewPKCEPolicy(strategy foauth2.AuthorizeCodeStrategy, st pkce.PKCERequestStorage) PKCEPolicy {
	return PKCEPolicy{
		strict:  &pkce.Handler{AuthorizeCodeStrategy: strategy, Storage: st, Config: pkceConfig{enforce: true}},
		lenient: &pkce.Handler{AuthorizeCodeStrategy: strategy, Storage: st, Config: pkceConfig{enforce: false}},
	}
}

// PKCERequired reports whether c must send a code_challenge.
func PKCERequired(c fosite.Client) bool {
	fc, ok := c.(*fositestore.Client)
	return !ok || fc.Registration().PKCERequired()
}

func (p PKCEPolicy) pick(c fosite.Client) *pkce.Handler {
	if PKCERequired(c) {
		return p.strict
	}
	return p.lenient
}

func (p PKCEPolicy) HandleAuthorizeEndpointRequest(ctx context.Context, ar fosite.AuthorizeRequester, resp fosite.AuthorizeResponder) error {
	return p.pick(ar.GetClient()).HandleAuthorizeEndpointRequest(ctx, ar, resp)
}

func (p PKCEPolicy) HandleTokenEndpointRequest(ctx context.Context, req fosite.AccessRequester) error {
	return p.pick(req.GetClient()).HandleTokenEndpointRequest(ctx, req)
}

func (p PKCEPolicy) PopulateTokenEndpointResponse(ctx context.Context, req fosite.AccessRequester, resp fosite.AccessResponder) error {
	return p.strict.PopulateTokenEndpointResponse(ctx, req, resp)
}

func (p PKCEPolicy) CanSkipClientAuth(ctx context.Context, req fosite.AccessRequester) bool {
	return p.strict.CanSkipClientAuth(ctx, req)
}

func (p PKCEPolicy) CanHandleTokenEndpointRequest(ctx context.Context, req fosite.AccessRequester) bool {
	return p.strict.CanHandleTokenEndpointRequest(ctx, req)
}

// pkceConfig is what fosite's PKCE handler reads: S256 only, public clients
// always enforced, everyone when enforce.
type pkceConfig struct{ enforce bool }

func (c pkceConfig) GetEnforcePKCE(context.Context) bool                    { return c.enforce }
func (c pkceConfig) GetEnforcePKCEForPublicClients(context.Context) bool    { return true }
func (c pkceConfig) GetEnablePKCEPlainChallengeMethod(context.Context) bool { return false }

package grants

import (
	"context"
	"errors"

	foauth2 "github.com/ory/fosite/handler/oauth2"

	"github.com/ory/fosite"
)

// GrantOnly passes fosite's token response step only to a handler of the
// request's grant. fosite asks every handler, and each one of another grant
// answers ErrUnknownRequest with a captured stack trace, which is what its
// PopulateTokenEndpointResponse first checks anyway: five stack captures
// per token request saved, nothing else changed.
//
// It also refuses a request of its grant that lacks one of the required
// parameters with invalid_request (RFC 6749 §5.2: "missing a required
// parameter"); fosite would look the empty code or token up and answer
// invalid_grant.
type GrantOnly struct {
	fosite.TokenEndpointHandler
	// Required are the parameters a request of the grant must carry.
	Required []string
}

func (g GrantOnly) HandleTokenEndpointRequest(ctx context.Context, req fosite.AccessRequester) error {
	if g.CanHandleTokenEndpointRequest(ctx, req) {
		for _, p := range g.Required {
			if req.GetRequestForm().Get(p) == "" {
				return fosite.ErrInvalidRequest.WithHintf("The %s parameter is missing.", p)
			}
		}
	}
	return g.TokenEndpointHandler.HandleTokenEndpointRequest(ctx, req)
}

// CodeExchange is fosite's code grant, except that a missing redirect_uri
// the authorization request included is invalid_request (RFC 6749 §4.1.3
// makes it required then), where fosite answers invalid_grant for a
// mismatch. Only that refusal pays for reading the code's record again.
type CodeExchange struct {
	*foauth2.AuthorizeExplicitGrantHandler
}

func (c CodeExchange) HandleTokenEndpointRequest(ctx context.Context, req fosite.AccessRequester) error {
	err := c.AuthorizeExplicitGrantHandler.HandleTokenEndpointRequest(ctx, req)
	form := req.GetRequestForm()
	if err == nil || form.Get("redirect_uri") != "" || !errors.Is(err, fosite.ErrInvalidGrant) {
		return err
	}
	sig := c.AuthorizeCodeStrategy.AuthorizeCodeSignature(ctx, form.Get("code"))
	// A used or expired code stays invalid_grant whatever else is missing:
	// the store returns the request with ErrInvalidatedAuthorizeCode then.
	if ar, gerr := c.CoreStorage.GetAuthorizeCodeSession(ctx, sig, nil); gerr == nil && ar != nil && ar.GetRequestForm().Get("redirect_uri") != "" {
		return fosite.ErrInvalidRequest.WithHint("The redirect_uri parameter is missing; the authorization request included it (RFC 6749 §4.1.3).")
	}
	return err
}

func (g GrantOnly) PopulateTokenEndpointResponse(ctx context.Context, req fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !g.CanHandleTokenEndpointRequest(ctx, req) {
		return fosite.ErrUnknownRequest
	}
	return g.TokenEndpointHandler.PopulateTokenEndpointResponse(ctx, req, resp)
}

package tokens

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
)

// Where a token is for: the audience parameter (as fosite reads it) and RFC
// 8707 resource indicators name the same thing, the token's aud. fosite
// knows only audience and refuses one it does not allow with
// invalid_request; both are taken out of the form before fosite sees them
// and checked here, answered with RFC 8707 §2's invalid_target.

// ErrInvalidTarget is RFC 8707 §2's (and RFC 8693 §2.2.2's) error for an
// audience or resource the server will not issue a token for.
var ErrInvalidTarget = &fosite.RFC6749Error{
	ErrorField:       "invalid_target",
	DescriptionField: "The requested audience or resource is not acceptable.",
	HintField:        "Ask only for audiences registered on the client.",
	CodeField:        http.StatusBadRequest,
}

// TakeTargets removes audience from form (and from post, the same request's
// body values, when set) and returns audience and resource values together.
// A resource that is not an absolute URI without a fragment (RFC 8707 §2)
// makes err invalid_target.
func TakeTargets(form, post url.Values) (targets []string, err error) {
	targets = fosite.GetAudiences(form)
	form.Del("audience")
	if post != nil {
		post.Del("audience")
	}
	for _, r := range form["resource"] {
		if !clients.IsResourceURI(r) {
			return nil, ErrInvalidTarget.WithHintf("The resource %q is not an absolute URI without a fragment (RFC 8707 §2).", r)
		}
		if !slices.Contains(targets, r) {
			targets = append(targets, r)
		}
	}
	return targets, nil
}

// CheckTargets refuses a target outside allowed.
func CheckTargets(allowed, targets []string) error {
	for _, t := range targets {
		if !slices.Contains(allowed, t) {
			return ErrInvalidTarget.WithHintf("The client may not ask for a token for %q.", t)
		}
	}
	return nil
}

// NarrowAudience records a token request's targets on the session, for
// Strategy.GenerateAccessToken: fosite grants a code's audience only
// while it issues the tokens. A refresh grant's audience is known already
// and checked here, before the refresh token is rotated (fosite would
// report a refusal from the strategy as a server error).
func NarrowAudience(ar fosite.AccessRequester, targets []string) error {
	sess, ok := ar.GetSession().(*fositestore.Session)
	if !ok || len(targets) == 0 {
		return nil
	}
	if granted := ar.GetGrantedAudience(); len(granted) > 0 {
		if err := CheckTargets(granted, targets); err != nil {
			return err
		}
	}
	sess.Resource = slices.Clone(targets)
	return nil
}

// audienceOf applies the targets the session carries to a code or refresh
// grant as its tokens are made: they must be among what was granted (RFC
// 8707 §2.2), and the new tokens are for them alone. A grant recorded
// without any audience (before every token had one) gets the client's.
func audienceOf(req fosite.Requester) error {
	ar, ok := req.(*fosite.AccessRequest)
	if !ok {
		return nil
	}
	if len(ar.GrantedAudience) == 0 && ar.GetClient() != nil {
		ar.GrantedAudience = Audience(ar.GetClient(), nil)
	}
	sess, ok := ar.GetSession().(*fositestore.Session)
	if !ok || len(sess.Resource) == 0 {
		return nil
	}
	if err := CheckTargets(ar.GrantedAudience, sess.Resource); err != nil {
		return err
	}
	ar.GrantedAudience = slices.Clone(sess.Resource)
	return nil
}

// Audience is the one rule of what a new grant's tokens are for: the
// targets it named (checked already), or, naming none, the client's default
// audience (fositestore.Client.DefaultAudience: its default API, else its
// registered audiences or the provider's default), so that every access
// token has the aud RFC 9068 §2.2 requires. The authorization code, client
// credentials and token exchange grants all grant it.
func Audience(cl fosite.Client, targets []string) []string {
	if len(targets) > 0 {
		return slices.Clone(targets)
	}
	if d, ok := cl.(interface{ DefaultAudience() fosite.Arguments }); ok {
		return slices.Clone(d.DefaultAudience())
	}
	return slices.Clone(cl.GetAudience())
}

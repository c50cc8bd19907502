package oauth

import (
	"net/url"
	"slices"
	"strings"

	"github.com/ory/fosite"
)

// Where a token is for: the audience parameter (as fosite reads it) and RFC
// 8707 resource indicators name the same thing, the token's aud. fosite
// knows only audience and refuses one it does not allow with
// invalid_request; both are taken out of the form before fosite sees them
// and checked here, answered with RFC 8707 §2's invalid_target.

// takeTargets removes audience from form (and from post, the same request's
// body values, when set) and returns audience and resource values together.
// A resource that is not an absolute URI without a fragment (RFC 8707 §2)
// makes err invalid_target.
func takeTargets(form, post url.Values) (targets []string, err error) {
	targets = fosite.GetAudiences(form)
	form.Del("audience")
	if post != nil {
		post.Del("audience")
	}
	for _, r := range form["resource"] {
		u, perr := url.Parse(r)
		if perr != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(r, "#") {
			return nil, errInvalidTarget.WithHintf("The resource %q is not an absolute URI without a fragment (RFC 8707 §2).", r)
		}
		if !slices.Contains(targets, r) {
			targets = append(targets, r)
		}
	}
	return targets, nil
}

// checkTargets refuses a target outside allowed.
func checkTargets(allowed, targets []string) error {
	for _, t := range targets {
		if !slices.Contains(allowed, t) {
			return errInvalidTarget.WithHintf("The client may not ask for a token for %q.", t)
		}
	}
	return nil
}

// narrowAudience records a token request's targets on the session, for
// accessTokens.GenerateAccessToken: fosite grants a code's audience only
// while it issues the tokens. A refresh grant's audience is known already
// and checked here, before the refresh token is rotated (fosite would
// report a refusal from the strategy as a server error).
func narrowAudience(ar fosite.AccessRequester, targets []string) error {
	sess, ok := ar.GetSession().(*Session)
	if !ok || len(targets) == 0 {
		return nil
	}
	if granted := ar.GetGrantedAudience(); len(granted) > 0 {
		if err := checkTargets(granted, targets); err != nil {
			return err
		}
	}
	sess.resource = slices.Clone(targets)
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
		ar.GrantedAudience = slices.Clone(ar.GetClient().GetAudience())
	}
	sess, ok := ar.GetSession().(*Session)
	if !ok || len(sess.resource) == 0 {
		return nil
	}
	if err := checkTargets(ar.GrantedAudience, sess.resource); err != nil {
		return err
	}
	ar.GrantedAudience = slices.Clone(sess.resource)
	return nil
}

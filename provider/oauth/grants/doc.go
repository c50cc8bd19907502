// Package grants is what provider/oauth adds to fosite's grants: the
// token endpoint handlers of our own (the RFC 8693 exchange of personal
// access tokens, and of access and ID tokens with delegation, PATExchange; the per-client PKCE policy, PKCEPolicy; the
// dispatch that asks only the handler of a request's grant and refuses a
// missing parameter, GrantOnly; the code grant's redirect_uri rule,
// CodeExchange) and the rules of what a grant may carry (rules.go: who may
// hold ScopeAdmin, an organization's second-factor requirement).
package grants

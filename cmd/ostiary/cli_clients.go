package main

// The clients commands: OAuth clients, through the admin API's operations.

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/storage"
)

func clientsCreateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	var (
		spec                                          clients.Spec
		redirects, postLogout, origins, grants, scope stringList
		audiences, exchangeAudiences                  stringList
		apis                                          stringList
	)
	fs.Var(&apis, "api", "identifier of a registered API the client is granted (RFC 8707 resource; repeatable)")
	fs.StringVar(&spec.DefaultAPI, "default-api", "", "the API (one of --api) a token naming no resource is for")
	fs.StringVar(&spec.Name, "name", "", "display `name` shown on the consent page (required)")
	fs.BoolVar(&spec.Public, "public", false, "public client (browser or native app): no secret, PKCE only")
	fs.BoolVar(&spec.FirstParty, "first-party", false, "first-party client: skips the consent page")
	fs.BoolVar(&spec.PKCEOptional, "pkce-optional", false, "let this confidential client send no code_challenge (a challenge sent is still checked; public clients always need PKCE)")
	fs.BoolVar(&spec.RequirePushedAuthorizationRequests, "require-par", false, "refuse authorization requests not pushed to /oauth2/par first (RFC 9126)")
	fs.Var(&redirects, "redirect-uri", "exact redirect `URI` (repeatable)")
	fs.Var(&postLogout, "post-logout-redirect-uri", "post-logout redirect `URI` (repeatable)")
	fs.Var(&origins, "cors-origin", "browser `origin` allowed to call the token endpoint (repeatable)")
	fs.Var(&grants, "grant-type", "authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:token-exchange or urn:ietf:params:oauth:grant-type:device_code (repeatable; default the first two)")
	fs.Var(&scope, "scope", "scope the client may request (repeatable; default openid profile email offline_access)")
	fs.Var(&audiences, "audience", "audience the client may request (repeatable)")
	fs.Var(&exchangeAudiences, "exchange-audience", "audience the client may exchange an access or ID token for (RFC 8693 token exchange policy; repeatable)")
	fs.StringVar(&spec.TokenEndpointAuthMethod, "token-endpoint-auth-method", "", "client_secret_basic (default), client_secret_post, private_key_jwt or none")
	fs.StringVar(&spec.JWKSURI, "jwks-uri", "", "`URL` of the client's keys for private_key_jwt")
	fs.StringVar(&spec.LogoURI, "logo-uri", "", "logo `URL` shown on the consent page")
	fs.StringVar(&spec.PolicyURI, "policy-uri", "", "privacy policy `URL`")
	fs.StringVar(&spec.TOSURI, "tos-uri", "", "terms of service `URL`")
	fs.StringVar(&spec.BackchannelLogoutURI, "backchannel-logout-uri", "", "`URL` receiving OpenID back-channel logout tokens")
	fs.StringVar(&spec.OrgID, "org", "", "bind the client to this organization `id`")
	fs.DurationVar(&spec.AccessTokenLifespan, "access-token-lifespan", 0, "override the access token lifespan")
	fs.DurationVar(&spec.RefreshTokenLifespan, "refresh-token-lifespan", 0, "override the refresh token lifespan")
	fs.DurationVar(&spec.IDTokenLifespan, "id-token-lifespan", 0, "override the ID token lifespan")
	fs.StringVar(&spec.IDTokenSignedResponseAlg, "id-token-alg", "", "`alg` of the client's ID tokens: RS256 (default), ES256 or EdDSA (one of keys.algorithms)")
	fs.StringVar(&spec.RequestObjectSigningAlg, "request-object-alg", "", "the only `alg` the client's signed request objects (RFC 9101) may use: RS256, PS256, ES256 or EdDSA (default any of them)")
	fs.BoolVar(&spec.RequireSignedRequestObject, "require-signed-request-object", false, "refuse the client's authorization requests without a signed request object (RFC 9101 §10.5; needs --jwks-uri)")
	fs.BoolVar(&spec.DPoPBoundAccessTokens, "dpop-bound-access-tokens", false, "require a DPoP proof (RFC 9449) with every token request")
	return func(ctx context.Context, e env) error {
		spec.RedirectURIs, spec.PostLogoutRedirectURIs, spec.CORSOrigins = redirects, postLogout, origins
		spec.GrantTypes, spec.Scopes, spec.Audiences = grants, scope, audiences
		spec.ExchangeAudiences = exchangeAudiences
		spec.APIs = apis
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			c, secret, err := s.CreateClient(ctx, cliActor, spec)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				out := map[string]string{"client_id": c.ID}
				if secret != "" {
					out["client_secret"] = secret
				}
				return printJSON(e.stdout, out)
			}
			fmt.Fprintf(e.stdout, "client_id:     %s\n", c.ID)
			if secret != "" {
				fmt.Fprintf(e.stdout, "client_secret: %s\n(the secret is shown only now; it is stored hashed)\n", secret)
			}
			return nil
		})
	}
}

func clientsListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			cs, err := s.ListClients(ctx)
			if err != nil {
				return fmt.Errorf("list clients: %w", err)
			}
			if cf.output == "json" {
				out := make([]clientView, len(cs))
				for i, c := range cs {
					out[i] = viewClient(c)
				}
				return printJSON(e.stdout, out)
			}
			rows := make([][]string, len(cs))
			for i, c := range cs {
				kind := "confidential"
				if c.Public {
					kind = "public"
				}
				rows[i] = []string{c.ID, c.Name, kind, strings.Join(c.GrantTypes, ",")}
			}
			return printTable(e.stdout, []string{"CLIENT ID", "NAME", "TYPE", "GRANT TYPES"}, rows)
		})
	}
}

func clientsGetCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("id", "", "client `id` (required)")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			c, err := s.GetClient(ctx, *id)
			if err != nil {
				return err
			}
			v := viewClient(c)
			if cf.output == "json" {
				return printJSON(e.stdout, v)
			}
			return printTable(e.stdout, []string{"FIELD", "VALUE"}, [][]string{
				{"client_id", v.ClientID}, {"name", v.Name}, {"public", fmt.Sprint(v.Public)},
				{"first_party", fmt.Sprint(v.FirstParty)}, {"pkce_required", fmt.Sprint(v.PKCERequired)},
				{"require_pushed_authorization_requests", fmt.Sprint(v.RequirePAR)}, {"redirect_uris", strings.Join(v.RedirectURIs, " ")},
				{"post_logout_redirect_uris", strings.Join(v.PostLogoutRedirectURIs, " ")},
				{"cors_origins", strings.Join(v.CORSOrigins, " ")}, {"grant_types", strings.Join(v.GrantTypes, " ")},
				{"scopes", strings.Join(v.Scopes, " ")}, {"token_endpoint_auth_method", v.TokenEndpointAuthMethod},
				{"id_token_signed_response_alg", v.IDTokenSignedResponseAlg},
				{"exchange_audiences", strings.Join(v.ExchangeAudiences, " ")},
				{"apis", strings.Join(v.APIs, " ")}, {"default_api", v.DefaultAPI},
				{"request_object_signing_alg", v.RequestObjectSigningAlg}, {"require_signed_request_object", fmt.Sprint(v.RequireSignedRequestObject)},
				{"dpop_bound_access_tokens", fmt.Sprint(v.DPoPBoundAccessTokens)}, {"created_at", v.CreatedAt},
			})
		})
	}
}

func clientsDeleteCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("id", "", "client `id` (required)")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			if err := s.DeleteClient(ctx, cliActor, *id); err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"deleted": *id})
			}
			fmt.Fprintf(e.stdout, "deleted client %s\n", *id)
			return nil
		})
	}
}

func clientsUpdateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("id", "", "client `id` (required)")
	var (
		patch                                                   adminapi.ClientPatch
		name, logo, policy, tos, backchannel, idTokenAlg        string
		requestObjectAlg                                        string
		firstParty, pkceOptional, requirePAR, requireSigned     bool
		redirects, postLogout, origins, grants, scope, audience stringList
		exchangeAudiences                                       stringList
		apis                                                    stringList
		defaultAPI                                              string
	)
	fs.Var(&apis, "api", "identifier of an API the client is granted (repeatable; replaces the list)")
	fs.StringVar(&defaultAPI, "default-api", "", "the API (one of the client's) a token naming no resource is for (\"\" for none)")
	fs.StringVar(&name, "name", "", "new display `name`")
	fs.BoolVar(&firstParty, "first-party", false, "first-party (true) skips the consent page; --first-party=false asks again")
	fs.BoolVar(&pkceOptional, "pkce-optional", false, "let the confidential client send no code_challenge (true); --pkce-optional=false requires PKCE again")
	fs.BoolVar(&requirePAR, "require-par", false, "require pushed authorization requests (true); --require-par=false accepts direct ones again")
	fs.Var(&redirects, "redirect-uri", "redirect `URI` (repeatable; replaces the list)")
	fs.Var(&postLogout, "post-logout-redirect-uri", "post-logout redirect `URI` (repeatable; replaces the list)")
	fs.Var(&origins, "cors-origin", "CORS `origin` (repeatable; replaces the list)")
	fs.Var(&grants, "grant-type", "grant type (repeatable; replaces the list)")
	fs.Var(&scope, "scope", "scope (repeatable; replaces the list)")
	fs.Var(&audience, "audience", "audience (repeatable; replaces the list)")
	fs.Var(&exchangeAudiences, "exchange-audience", "token exchange audience (repeatable; replaces the list)")
	fs.StringVar(&logo, "logo-uri", "", "logo `URL`")
	fs.StringVar(&policy, "policy-uri", "", "privacy policy `URL`")
	fs.StringVar(&tos, "tos-uri", "", "terms of service `URL`")
	fs.StringVar(&backchannel, "backchannel-logout-uri", "", "back-channel logout `URL`")
	fs.StringVar(&idTokenAlg, "id-token-alg", "", "`alg` of the client's ID tokens: RS256, ES256 or EdDSA")
	fs.StringVar(&requestObjectAlg, "request-object-alg", "", "the only `alg` of the client's signed request objects: RS256, PS256, ES256 or EdDSA (\"\" for any)")
	fs.BoolVar(&requireSigned, "require-signed-request-object", false, "refuse authorization requests without a signed request object (true); =false accepts them again")
	var dpopBound bool
	fs.BoolVar(&dpopBound, "dpop-bound-access-tokens", false, "require a DPoP proof with every token request (true); =false stops requiring it")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		// Only the flags given change anything, as PATCH does.
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "name":
				patch.Name = &name
			case "first-party":
				patch.FirstParty = &firstParty
			case "pkce-optional":
				required := !pkceOptional
				patch.PKCERequired = &required
			case "require-par":
				patch.RequirePAR = &requirePAR
			case "redirect-uri":
				patch.RedirectURIs = (*[]string)(&redirects)
			case "post-logout-redirect-uri":
				patch.PostLogoutRedirectURIs = (*[]string)(&postLogout)
			case "cors-origin":
				patch.CORSOrigins = (*[]string)(&origins)
			case "grant-type":
				patch.GrantTypes = (*[]string)(&grants)
			case "scope":
				patch.Scopes = (*[]string)(&scope)
			case "audience":
				patch.Audiences = (*[]string)(&audience)
			case "exchange-audience":
				patch.ExchangeAudiences = (*[]string)(&exchangeAudiences)
			case "logo-uri":
				patch.LogoURI = &logo
			case "policy-uri":
				patch.PolicyURI = &policy
			case "tos-uri":
				patch.TOSURI = &tos
			case "backchannel-logout-uri":
				patch.BackchannelLogoutURI = &backchannel
			case "id-token-alg":
				patch.IDTokenSignedResponseAlg = &idTokenAlg
			case "request-object-alg":
				patch.RequestObjectSigningAlg = &requestObjectAlg
			case "require-signed-request-object":
				patch.RequireSignedRequestObject = &requireSigned
			case "dpop-bound-access-tokens":
				patch.DPoPBoundAccessTokens = &dpopBound
			case "api":
				patch.APIs = (*[]string)(&apis)
			case "default-api":
				patch.DefaultAPI = &defaultAPI
			}
		})
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			c, err := s.UpdateClient(ctx, cliActor, *id, patch)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, adminapi.ViewClient(c))
			}
			fmt.Fprintf(e.stdout, "updated client %s\n", c.ID)
			return nil
		})
	}
}

func clientsRotateSecretCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("id", "", "client `id` (required)")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			secret, err := s.RotateClientSecret(ctx, cliActor, *id)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"client_id": *id, "client_secret": secret})
			}
			fmt.Fprintf(e.stdout, "client_id:     %s\nclient_secret: %s\n(the secret is shown only now; the old one no longer works)\n", *id, secret)
			return nil
		})
	}
}

// clientView is a client as scripts see it: never its secret hash.
type clientView struct {
	ClientID                string   `json:"client_id"`
	Name                    string   `json:"client_name"`
	Public                  bool     `json:"public"`
	FirstParty              bool     `json:"first_party"`
	PKCERequired            bool     `json:"pkce_required"`
	RequirePAR              bool     `json:"require_pushed_authorization_requests"`
	RedirectURIs            []string `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris,omitempty"`
	CORSOrigins             []string `json:"cors_origins,omitempty"`
	GrantTypes              []string `json:"grant_types"`
	Scopes                  []string `json:"scopes"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	OrgID                   string   `json:"org_id,omitempty"`
	CreatedAt               string   `json:"created_at"`

	// IDTokenSignedResponseAlg is the alg of the client's ID tokens.
	IDTokenSignedResponseAlg string `json:"id_token_signed_response_alg"`
	// ExchangeAudiences is the token exchange policy (RFC 8693).
	ExchangeAudiences []string `json:"exchange_audiences,omitempty"`
	// APIs the client is granted and its default API (RFC 8707).
	APIs       []string `json:"apis,omitempty"`
	DefaultAPI string   `json:"default_api,omitempty"`
	// RequestObjectSigningAlg and RequireSignedRequestObject govern its
	// signed request objects (RFC 9101).
	RequestObjectSigningAlg    string `json:"request_object_signing_alg,omitempty"`
	RequireSignedRequestObject bool   `json:"require_signed_request_object"`
	// DPoPBoundAccessTokens: every token request needs a DPoP proof.
	DPoPBoundAccessTokens bool `json:"dpop_bound_access_tokens"`
}

func viewClient(c storage.Client) clientView {
	return clientView{
		ClientID: c.ID, Name: c.Name, Public: c.Public, FirstParty: c.FirstParty, PKCERequired: c.PKCERequired(),
		RequirePAR:   c.RequirePushedAuthorizationRequests,
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		CORSOrigins: c.CORSOrigins, GrantTypes: c.GrantTypes, Scopes: c.Scopes,
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod, OrgID: c.OrgID, CreatedAt: formatTime(c.CreatedAt),
		IDTokenSignedResponseAlg: adminapi.IDTokenAlg(c),
		ExchangeAudiences:        c.ExchangeAudiences,
		RequestObjectSigningAlg:  c.RequestObjectSigningAlg, RequireSignedRequestObject: c.RequireSignedRequestObject,
		DPoPBoundAccessTokens: c.DPoPBoundAccessTokens,
		APIs:                  c.APIs, DefaultAPI: c.DefaultAPI,
	}
}

package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// oidcConnector is a generic OpenID Connect upstream. Discovery happens on
// first use and is kept once it succeeds, so an upstream that is down at
// start-up only fails the sign-ins made while it is down.
type oidcConnector struct {
	cfg    Config
	claims Claims
	deps   Deps

	mu       sync.Mutex
	provider *oidc.Provider
	endSess  string
}

func newOIDC(c Config, d Deps) *oidcConnector {
	return &oidcConnector{cfg: c, claims: c.Claims.withDefaults(), deps: d}
}

func (c *oidcConnector) Config() Config { return c.cfg }

func (c *oidcConnector) AuthOrigins() []string {
	out := []string{c.cfg.Issuer}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		out = append(out, c.provider.Endpoint().AuthURL)
	}
	return out
}

func (c *oidcConnector) ctx(ctx context.Context) context.Context {
	ctx = oidc.ClientContext(ctx, c.deps.HTTPClient)
	return context.WithValue(ctx, oauth2.HTTPClient, c.deps.HTTPClient)
}

// discover returns the upstream's provider metadata.
func (c *oidcConnector) discover(ctx context.Context) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	// The key set it builds keeps this context's values (the HTTP client)
	// but not its cancellation.
	p, err := oidc.NewProvider(c.ctx(ctx), c.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery at %s: %w", ErrUnavailable, c.cfg.Issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&meta); err == nil {
		c.endSess = meta.EndSession
	}
	c.provider = p
	return p, nil
}

func (c *oidcConnector) oauth2(p *oidc.Provider, redirectURI string) *oauth2.Config {
	scopes := c.cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"profile", "email"}
	}
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirectURI, Scopes: scopes}
}

func (c *oidcConnector) AuthURL(ctx context.Context, s Start, redirectURI string) (string, error) {
	p, err := c.discover(ctx)
	if err != nil {
		return "", err
	}
	return c.oauth2(p, redirectURI).AuthCodeURL(s.State, oidc.Nonce(s.Nonce), oauth2.S256ChallengeOption(s.Verifier)), nil
}

func (c *oidcConnector) Finish(ctx context.Context, code string, s Start, redirectURI string) (Identity, error) {
	p, err := c.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	tok, err := c.oauth2(p, redirectURI).Exchange(c.ctx(ctx), code, oauth2.VerifierOption(s.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: token exchange: %w", ErrUnavailable, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, fmt.Errorf("%w: no id_token in the token response", ErrInvalidToken)
	}
	v := p.VerifierContext(c.ctx(ctx), &oidc.Config{ClientID: c.cfg.ClientID, Now: c.deps.Now})
	idt, err := v.Verify(c.ctx(ctx), raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if idt.Nonce != s.Nonce {
		return Identity{}, fmt.Errorf("%w: nonce does not match", ErrInvalidToken)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: claims: %w", ErrInvalidToken, err)
	}
	id := mapClaims(claims, c.claims)
	if id.Subject == "" {
		return Identity{}, fmt.Errorf("%w: no %q claim", ErrInvalidToken, c.claims.Subject)
	}
	id.Issuer = idt.Issuer
	id.IDToken = raw
	return id, nil
}

func (c *oidcConnector) LogoutURL(ctx context.Context, idToken, postLogout string) (string, bool) {
	if !c.cfg.UpstreamLogout {
		return "", false
	}
	if _, err := c.discover(ctx); err != nil {
		return "", false
	}
	c.mu.Lock()
	end := c.endSess
	c.mu.Unlock()
	u, err := url.Parse(end)
	if end == "" || err != nil {
		return "", false
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	q.Set("client_id", c.cfg.ClientID)
	q.Set("post_logout_redirect_uri", postLogout)
	u.RawQuery = q.Encode()
	return u.String(), true
}

// mapClaims reads the attributes under the configured claim names.
func mapClaims(m map[string]any, names Claims) Identity {
	var id Identity
	id.Subject = claimString(m[names.Subject])
	id.Email = claimString(m[names.Email])
	id.Name = claimString(m[names.Name])
	switch v := m[names.EmailVerified].(type) {
	case bool:
		id.EmailVerified = v
	case string:
		// Some providers send "true".
		id.EmailVerified = strings.EqualFold(v, "true")
	}
	switch v := m[names.Groups].(type) {
	case []any:
		for _, g := range v {
			if s := claimString(g); s != "" {
				id.Groups = append(id.Groups, s)
			}
		}
	case string:
		id.Groups = strings.Fields(v)
	}
	return id
}

func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return fmt.Sprintf("%.0f", x)
	}
	return ""
}

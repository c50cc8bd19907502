package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
)

// githubConnector signs in with GitHub's OAuth apps. GitHub has no ID
// token: the user is whoever /user says the access token belongs to, and
// the address is their primary one, only if GitHub verified it.
type githubConnector struct {
	cfg           Config
	base, api     string
	deps          Deps
	oauth2Partial oauth2.Endpoint
}

func newGitHub(c Config, d Deps) *githubConnector {
	base := strings.TrimSuffix(c.BaseURL, "/")
	if base == "" {
		base = "https://github.com"
	}
	api := strings.TrimSuffix(c.APIURL, "/")
	if api == "" {
		api = "https://api.github.com"
	}
	return &githubConnector{cfg: c, base: base, api: api, deps: d, oauth2Partial: oauth2.Endpoint{
		AuthURL: base + "/login/oauth/authorize", TokenURL: base + "/login/oauth/access_token",
		AuthStyle: oauth2.AuthStyleInParams}}
}

func (g *githubConnector) Config() Config { return g.cfg }

func (g *githubConnector) AuthOrigins() []string { return []string{g.base} }

func (g *githubConnector) oauth2(redirectURI string) *oauth2.Config {
	scopes := g.cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"read:user", "user:email"}
	}
	return &oauth2.Config{ClientID: g.cfg.ClientID, ClientSecret: g.cfg.ClientSecret, Endpoint: g.oauth2Partial,
		RedirectURL: redirectURI, Scopes: scopes}
}

func (g *githubConnector) AuthURL(_ context.Context, s Start, redirectURI string) (string, error) {
	return g.oauth2(redirectURI).AuthCodeURL(s.State, oauth2.S256ChallengeOption(s.Verifier)), nil
}

func (g *githubConnector) Finish(ctx context.Context, code string, s Start, redirectURI string) (Identity, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, g.deps.HTTPClient)
	tok, err := g.oauth2(redirectURI).Exchange(ctx, code, oauth2.VerifierOption(s.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: github token exchange: %w", ErrUnavailable, err)
	}
	var user struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	if err := g.get(ctx, tok.AccessToken, "/user", &user); err != nil {
		return Identity{}, err
	}
	if user.ID == 0 {
		return Identity{}, fmt.Errorf("%w: github /user has no id", ErrInvalidToken)
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := g.get(ctx, tok.AccessToken, "/user/emails", &emails); err != nil {
		return Identity{}, err
	}
	id := Identity{Issuer: g.base, Subject: strconv.FormatInt(user.ID, 10), Name: user.Name}
	if id.Name == "" {
		id.Name = user.Login
	}
	for _, e := range emails {
		if e.Primary {
			id.Email, id.EmailVerified = e.Email, e.Verified
		}
	}
	return id, nil
}

func (g *githubConnector) get(ctx context.Context, token, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.api+path, nil)
	if err != nil {
		return fmt.Errorf("%w: github %s: %w", ErrUnavailable, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := g.deps.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: github %s: %w", ErrUnavailable, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: github %s: status %d", ErrUnavailable, path, resp.StatusCode)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("%w: github %s: %w", ErrUnavailable, path, err)
	}
	return nil
}

// LogoutURL: GitHub has no RP-initiated logout.
func (g *githubConnector) LogoutURL(context.Context, string, string) (string, bool) { return "", false }

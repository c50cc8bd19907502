package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// redirectURI is registered for the bench client; it is never dialed, the
// tool reads the code out of the Location header.
const redirectURI = "http://127.0.0.1:1/callback"

// rp is the relying party the scenarios act as: one confidential client and
// one signed-in browser session (a cookie jar).
type rp struct {
	base         string
	clientID     string
	clientSecret string
	api          *http.Client // token, introspect, metadata: no cookies
	browser      *http.Client // authorize and login: with the session's cookies
}

func newRP(base, clientID, secret string, conns int, timeout time.Duration) (*rp, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("cookie jar: %w", err)
	}
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &rp{
		base:         base,
		clientID:     clientID,
		clientSecret: secret,
		api:          &http.Client{Timeout: timeout, Transport: loopbackTransport(conns), CheckRedirect: noFollow},
		browser:      &http.Client{Timeout: timeout, Transport: loopbackTransport(conns), CheckRedirect: noFollow, Jar: jar},
	}, nil
}

// pkce is one authorization request's verifier and state.
type pkce struct {
	verifier, state string
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authorizeURL starts a code flow with PKCE S256 (mandatory here) asking for
// a refresh token.
func (c *rp) authorizeURL() (string, pkce) {
	p := pkce{verifier: randomString(), state: randomString()}
	sum := sha256.Sum256([]byte(p.verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.clientID},
		"redirect_uri":          {redirectURI},
		"scope":                 {"openid offline_access"},
		"state":                 {p.state},
		"nonce":                 {randomString()},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	return c.base + "/oauth2/authorize?" + q.Encode(), p
}

// browse issues one request with the session's cookies and returns the
// status, the resolved Location and the body.
func (c *rp) browse(ctx context.Context, method, target string, form url.Values) (int, *url.URL, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.browser.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	loc, _ := resp.Location()
	return resp.StatusCode, loc, string(b), nil
}

// redirected is nil when a browse answered with a redirect (302 or 303).
func redirected(status int, loc *url.URL, err error) error {
	if err != nil {
		return err
	}
	if status < 300 || status > 399 || loc == nil {
		return fmt.Errorf("status %d, want a redirect", status)
	}
	return nil
}

var csrfField = regexp.MustCompile(`name="csrf_token"\s+value="([^"]*)"`)

// login signs the user in once through the real login page, leaving the
// session cookie in the jar, and returns the code of that first flow.
func (c *rp) login(ctx context.Context, email, password string) (string, pkce, error) {
	start, p := c.authorizeURL()
	status, loc, _, err := c.browse(ctx, http.MethodGet, start, nil)
	if err := redirected(status, loc, err); err != nil {
		return "", p, fmt.Errorf("authorize without a session: %w", err)
	}
	loginURL := loc.String()
	status, _, page, err := c.browse(ctx, http.MethodGet, loginURL, nil)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("status %d", status)
	}
	if err != nil {
		return "", p, fmt.Errorf("login page %s: %w", loc.Path, err)
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return "", p, errors.New("login page has no csrf_token field")
	}
	form := url.Values{"csrf_token": {html.UnescapeString(m[1])}, "action": {"login"}, "email": {email}, "password": {password}}
	status, loc, _, err = c.browse(ctx, http.MethodPost, loginURL, form)
	if err := redirected(status, loc, err); err != nil {
		return "", p, fmt.Errorf("submit login: %w", err)
	}
	code, err := c.followToCode(ctx, loc, p)
	return code, p, err
}

// followToCode follows server-internal redirects until the one to the
// client's redirect URI, and returns the code it carries.
func (c *rp) followToCode(ctx context.Context, loc *url.URL, p pkce) (string, error) {
	for range 5 {
		if strings.HasPrefix(loc.String(), redirectURI) {
			q := loc.Query()
			if q.Get("state") != p.state {
				return "", fmt.Errorf("redirect state mismatch (error=%q)", q.Get("error"))
			}
			if q.Get("code") == "" {
				return "", fmt.Errorf("redirect without code: error=%q %q", q.Get("error"), q.Get("error_description"))
			}
			return q.Get("code"), nil
		}
		status, next, _, err := c.browse(ctx, http.MethodGet, loc.String(), nil)
		if err := redirected(status, next, err); err != nil {
			return "", fmt.Errorf("GET %s: %w", loc.Path, err)
		}
		loc = next
	}
	return "", errors.New("too many redirects before the code")
}

// code runs one silent authorization with the session: the provider answers
// the authorize request with a redirect carrying a code, no login.
func (c *rp) code(ctx context.Context) (string, pkce, error) {
	start, p := c.authorizeURL()
	status, loc, _, err := c.browse(ctx, http.MethodGet, start, nil)
	if err := redirected(status, loc, err); err != nil {
		return "", p, fmt.Errorf("authorize with session: %w", err)
	}
	code, err := c.followToCode(ctx, loc, p)
	return code, p, err
}

// tokenResponse is the part of RFC 6749 §5.1 the scenarios need.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// post sends a form with client_secret_basic to a provider endpoint and
// decodes a JSON answer into out when out is not nil.
func (c *rp) post(ctx context.Context, path string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.clientID), url.QueryEscape(c.clientSecret))
	return c.send(req, out)
}

func (c *rp) get(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	return c.send(req, nil)
}

func (c *rp) send(req *http.Request, out any) error {
	resp, err := c.api.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: read body: %w", req.URL.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s: status %d: %.200s", req.URL.Path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s: decode: %w", req.URL.Path, err)
		}
	}
	return nil
}

func (c *rp) exchange(ctx context.Context, code string, p pkce) (tokenResponse, error) {
	var tok tokenResponse
	err := c.post(ctx, "/oauth2/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {p.verifier},
	}, &tok)
	if err == nil && (tok.AccessToken == "" || tok.RefreshToken == "") {
		err = errors.New("code exchange: no access or refresh token")
	}
	return tok, err
}

func (c *rp) refresh(ctx context.Context, rt string) (string, error) {
	var tok tokenResponse
	if err := c.post(ctx, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, &tok); err != nil {
		return "", err
	}
	if tok.RefreshToken == "" {
		return "", errors.New("refresh: no rotated refresh token")
	}
	return tok.RefreshToken, nil
}

func (c *rp) clientCredentials(ctx context.Context) (string, error) {
	var tok tokenResponse
	if err := c.post(ctx, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, &tok); err != nil {
		return "", err
	}
	if tok.AccessToken == "" {
		return "", errors.New("client_credentials: no access token")
	}
	return tok.AccessToken, nil
}

func (c *rp) introspect(ctx context.Context, token string) error {
	var out struct {
		Active bool `json:"active"`
	}
	if err := c.post(ctx, "/oauth2/introspect", url.Values{"token": {token}}, &out); err != nil {
		return err
	}
	if !out.Active {
		return errors.New("introspect: token reported inactive")
	}
	return nil
}

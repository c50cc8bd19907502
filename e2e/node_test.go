package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestOpenIDClientPARSQLite(t *testing.T)   { openIDClientPAR(t, "sqlite") }
func TestOpenIDClientPARPostgres(t *testing.T) { openIDClientPAR(t, "postgres") }

// nodeDir holds the Node tests' package (package.json, package-lock.json).
const nodeDir = "node"

// needNode returns the node command with e2e/node's locked packages
// installed (npm ci when node_modules is missing, as .ci/run does). Without
// node the test is skipped loudly, or fails under CI=true.
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node not found: the Node tests (openid-client) must run in CI")
		}
		t.Skip("NODE TESTS SKIPPED: node not found (Node.js 20 or later runs e2e/node)")
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "openid-client")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = nodeDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in e2e/node: %v\n%s", err, out)
		}
	}
	return node
}

// nodeScript is one of e2e/node's scripts, running: it answers one JSON
// line at a time (next) and reads lines from the test (send).
type nodeScript struct {
	t      *testing.T
	srv    *server
	stdin  io.WriteCloser
	stderr *strings.Builder
	lines  chan map[string]any
}

func startNodeScript(t *testing.T, srv *server, script string, env ...string) *nodeScript {
	node := needNode(t)
	cmd := exec.Command(node, script)
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(), env...)
	ns := &nodeScript{t: t, srv: srv, stderr: &strings.Builder{}, lines: make(chan map[string]any, 4)}
	cmd.Stderr = ns.stderr
	ns.stdin, _ = cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if err := cmd.Wait(); err != nil && !t.Failed() && !strings.Contains(err.Error(), "killed") {
			t.Errorf("node: %v\n%s", err, ns.stderr.String())
		}
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				ns.lines <- m
			}
		}
		close(ns.lines)
	}()
	return ns
}

func (ns *nodeScript) next(what string) map[string]any {
	ns.t.Helper()
	select {
	case m, ok := <-ns.lines:
		if !ok || m["error"] != nil {
			ns.t.Fatalf("node (%s): %v\nstderr: %s\nserver log:\n%s", what, m, ns.stderr.String(), ns.srv.logs())
		}
		return m
	case <-time.After(20 * time.Second):
		ns.t.Fatalf("node (%s): no answer\nstderr: %s", what, ns.stderr.String())
	}
	return nil
}

func (ns *nodeScript) send(line string) {
	ns.t.Helper()
	if _, err := io.WriteString(ns.stdin, line+"\n"); err != nil {
		ns.t.Fatal(err)
	}
}

// done checks the script exits once it has answered.
func (ns *nodeScript) done() {
	ns.t.Helper()
	select {
	case _, ok := <-ns.lines:
		if ok {
			ns.t.Fatal("node: more output after the result")
		}
	case <-time.After(10 * time.Second):
		ns.t.Fatal("node: still running after its result")
	}
}

// callbackRecorder is the relying party's redirect URI: it records the
// address the browser was sent back to, for the Node script to redeem.
type callbackRecorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	got string
}

func newCallbackRecorder(t *testing.T) *callbackRecorder {
	cr := &callbackRecorder{}
	cr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r) // the browser's favicon request
			return
		}
		cr.mu.Lock()
		cr.got = cr.srv.URL + r.URL.RequestURI()
		cr.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "RP: callback received")
	}))
	t.Cleanup(cr.srv.Close)
	return cr
}

func (cr *callbackRecorder) url() string {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	return cr.got
}

// openIDClientPAR: openid-client v6 (Node) discovers the real server,
// pushes its authorization request (RFC 9126) with client_secret_post,
// Chromium follows the request_uri URL and signs in through the real
// login page, and openid-client redeems the code and verifies the ID
// token. The client requires pushed requests, so only the pushed path
// can have worked; its request_uri is then spent.
func openIDClientPAR(t *testing.T, db string) {
	needNode(t)
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	cb := newCallbackRecorder(t)
	var ada, app map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")
	srv.cli("", &app, "clients", "create", "--name", "Node App", "--first-party", "--require-par",
		"--token-endpoint-auth-method", "client_secret_post", "--redirect-uri", cb.srv.URL+"/callback")

	ns := startNodeScript(t, srv, "par.mjs", "ISSUER="+srv.URL, "CLIENT_ID="+app["client_id"],
		"CLIENT_SECRET="+app["client_secret"], "REDIRECT_URI="+cb.srv.URL+"/callback")

	pushed := ns.next("discovery and push")
	if pushed["pushed_authorization_request_endpoint"] != srv.URL+"/oauth2/par" {
		t.Errorf("discovered PAR endpoint %v", pushed["pushed_authorization_request_endpoint"])
	}
	authURL, err := url.Parse(pushed["authorization_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	// RFC 9126 §4: the authorization request carries client_id and
	// request_uri only.
	q := authURL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"client_id", "request_uri"}) || !strings.HasPrefix(q.Get("request_uri"), "urn:ietf:params:oauth:request_uri:") {
		t.Fatalf("authorization URL %s, want client_id and a request_uri URN only", authURL)
	}

	ctx := newBrowser(t)
	signInFrom(t, ctx, authURL.String(), "ada@example.com", adaPassword)
	waitText(t, ctx, "RP: callback received")
	ns.send(cb.url())
	res := ns.next("code exchange")
	claims, _ := res["claims"].(map[string]any)
	if claims["sub"] != ada["id"] || claims["email"] != "ada@example.com" || claims["iss"] != srv.URL || !slices.Equal(toStrings(claims["aud"]), []string{app["client_id"]}) {
		t.Fatalf("ID token claims %v", claims)
	}
	ns.done()

	// The request_uri was used once (RFC 9126 §4): a second visit gets the
	// error page, not the sign-in.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(authURL.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Fatalf("second use of the request_uri: %d Location %q, want a 400 page", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A client that must push is refused on the direct path.
	direct := srv.URL + "/oauth2/authorize?" + url.Values{"client_id": {app["client_id"]}, "response_type": {"code"},
		"redirect_uri": {cb.srv.URL + "/callback"}, "scope": {"openid"}, "state": {"state-0123456789"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}.Encode()
	resp, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(direct)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := resp.Location(); loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("direct request of a client that must push: %d %v, want invalid_request", resp.StatusCode, loc)
	}
}

// toStrings is a JSON string or array of strings as a list.
func toStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

func TestOpenIDClientDeviceSQLite(t *testing.T)   { openIDClientDevice(t, "sqlite") }
func TestOpenIDClientDevicePostgres(t *testing.T) { openIDClientDevice(t, "postgres") }

func TestOpenIDClientTokenExchangeSQLite(t *testing.T)   { openIDClientTokenExchange(t, "sqlite") }
func TestOpenIDClientTokenExchangePostgres(t *testing.T) { openIDClientTokenExchange(t, "postgres") }

// openIDClientDevice: openid-client v6 (Node) as a device (RFC 8628) at its
// defaults: it discovers the real server, starts the device authorization
// for a public client and polls, while headless Chromium follows the
// verification_uri_complete it printed, signs in on the real /device page,
// picks an organization and approves; openid-client then checks the ID
// token's claims and jose verifies its signature.
func openIDClientDevice(t *testing.T, db string) {
	needNode(t)
	srv, ada, beta, app := newDeviceServer(t, db, "Node CLI")

	ns := startNodeScript(t, srv, "device.mjs", "ISSUER="+srv.URL, "CLIENT_ID="+app["client_id"])
	da := ns.next("discovery and device authorization")
	complete, _ := da["verification_uri_complete"].(string)
	userCode, _ := da["user_code"].(string)
	if da["device_authorization_endpoint"] != srv.URL+"/oauth2/device_authorization" || da["verification_uri"] != srv.URL+"/device" ||
		!strings.HasPrefix(complete, srv.URL+"/device?user_code=") || userCode == "" {
		t.Fatalf("device authorization response: %v", da)
	}

	ctx := newBrowser(t)
	signInFrom(t, ctx, complete, "ada@example.com", adaPassword)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#device-approve")))
	text := bodyText(t, ctx)
	for _, want := range []string{"Node CLI", userCode, "Acme", "Beta"} {
		if !strings.Contains(text, want) {
			t.Fatalf("device page lacks %q:\n%s", want, text)
		}
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`input[name="org_id"][value="`+beta["id"]+`"]`)),
		chromedp.Click(chromedp.CSS("#device-approve")),
	)
	waitText(t, ctx, "Device connected")

	res := ns.next("polling")
	claims, _ := res["claims"].(map[string]any)
	if claims["sub"] != ada["id"] || claims["email"] != "ada@example.com" || claims["iss"] != srv.URL ||
		!slices.Equal(toStrings(claims["aud"]), []string{app["client_id"]}) || claims["org_id"] != beta["id"] || claims["org_role"] != "member" {
		t.Fatalf("ID token claims %v", claims)
	}
	if res["token_type"] != "bearer" && res["token_type"] != "Bearer" || res["refresh_token"] != true {
		t.Fatalf("token response: %v", res)
	}
	ns.done()
}

// openIDClientTokenExchange: a backend on openid-client v6 (Node) exchanges
// Ada's access token (obtained through the real pages by Chromium and the
// Go relying party) with genericGrantRequest (RFC 8693) for the one
// audience its policy allows; jose verifies the issued token against the
// discovered JWKS for that audience, and the Go test checks sub, aud and
// client_id.
func openIDClientTokenExchange(t *testing.T, db string) {
	needNode(t)
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	const audB = "https://b.example"
	var ada, web map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &web, "clients", "create", "--name", "Backend A", "--redirect-uri", rp.srv.URL+"/callback",
		"--token-endpoint-auth-method", "client_secret_post",
		"--grant-type", "authorization_code", "--grant-type", "refresh_token", "--grant-type", grantTokenExchange,
		"--exchange-audience", audB)
	rp.connect(srv.URL, web["client_id"], web["client_secret"])
	userAT := browserLogin(t, rp, "ada@example.com")

	ns := startNodeScript(t, srv, "exchange.mjs", "ISSUER="+srv.URL, "CLIENT_ID="+web["client_id"],
		"CLIENT_SECRET="+web["client_secret"], "SUBJECT_TOKEN="+userAT, "AUDIENCE="+audB)
	res := ns.next("token exchange")
	payload, _ := res["payload"].(map[string]any)
	if res["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" ||
		payload["sub"] != ada["id"] || payload["iss"] != srv.URL || !slices.Equal(toStrings(payload["aud"]), []string{audB}) ||
		payload["client_id"] != web["client_id"] || payload["act"] != nil {
		t.Fatalf("exchange result %v", res)
	}
	ns.done()
}

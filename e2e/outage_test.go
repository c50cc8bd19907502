package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// dbControl runs statements on the maintenance database of the cluster
// that holds dsn's database: what an operator (or a failover) does to it.
type dbControl struct {
	t     *testing.T
	admin string
	name  string
}

func newDBControl(t *testing.T, dsn string) *dbControl {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	c := &dbControl{t: t, admin: u.String(), name: name}
	// Whatever the test did, the database is left usable for its drop.
	t.Cleanup(func() { c.exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`) })
	return c
}

func (c *dbControl) exec(stmts ...string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.admin)
	if err != nil {
		c.t.Fatalf("maintenance connection: %v", err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			c.t.Fatalf("%s: %v", s, err)
		}
	}
}

// kick ends every session on the database: pooled connections die, and
// new ones see the database's current settings.
func (c *dbControl) kick() string {
	return `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + c.name + `' AND pid <> pg_backend_pid()`
}

// outcome tallies the token endpoint's answers under load.
type outcome struct {
	mu       sync.Mutex
	ok       int
	byStatus map[string]int
	bad      []string
}

func (o *outcome) record(err error, wantOK bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err == nil {
		o.ok++
		return
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		o.bad = append(o.bad, "transport: "+err.Error())
		return
	}
	key := fmt.Sprintf("%d %s", re.Response.StatusCode, re.ErrorCode)
	o.byStatus[key]++
	if re.Response.StatusCode < 500 || (re.Response.StatusCode == 503 && re.Response.Header.Get("Retry-After") == "") || wantOK {
		o.bad = append(o.bad, key+" "+string(re.Body))
	}
}

// TestDatabaseOutagePostgres: with PostgreSQL refusing connections (every
// session killed, new ones refused) under concurrent client_credentials
// load from x/oauth2, a valid client never hears invalid_client — that is
// permanent to client libraries — but 503 temporarily_unavailable with
// Retry-After, logged as errors; the other endpoints answer 5xx in their own
// shapes; tokens flow again within seconds of the database coming back;
// and /readyz fails while the database is read-only.
func TestDatabaseOutagePostgres(t *testing.T) {
	db := database(t, "postgres")
	dsn := strings.TrimPrefix(db[0], "OSTIARY_DATABASE=")
	ctl := newDBControl(t, dsn)
	srv := newServer(t, db)
	withConfig(t, srv, "dcr:\n  enabled: true\n  mode: open\n")
	srv.start(20 * time.Second)
	base := srv.URL

	var cl map[string]string
	srv.cli("", &cl, "clients", "create", "--name", "Worker", "--grant-type", "client_credentials", "--scope", "ostiary:admin", "--output", "json")
	cc := clientcredentials.Config{ClientID: cl["client_id"], ClientSecret: cl["client_secret"],
		TokenURL: base + "/oauth2/token", Scopes: []string{"ostiary:admin"}, AuthStyle: oauth2.AuthStyleInHeader}
	ctx := context.Background()
	before, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("token before the outage: %v", err)
	}

	var mu sync.Mutex
	phase := "up"
	tallies := map[string]*outcome{}
	for _, p := range []string{"up", "down", "back"} {
		tallies[p] = &outcome{byStatus: map[string]int{}}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				p := phase
				mu.Unlock()
				_, err := cc.Token(ctx) // a fresh request each time
				tallies[p].record(err, p != "down")
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	setPhase := func(p string) { mu.Lock(); phase = p; mu.Unlock() }
	time.Sleep(500 * time.Millisecond)

	// Outage: connections refused for longer than the client cache lives.
	setPhase("down")
	ctl.exec(`ALTER DATABASE `+ctl.name+` ALLOW_CONNECTIONS false`, ctl.kick())
	time.Sleep(6 * time.Second)
	checkEndpointsDown(t, base, before.AccessToken, cl)
	if status := statusOf(t, base+"/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("readyz during the outage: %d, want 503", status)
	}

	// Recovery: the first token within seconds.
	ctl.exec(`ALTER DATABASE ` + ctl.name + ` ALLOW_CONNECTIONS true`)
	back := time.Now()
	for {
		if _, err := cc.Token(ctx); err == nil {
			break
		}
		if time.Since(back) > 5*time.Second {
			t.Fatalf("no token 5s after the database came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("first token %v after the database came back", time.Since(back).Round(time.Millisecond))
	setPhase("back")
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	for _, p := range []string{"up", "down", "back"} {
		o := tallies[p]
		t.Logf("%s: %d tokens, failures %v", p, o.ok, o.byStatus)
		for _, b := range o.bad {
			t.Errorf("%s: unexpected answer: %s", p, b)
		}
	}
	if tallies["down"].byStatus["503 temporarily_unavailable"] == 0 {
		t.Errorf("no 503 temporarily_unavailable during the outage: %v", tallies["down"].byStatus)
	}
	if tallies["back"].ok == 0 {
		t.Error("no tokens after recovery")
	}
	logs := srv.logs()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "database unavailable") {
		t.Errorf("the outage was not logged as an error:\n%s", tail(logs, 3000))
	}
	if strings.Contains(logs, cl["client_secret"]) {
		t.Error("the client secret is in the log")
	}

	// Read-only: new sessions refuse writes; readiness says so, and the
	// token endpoint, which must write, answers 5xx, not invalid_client.
	ctl.exec(`ALTER DATABASE `+ctl.name+` SET default_transaction_read_only = on`, ctl.kick())
	waitStatus(t, base+"/readyz", http.StatusServiceUnavailable)
	if _, err := cc.Token(ctx); err == nil {
		t.Error("a token was issued from a read-only database")
	} else if re := new(oauth2.RetrieveError); !errors.As(err, &re) || re.Response.StatusCode < 500 {
		t.Errorf("token on a read-only database: %v, want a 5xx", err)
	}
	ctl.exec(`ALTER DATABASE `+ctl.name+` RESET default_transaction_read_only`, ctl.kick())
	waitStatus(t, base+"/readyz", http.StatusOK)
	if _, err := cc.Token(ctx); err != nil {
		t.Errorf("token after the database is writable again: %v", err)
	}
}

// checkEndpointsDown sends one request to each kind of endpoint while the
// database is down: each answers 5xx in its own shape, never a verdict on
// the credentials, token or input.
func checkEndpointsDown(t *testing.T, base, token string, cl map[string]string) {
	t.Helper()
	form := func(path string, v url.Values, basic bool) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basic {
			req.SetBasicAuth(cl["client_id"], cl["client_secret"])
		}
		return req
	}
	bearer := func(method, path, body string) *http.Request {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return req
	}
	plain := func(path string) *http.Request { req, _ := http.NewRequest(http.MethodGet, base+path, nil); return req }
	for _, c := range []struct {
		name   string
		req    *http.Request
		status int
		// want is a piece of the body, in the endpoint's own shape.
		want string
	}{
		{"introspect", form("/oauth2/introspect", url.Values{"token": {token}}, true), 503, `"error":"temporarily_unavailable"`},
		{"revoke", form("/oauth2/revoke", url.Values{"token": {token}}, true), 503, `"error":"temporarily_unavailable"`},
		{"userinfo", bearer(http.MethodGet, "/oauth2/userinfo", ""), 503, `"error":"temporarily_unavailable"`},
		{"authorize", plain("/oauth2/authorize?response_type=code&client_id=" + cl["client_id"] +
			"&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid&state=s1234567&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"), 503, "<html"},
		{"page", plain("/login?request=0123456789abcdef"), 503, "<html"},
		{"admin api", bearer(http.MethodGet, "/admin/api/v1/clients", ""), 503, `"code": "unavailable"`},
		{"dcr", func() *http.Request {
			r := bearer(http.MethodPost, "/oauth2/register", `{"client_name":"x","redirect_uris":["https://app.example/cb"]}`)
			r.Header.Del("Authorization")
			return r
		}(), 503, `"error":"temporarily_unavailable"`},
	} {
		resp, err := http.DefaultClient.Do(c.req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(body), c.want) || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s during the outage: %d (Retry-After %q) %.300s; want %d with %s and Retry-After",
				c.name, resp.StatusCode, resp.Header.Get("Retry-After"), body, c.status, c.want)
		}
	}
}

func statusOf(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitStatus polls u until it answers status, at most 5 seconds.
func waitStatus(t *testing.T, u string, status int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := statusOf(t, u)
		if got == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d, want %d within 5s", u, got, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

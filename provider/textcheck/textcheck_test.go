package textcheck

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		req   func() *http.Request
		where string
	}{
		{"clean", func() *http.Request {
			r := httptest.NewRequest("POST", "/oauth2/token?state=%C3%A9t%C3%A9", strings.NewReader("a=b&name=Zo%C3%AB"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth("client", "s%C3%A9cret")
			return r
		}, ""},
		{"path", func() *http.Request { return httptest.NewRequest("GET", "/organizations/a%00", nil) }, "path"},
		{"query", func() *http.Request { return httptest.NewRequest("GET", "/login?request=%FF", nil) }, `query parameter "request"`},
		{"query name", func() *http.Request { return httptest.NewRequest("GET", "/login?%00=1", nil) }, "query parameter name"},
		{"form", func() *http.Request {
			r := httptest.NewRequest("POST", "/login", strings.NewReader("email=a%00b"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			return r
		}, `form field "email"`},
		{"json raw", func() *http.Request {
			r := httptest.NewRequest("POST", "/oauth2/register", strings.NewReader("{\"client_name\":\"\xff\"}"))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, "JSON body"},
		{"json escape", func() *http.Request {
			r := httptest.NewRequest("POST", "/oauth2/register", strings.NewReader(`{"a":[{"b\u0000":"x"}]}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, "JSON body"},
		{"json escaped backslash is text", func() *http.Request {
			r := httptest.NewRequest("POST", "/oauth2/register", strings.NewReader(`{"a":"\\u0000"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, ""},
		{"basic", func() *http.Request {
			r := httptest.NewRequest("POST", "/oauth2/token", nil)
			r.SetBasicAuth("a%FF", "x")
			return r
		}, "header Authorization"},
		{"xff", func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("X-Forwarded-For", "1.2.3.4\xff")
			return r
		}, "header X-Forwarded-For"},
		{"other content type is not read", func() *http.Request {
			r := httptest.NewRequest("POST", "/x", strings.NewReader("\xff\x00"))
			r.Header.Set("Content-Type", "application/octet-stream")
			return r
		}, ""},
	} {
		if got := Check(c.req()); got != c.where {
			t.Errorf("%s: Check = %q, want %q", c.name, got, c.where)
		}
	}
}

// The handler reads the same body, through its own size cap.
func TestCheckKeepsTheBody(t *testing.T) {
	t.Parallel()
	body := "grant_type=client_credentials&scope=a+b"
	r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if where := Check(r); where != "" {
		t.Fatal(where)
	}
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 10)
	if err := r.ParseForm(); err == nil {
		t.Error("the handler's cap no longer applies")
	}
	r = httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	Check(r)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("scope") != "a b" {
		t.Errorf("form after Check: %v %v", r.PostForm, err)
	}
	// Past MaxBody the body is left to the handler, whole.
	long := strings.Repeat("a", MaxBody) + "&x=%00"
	r = httptest.NewRequest("POST", "/", strings.NewReader(long))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if where := Check(r); where != "" {
		t.Errorf("long body: %q", where)
	}
	if got, _ := io.ReadAll(r.Body); string(got) != long {
		t.Errorf("long body changed: %d bytes, want %d", len(got), len(long))
	}
}

// User-Agent only describes a session: it is repaired, not refused.
func TestCheckRepairsUserAgent(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("User-Agent", "Mozilla\xff/5.0\x00")
	if where := Check(r); where != "" {
		t.Fatal(where)
	}
	if ua := r.UserAgent(); ua != "Mozilla\uFFFD/5.0" {
		t.Errorf("User-Agent = %q", ua)
	}
}

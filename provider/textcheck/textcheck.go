package textcheck

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxBody is the cap every surface puts on a request body (64 KiB: the
// largest real one, the admin console's client form or a registration's
// metadata, is a few KiB), and how much of a body this check reads. A
// longer body is left unchecked to the handler, whose cap refuses it before
// parsing, so this check never reads more of a request than the handler
// would.
const MaxBody = 64 << 10

// checkedHeaders are read by handlers and may reach the database: client
// credentials, the proxy chain, CORS origins. Cookies are not among them:
// net/http drops a cookie whose value is not printable ASCII before any
// handler asks for it, and refusing the whole request would lock a browser
// out over a cookie another application on the same host set.
var checkedHeaders = []string{"Authorization", "X-Forwarded-For", "Origin"}

// Refuse answers a refused request; where names the part at fault, e.g.
// `query parameter "state"`.
type Refuse func(w http.ResponseWriter, r *http.Request, where string)

// Handler checks every request before next sees it and answers the bad ones
// with refuse.
func Handler(next http.Handler, refuse Refuse) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if where := Check(r); where != "" {
			refuse(w, r, where)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Check returns "" when r is text throughout, else what is not. It repairs
// User-Agent in place, and when it reads the body it puts the same bytes
// back in front of the rest, so the handler (and its size cap) reads what
// the client sent.
func Check(r *http.Request) string {
	if !isText(r.URL.Path) {
		return "path"
	}
	if where := checkValues("query parameter", r.URL.RawQuery); where != "" {
		return where
	}
	if ua := r.Header.Get("User-Agent"); !isText(ua) {
		r.Header.Set("User-Agent", strings.ToValidUTF8(strings.ReplaceAll(ua, "\x00", ""), "\uFFFD"))
	}
	for _, name := range checkedHeaders {
		for _, v := range r.Header.Values(name) {
			if !isText(v) {
				return "header " + name
			}
		}
	}
	if !basicAuthIsText(r) {
		return "header Authorization"
	}
	return checkBody(r)
}

// isText holds for valid UTF-8 without NUL.
func isText(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\x00")
}

// checkValues checks a form-encoded string's names and values as a handler
// will see them, decoded. A malformed encoding is left to the handler.
func checkValues(kind, raw string) string {
	if raw == "" {
		return ""
	}
	vals, _ := url.ParseQuery(raw)
	for k, vs := range vals {
		if !isText(k) {
			return kind + " name"
		}
		for _, v := range vs {
			if !isText(v) {
				return kind + " " + quote(k)
			}
		}
	}
	return ""
}

func quote(name string) string {
	if len(name) > 40 {
		name = name[:40]
	}
	return `"` + name + `"`
}

// basicAuthIsText checks Basic credentials decoded, and form-decoded as
// RFC 6749 §2.3.1 has clients send them: what the client lookup receives.
func basicAuthIsText(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	scheme, payload, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return true
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
	if err != nil {
		return true
	}
	user, pass, _ := strings.Cut(string(raw), ":")
	for _, s := range []string{user, pass} {
		if !isText(s) {
			return false
		}
		if u, err := url.QueryUnescape(s); err == nil && !isText(u) {
			return false
		}
	}
	return true
}

// checkBody reads up to MaxBody bytes of a form or JSON body, checks
// them, and restores the body.
func checkBody(r *http.Request) string {
	if r.Body == nil || r.Body == http.NoBody {
		return ""
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isForm := ct == "application/x-www-form-urlencoded"
	isJSON := ct == "application/json" || strings.HasSuffix(ct, "+json")
	if !isForm && !isJSON {
		return ""
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	r.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(buf), r.Body), Closer: r.Body}
	if err != nil || len(buf) > MaxBody {
		return ""
	}
	if isForm {
		return checkValues("form field", string(buf))
	}
	if !utf8.Valid(buf) {
		return "JSON body"
	}
	var doc any
	if json.Unmarshal(buf, &doc) != nil {
		return ""
	}
	if !jsonIsText(doc) {
		return "JSON body"
	}
	return ""
}

type replayBody struct {
	io.Reader
	io.Closer
}

// jsonIsText finds NUL written as \u0000 in any string or member name.
func jsonIsText(v any) bool {
	switch v := v.(type) {
	case string:
		return isText(v)
	case []any:
		for _, e := range v {
			if !jsonIsText(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range v {
			if !isText(k) || !jsonIsText(e) {
				return false
			}
		}
	}
	return true
}

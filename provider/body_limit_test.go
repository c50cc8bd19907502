package provider

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ostiary/ostiary/provider/dcr"
)

// endlessBody is a request body of n bytes, the start of a multipart file
// part and then filler, that counts what the server reads of it.
type endlessBody struct {
	left int64
	read atomic.Int64
	head string
}

const multipartHead = "--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n"

func (b *endlessBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), b.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	b.head = b.head[copy(p[:n], b.head):]
	b.left -= n
	b.read.Add(n)
	return int(n), nil
}

func (b *endlessBody) Close() error { return nil }

// A 50 MiB body to any page form or OAuth endpoint gets a 4xx after the
// server read at most its cap (64 KiB) plus a read buffer: multipart page
// forms are refused unread (415), oversized forms are 413 (issue #11 item 8).
func TestRequestBodiesAreCapped(t *testing.T) {
	t.Parallel()
	e := newFlowEnv(t, func(c *Config) {
		c.Registration = true
		c.ClientRegistration = ClientRegistrationConfig{Enabled: true, Mode: dcr.ModeOpen}
	})
	const size, limit = 50 << 20, 64<<10 + 32<<10
	for _, tc := range []struct {
		path, contentType string
		want              []int
	}{
		{"/login", "multipart/form-data; boundary=xyz", []int{http.StatusUnsupportedMediaType}},
		{"/register", "multipart/form-data; boundary=xyz", []int{http.StatusUnsupportedMediaType}},
		{"/forgot-password", "Multipart/Form-Data; boundary=xyz", []int{http.StatusUnsupportedMediaType}},
		{"/login", "application/x-www-form-urlencoded", []int{http.StatusRequestEntityTooLarge}},
		{"/account/profile", "application/x-www-form-urlencoded", []int{http.StatusRequestEntityTooLarge}},
		{"/oauth2/logout", "application/x-www-form-urlencoded", []int{http.StatusRequestEntityTooLarge}},
		{"/oauth2/logout", "multipart/form-data; boundary=xyz", []int{http.StatusUnsupportedMediaType}},
		{"/oauth2/authorize", "application/x-www-form-urlencoded", []int{http.StatusRequestEntityTooLarge}},
		{"/oauth2/authorize", "multipart/form-data; boundary=xyz", []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		{"/oauth2/token", "application/x-www-form-urlencoded", []int{http.StatusRequestEntityTooLarge}},
		{"/oauth2/token", "multipart/form-data; boundary=xyz", []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		{"/oauth2/introspect", "application/x-www-form-urlencoded", []int{http.StatusRequestEntityTooLarge}},
		{"/oauth2/revoke", "application/x-www-form-urlencoded", []int{http.StatusRequestEntityTooLarge}},
		{"/oauth2/register", "application/json", []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
	} {
		body := &endlessBody{left: size, head: multipartHead}
		req := httptest.NewRequest(http.MethodPost, e.cfg.Issuer+tc.path, body)
		req.Header.Set("Content-Type", tc.contentType)
		if strings.HasPrefix(tc.path, "/oauth2/introspect") {
			req.SetBasicAuth("spa", "x")
		}
		w := httptest.NewRecorder()
		e.p.ServeHTTP(w, req)
		ok := false
		for _, s := range tc.want {
			ok = ok || w.Code == s
		}
		if !ok {
			t.Errorf("POST %s (%s): %d, want one of %v\n%.300s", tc.path, tc.contentType, w.Code, tc.want, w.Body.String())
		}
		if n := body.read.Load(); n > limit {
			t.Errorf("POST %s (%s): the server read %d bytes, want at most %d", tc.path, tc.contentType, n, limit)
		}
	}
}

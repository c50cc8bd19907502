package forward

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ostiary/ostiary/provider/outbound"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestSignMatchesStandardWebhooks: the signature of the specification's
// reference library verifies ours, and ours equals the one it makes.
func TestSignMatchesStandardWebhooks(t *testing.T) {
	t.Parallel()
	sec, err := ParseSecret(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"login.success"}`)
	now := time.Now()
	theirs, err := wh.Sign("msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	if ours := Sign(sec, "msg_1", now.Unix(), body); ours != theirs {
		t.Errorf("Sign = %s, reference library %s", ours, theirs)
	}
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!!!",
		"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 16)), "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65))} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
	s, err := ParseSecret(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, shown := range []string{s.String(), s.GoString(), s.LogValue().String()} {
		if strings.Contains(shown, "MfKQ") {
			t.Errorf("secret shown: %s", shown)
		}
	}
}

// TestWebhookDeliver: the body is the Standard Webhooks payload
// structure, the headers verify with the reference library, the event id
// is webhook-id; a non-2xx answer is a failure whose text does not carry
// the URL (it may hold the receiver's credential).
func TestWebhookDeliver(t *testing.T) {
	t.Parallel()
	wh, _ := standardwebhooks.NewWebhook(testSecret)
	status := http.StatusNoContent
	var got Payload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := wh.Verify(body, r.Header); err != nil {
			t.Errorf("signature: %v", err)
		}
		if r.Header.Get("webhook-id") != "ev-1" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("headers: %v", r.Header)
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("body: %v", err)
		}
		if status == http.StatusFound {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	sec, _ := ParseSecret(testSecret)
	s := &webhookSink{url: srv.URL + "/hook?token=receiver-credential", secret: sec, client: srv.Client(), now: time.Now}
	if err := s.Deliver(t.Context(), loginEvent()); err != nil {
		t.Fatal(err)
	}
	if got.Type != "login.success" || !got.Timestamp.Equal(when) || got.Data.ID != "ev-1" || got.Data.IP != "192.0.2.7" ||
		got.Data.Details["method"] != "password" || got.Data.OrgID != "" {
		t.Errorf("payload: %+v", got)
	}
	status = http.StatusServiceUnavailable
	if err := s.Deliver(t.Context(), loginEvent()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("503 answer: err = %v", err)
	}
	// A redirect is not followed (a 302 would turn the POST into a GET
	// whose 200 looks like a delivery): it is a failure.
	status = http.StatusFound
	redirecting := NewSinks([]SinkConfig{{Name: "h", Type: TypeWebhook, URL: srv.URL + "/hook", Secret: sec}}, Deps{HTTP: srv.Client()})[0]
	if err := redirecting.Deliver(t.Context(), loginEvent()); err == nil || !strings.Contains(err.Error(), "302") {
		t.Errorf("302 answer: err = %v", err)
	}
	srv.Close()
	err := s.Deliver(t.Context(), loginEvent())
	if err == nil || strings.Contains(err.Error(), "receiver-credential") {
		t.Errorf("receiver down: err = %v", err)
	}
}

// TestWebhookThroughTheGuard: the webhook URL goes through the guarded
// outbound client: a loopback receiver is refused unless the allow-list
// names loopback.
func TestWebhookThroughTheGuard(t *testing.T) {
	t.Parallel()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	sec, _ := ParseSecret(testSecret)
	cfg := []SinkConfig{{Name: "h", Type: TypeWebhook, URL: srv.URL + "/hook", Secret: sec}}
	for _, c := range []struct {
		allow []netip.Prefix
		ok    bool
	}{{nil, false}, {outbound.Loopback, true}} {
		client, err := outbound.NewClient(outbound.Config{Guard: outbound.Guard{Allow: c.allow}, Timeout: 5 * time.Second,
			MaxBodyBytes: outbound.DefaultMaxBodyBytes, MaxRedirects: outbound.DefaultMaxRedirects})
		if err != nil {
			t.Fatal(err)
		}
		err = NewSinks(cfg, Deps{HTTP: client})[0].Deliver(t.Context(), loginEvent())
		if (err == nil) != c.ok {
			t.Errorf("allow %v: err = %v", c.allow, err)
		}
	}
	if hits != 1 {
		t.Errorf("the receiver was reached %d times, want once (when allowed)", hits)
	}
}

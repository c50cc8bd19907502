package adminapi

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/provider/oauth"
)

// The audit log names the caller's address as the trusted proxies tell it.
func TestActorIPBehindProxy(t *testing.T) {
	t.Parallel()
	proxies, err := clientip.New([]string{"10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	for peer, want := range map[string]string{"10.0.0.2:4000": "203.0.113.9", "198.51.100.1:4000": "198.51.100.1"} {
		r := httptest.NewRequest("POST", BasePath+"/clients", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, oauth.Principal{Subject: "ann", User: true}))
		a := (&Handler{Proxies: proxies}).actor(r)
		if a.ID != "ann" || a.IP != want {
			t.Errorf("from %s: actor %+v, want ann at %s", peer, a, want)
		}
	}
}

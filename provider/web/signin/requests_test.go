package signin

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/storage"
)

// The account page's step-up reads the class the parked authorization
// waits for (recorded by the authorization endpoint) from the request view
// the sign-in flows give it; a request that waits for none has none.
func TestSignInRequestCarriesACR(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.Client(storage.Client{ID: "app", Name: "App", RedirectURIs: []string{"https://app.example/cb"}})
	h.AuthRequest("r1", "app", url.Values{"acr_values": {acr.TwoFactor}})
	h.AuthRequest("r2", "app", url.Values{})
	if err := h.Store.UpdateAuthRequest(h.Ctx(), "r1", func(r storage.AuthRequest) (storage.AuthRequest, error) {
		r.ACR = acr.TwoFactor
		return r, nil
	}); err != nil {
		t.Fatal(err)
	}
	flows := &Flows{Site: h.Site(), Store: h.Store}
	for id, want := range map[string]string{"r1": acr.TwoFactor, "r2": ""} {
		got, err := flows.SignInRequest(httptest.NewRequest("GET", "/account/mfa?request="+id, nil))
		if err != nil || got == nil || got.ID != id || got.ACR != want || got.ClientName != "App" {
			t.Errorf("SignInRequest(%s) = %+v, %v; want ACR %q", id, got, err, want)
		}
	}
}

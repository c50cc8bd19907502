package admin_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/web/webtest"
)

// TestAdminDeviceClient: the new-client form offers the device code grant
// (RFC 8628); a public device client needs no redirect URI.
func TestAdminDeviceClient(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	a := h.signedInAdmin()
	form := a.Get("/admin/clients/new")
	if !strings.Contains(form.Body.String(), `value="`+clients.GrantDeviceCode+`"`) {
		t.Fatalf("the form does not offer the device code grant:\n%s", form.Body)
	}
	w := a.Post("/admin/clients/new", url.Values{"name": {"TV"}, "kind": {"public"},
		"grant_types": {clients.GrantDeviceCode, clients.GrantRefreshToken}, "scopes": {"openid offline_access"}})
	webtest.WantStatus(t, w, http.StatusSeeOther)
	cs, _ := h.Store.ListClients(h.Ctx())
	if len(cs) != 1 || !cs[0].Public || !slices.Contains(cs[0].GrantTypes, clients.GrantDeviceCode) {
		t.Fatalf("stored: %+v", cs)
	}
}

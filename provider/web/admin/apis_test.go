package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAdminAPIs: the APIs page lists, registers (refusing an identifier
// that is not an absolute URI, RFC 8707 §2) and deletes APIs, audited.
func TestAdminAPIs(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	a := h.signedInAdmin()
	if w := a.Get("/admin/apis"); !strings.Contains(w.Body.String(), "No APIs yet") {
		t.Fatalf("empty APIs page:\n%s", w.Body)
	}
	const orders = "https://api.example/orders"
	w := a.Post("/admin/apis", url.Values{"action": {"create"}, "identifier": {orders}, "name": {"Orders"},
		"scopes": {"orders:read = See your orders\n"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	body := a.Get("/admin/apis?done=api_created").Body.String()
	if !strings.Contains(body, orders) || !strings.Contains(body, "See your orders") {
		t.Fatalf("API not listed:\n%s", body)
	}
	if w := a.Post("/admin/apis", url.Values{"action": {"create"}, "identifier": {"relative"}, "name": {"Bad"}}); w.Code != http.StatusBadRequest {
		t.Fatalf("bad identifier: %d", w.Code)
	}
	if w := a.Post("/admin/apis", url.Values{"action": {"delete"}, "identifier": {orders}}); w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", w.Code)
	}
	if strings.Contains(a.Get("/admin/apis").Body.String(), orders) {
		t.Fatal("deleted API still listed")
	}
	if len(h.Audits("api.created")) != 1 || len(h.Audits("api.deleted")) != 1 {
		t.Fatal("create and delete not audited")
	}
}

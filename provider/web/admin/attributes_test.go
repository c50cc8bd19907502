package admin_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

// The user page's attributes textarea: saved (replace), shown back as
// JSON, and refused with the reason (not JSON, not an object, the
// instance schema) over the submitted text, changing nothing.
func TestAdminUserAttributes(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	policy, err := attributes.NewPolicy(nil, map[attributes.Kind][]byte{
		attributes.User: []byte(`{"type":"object","properties":{"level":{"type":"integer"}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	h.pages.Users.(*accounts.Users).Attributes = policy
	h.User("vic", "vic@example.com", "correct horse battery")
	a := h.signedInAdmin()
	a.Get("/admin/users/vic")
	w := a.Post("/admin/users/vic", url.Values{"action": {"set_attributes"}, "attributes": {`{"department": "Eng", "level": 2}`}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", w.Code, w.Body)
	}
	want := map[string]any{"department": "Eng", "level": float64(2)}
	if u, _ := h.Store.GetUser(h.Ctx(), "vic"); !reflect.DeepEqual(u.Attributes, want) {
		t.Fatalf("stored attributes = %v", u.Attributes)
	}
	body := a.Get("/admin/users/vic?done=attributes_saved").Body.String()
	if !strings.Contains(body, "Attributes saved") || !strings.Contains(body, "&#34;department&#34;: &#34;Eng&#34;") {
		t.Errorf("page does not show the saved attributes:\n%s", body)
	}
	if evs := h.Audits("user.attributes_changed"); len(evs) != 1 || evs[0].Details["keys"] != "department,level" {
		t.Errorf("audit = %+v", evs)
	}
	for name, c := range map[string]struct{ text, says string }{
		"syntax":     {`{"department": `, "not valid JSON"},
		"not object": {`["a"]`, "a JSON object"},
		"schema":     {`{"level": "high"}`, "/level"},
	} {
		a.Get("/admin/users/vic")
		w := a.Post("/admin/users/vic", url.Values{"action": {"set_attributes"}, "attributes": {c.text}})
		webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
		if b := w.Body.String(); !strings.Contains(b, c.says) || !strings.Contains(b, `aria-invalid="true"`) {
			t.Errorf("%s: the page does not say %q:\n%s", name, c.says, b)
		}
	}
	if u, _ := h.Store.GetUser(h.Ctx(), "vic"); !reflect.DeepEqual(u.Attributes, want) {
		t.Errorf("refused saves changed the attributes: %v", u.Attributes)
	}
	// Empty clears.
	a.Get("/admin/users/vic")
	if w := a.Post("/admin/users/vic", url.Values{"action": {"set_attributes"}, "attributes": {""}}); w.Code != http.StatusSeeOther {
		t.Fatalf("clear: %d", w.Code)
	}
	if u, _ := h.Store.GetUser(h.Ctx(), "vic"); u.Attributes != nil {
		t.Errorf("after clearing = %v", u.Attributes)
	}
}

// The organizations page and the user page's memberships edit
// organization and membership attributes the same way.
func TestAdminOrgAndMembershipAttributes(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	h.User("vic", "vic@example.com", "correct horse battery")
	if err := h.Store.CreateOrg(h.Ctx(), storage.Organization{ID: "acme", Name: "Acme", CreatedAt: h.Clock.Now(), UpdatedAt: h.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.AddMembership(h.Ctx(), storage.Membership{OrgID: "acme", UserID: "vic", Role: "member", CreatedAt: h.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	a := h.signedInAdmin()

	a.Get("/admin/organizations")
	w := a.Post("/admin/organizations", url.Values{"action": {"set_attributes"}, "org": {"acme"}, "attributes": {`{"plan":"pro"}`}})
	webtest.WantStatus(t, w, http.StatusSeeOther)
	if o, _ := h.Store.GetOrg(h.Ctx(), "acme"); !reflect.DeepEqual(o.Attributes, map[string]any{"plan": "pro"}) {
		t.Fatalf("org attributes = %v", o.Attributes)
	}
	if !strings.Contains(a.Get("/admin/organizations").Body.String(), "&#34;plan&#34;: &#34;pro&#34;") {
		t.Error("the organizations page does not show the attributes")
	}
	w = a.Post("/admin/organizations", url.Values{"action": {"set_attributes"}, "org": {"acme"}, "attributes": {`{"plan":`}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if b := w.Body.String(); !strings.Contains(b, "not valid JSON") || !strings.Contains(b, `{&#34;plan&#34;:</textarea>`) {
		t.Errorf("refusal not shown over the submitted text:\n%s", b)
	}
	if o, _ := h.Store.GetOrg(h.Ctx(), "acme"); !reflect.DeepEqual(o.Attributes, map[string]any{"plan": "pro"}) {
		t.Errorf("a refused save changed the org: %v", o.Attributes)
	}

	a.Get("/admin/users/vic")
	w = a.Post("/admin/users/vic", url.Values{"action": {"set_member_attributes"}, "org": {"acme"}, "attributes": {`{"cost_center":"42"}`}})
	webtest.WantStatus(t, w, http.StatusSeeOther)
	if m, _ := h.Store.GetMembership(h.Ctx(), "acme", "vic"); !reflect.DeepEqual(m.Attributes, map[string]any{"cost_center": "42"}) || m.Role != "member" {
		t.Fatalf("membership = %+v", m)
	}
	a.Get("/admin/users/vic")
	w = a.Post("/admin/users/vic", url.Values{"action": {"set_member_attributes"}, "org": {"acme"}, "attributes": {`[1]`}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "a JSON object") {
		t.Errorf("membership refusal not shown:\n%s", w.Body)
	}
	a.Get("/admin/users/vic")
	webtest.WantStatus(t, a.Post("/admin/users/vic", url.Values{"action": {"set_member_attributes"}, "org": {"nope"}, "attributes": {`{}`}}), http.StatusNotFound)
	a.Get("/admin/users/vic")
	webtest.WantStatus(t, a.Post("/admin/users/vic", url.Values{"action": {"set_member_attributes"}, "org": {"acme"}, "attributes": {""}}), http.StatusSeeOther)
	if m, _ := h.Store.GetMembership(h.Ctx(), "acme", "vic"); m.Attributes != nil {
		t.Errorf("after clearing = %v", m.Attributes)
	}
	for _, typ := range []string{"org.attributes_changed", "membership.attributes_changed"} {
		if len(h.Audits(typ)) == 0 {
			t.Errorf("no %s audit event", typ)
		}
	}
}

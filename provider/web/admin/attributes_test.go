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

package account_test

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

// The account page shows the keys the instance lets people edit (and no
// other), saves them with the CSRF token, keeps the administrator's other
// keys, and shows the schema's refusal without changing anything.
func TestAccountEditableAttributes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	policy, err := attributes.NewPolicy([]string{"nickname", "pronouns"}, map[attributes.Kind][]byte{
		attributes.User: []byte(`{"type":"object","properties":{"nickname":{"type":"string","maxLength":12}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	h.account.Attributes = &accounts.Users{Store: h.Store, Audit: h.Store, Attributes: policy, Now: h.Clock.Now}
	h.mount()
	h.User("u1", "ada@example.com", "correct horse battery staple")
	h.must(h.Store.UpdateUser(h.Ctx(), "u1", func(u storage.User) (storage.User, error) {
		u.Attributes = map[string]any{"department": "Eng", "pronouns": "she/her"}
		return u, nil
	}))
	b := h.Browser()
	b.SignIn("ada@example.com", "correct horse battery staple")
	body := b.Get("/account").Body.String()
	if !strings.Contains(body, `name="attr_nickname"`) || !strings.Contains(body, `value="she/her"`) {
		t.Fatalf("the page does not show the editable attributes:\n%s", body)
	}
	if strings.Contains(body, "attr_department") || strings.Contains(body, ">Eng<") {
		t.Errorf("the page shows an attribute the person may not edit")
	}

	w := b.Post("/account/attributes", url.Values{"attr_nickname": {"Ada"}, "attr_pronouns": {""}})
	webtest.WantStatus(t, w, http.StatusSeeOther)
	u, _ := h.Store.GetUser(h.Ctx(), "u1")
	if want := map[string]any{"department": "Eng", "nickname": "Ada"}; !reflect.DeepEqual(u.Attributes, want) {
		t.Fatalf("attributes = %v, want %v", u.Attributes, want)
	}
	if evs := h.Audits("user.attributes_changed"); len(evs) != 1 || evs[0].ActorID != "u1" || evs[0].Details["keys"] != "nickname,pronouns" {
		t.Errorf("audit = %+v", evs)
	}

	b.Get("/account")
	w = b.Post("/account/attributes", url.Values{"attr_nickname": {"A much too long nickname"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "/nickname") || !strings.Contains(w.Body.String(), `aria-invalid="true"`) {
		t.Errorf("the refusal does not show the validator's message:\n%s", w.Body)
	}
	if u2, _ := h.Store.GetUser(h.Ctx(), "u1"); !reflect.DeepEqual(u2.Attributes, u.Attributes) {
		t.Errorf("a refused save changed the attributes: %v", u2.Attributes)
	}
}

// Without editable keys there is no section and no route; the form needs
// the CSRF token.
func TestAccountAttributesOffAndCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.account.Attributes = &accounts.Users{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}
	h.mount()
	h.User("u1", "ada@example.com", "correct horse battery staple")
	b := h.Browser()
	b.SignIn("ada@example.com", "correct horse battery staple")
	if strings.Contains(b.Get("/account").Body.String(), "attr_") {
		t.Error("attributes section shown with no editable key")
	}
	if w := b.Post("/account/attributes", url.Values{"attr_nickname": {"x"}}); w.Code == http.StatusSeeOther {
		t.Errorf("POST /account/attributes with no editable key: %d", w.Code)
	}

	policy, _ := attributes.NewPolicy([]string{"nickname"}, nil)
	h.account.Attributes = &accounts.Users{Store: h.Store, Audit: h.Store, Attributes: policy, Now: h.Clock.Now}
	h.mount()
	b.Get("/account")
	w := b.Do(http.MethodPost, "/account/attributes", url.Values{"attr_nickname": {"x"}})
	if w.Code == http.StatusSeeOther {
		t.Errorf("POST without the CSRF token: %d", w.Code)
	}
	if u, _ := h.Store.GetUser(h.Ctx(), "u1"); u.Attributes != nil {
		t.Errorf("attributes changed without CSRF: %v", u.Attributes)
	}
}

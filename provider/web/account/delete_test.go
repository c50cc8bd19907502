package account_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

func TestDeleteOwnAccount(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	b := h.Browser()
	webtest.WantRedirect(t, b.Get("/account/delete"), "/login?return_to=%2Faccount%2Fdelete")
	b.SignIn("ada@example.com", orgPW)
	other := h.Browser()
	other.SignIn("ada@example.com", orgPW)
	otherSess, _ := other.Session()

	w := b.Get("/account/delete")
	webtest.WantStatus(t, w, http.StatusOK)
	// Without the typed confirmation, or with a wrong password, nothing
	// happens.
	webtest.WantStatus(t, b.Post("/account/delete", url.Values{"confirm": {"delete"}, "password": {orgPW}}), http.StatusUnprocessableEntity)
	b.Get("/account/delete")
	w = b.Post("/account/delete", url.Values{"confirm": {"DELETE"}, "password": {"wrong password here"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "password is incorrect") {
		t.Fatalf("wrong password page:\n%s", w.Body)
	}
	webtest.WantStatus(t, b.Do(http.MethodPost, "/account/delete", url.Values{"confirm": {"DELETE"}, "password": {orgPW}, "csrf_token": {"forged"}}),
		http.StatusForbidden)
	if _, err := h.Store.GetUser(h.Ctx(), "ada"); err != nil {
		t.Fatalf("refused deletions removed the user: %v", err)
	}

	b.Get("/account/delete")
	w = b.Post("/account/delete", url.Values{"confirm": {"DELETE"}, "password": {orgPW}})
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "Your account is deleted") {
		t.Fatalf("after delete:\n%s", w.Body)
	}
	if _, err := h.Store.GetUser(h.Ctx(), "ada"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("user after delete: %v", err)
	}
	if _, ok := b.Session(); ok {
		t.Error("the deleting browser is still signed in")
	}
	if _, ok := other.Session(); ok {
		t.Error("another browser is still signed in")
	}
	found := false
	for _, e := range h.Notified.Ended() {
		found = found || e == "ada/"+otherSess.ID
	}
	if !found {
		t.Errorf("back-channel notifications %v lack the other session", h.Notified.Ended())
	}
	evs := h.Audits("user.deleted")
	if len(evs) != 1 || evs[0].ActorID != "ada" || evs[0].SubjectID != "ada" {
		t.Fatalf("audit = %+v", evs)
	}
}

package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/storage"
)

func TestDeleteOwnAccount(t *testing.T) {
	h := newHarness(t)
	h.user("ada", "ada@example.com", orgPW)
	b := h.browser()
	wantRedirect(t, b.get("/account/delete"), "/login?return_to=%2Faccount%2Fdelete")
	b.signIn("ada@example.com", orgPW)
	other := h.browser()
	other.signIn("ada@example.com", orgPW)
	otherSess, _ := other.session()

	w := b.get("/account/delete")
	wantStatus(t, w, http.StatusOK)
	// Without the typed confirmation, or with a wrong password, nothing
	// happens.
	wantStatus(t, b.post("/account/delete", url.Values{"confirm": {"delete"}, "password": {orgPW}}), http.StatusUnprocessableEntity)
	b.get("/account/delete")
	w = b.post("/account/delete", url.Values{"confirm": {"DELETE"}, "password": {"wrong password here"}})
	wantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "password is incorrect") {
		t.Fatalf("wrong password page:\n%s", w.Body)
	}
	wantStatus(t, b.do(http.MethodPost, "/account/delete", url.Values{"confirm": {"DELETE"}, "password": {orgPW}, "csrf_token": {"forged"}}),
		http.StatusForbidden)
	if _, err := h.store.GetUser(h.ctx(), "ada"); err != nil {
		t.Fatalf("refused deletions removed the user: %v", err)
	}

	b.get("/account/delete")
	w = b.post("/account/delete", url.Values{"confirm": {"DELETE"}, "password": {orgPW}})
	wantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "Your account is deleted") {
		t.Fatalf("after delete:\n%s", w.Body)
	}
	if _, err := h.store.GetUser(h.ctx(), "ada"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("user after delete: %v", err)
	}
	if _, ok := b.session(); ok {
		t.Error("the deleting browser is still signed in")
	}
	if _, ok := other.session(); ok {
		t.Error("another browser is still signed in")
	}
	found := false
	for _, e := range h.notified.ended {
		found = found || e == "ada/"+otherSess.ID
	}
	if !found {
		t.Errorf("back-channel notifications %v lack the other session", h.notified.ended)
	}
	evs := h.audits("user.deleted")
	if len(evs) != 1 || evs[0].ActorID != "ada" || evs[0].SubjectID != "ada" {
		t.Fatalf("audit = %+v", evs)
	}
}

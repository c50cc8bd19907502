package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

// noTOTP is the second factor of people who never set up an
// authenticator app.
type noTOTP struct{}

func (noTOTP) Disable(context.Context, string) error { return mfa.ErrNotEnabled }

// The user page lists a person's passkeys (name, type, added, last used)
// and removes one only with the form's token and the confirmation box,
// audited passkey.removed with the administrator as actor; the reset
// removes the rest and ends the person's sessions, and a second reset says
// there is nothing left.
func TestAdminUserPasskeys(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	h.User("vic", "vic@example.com", "correct horse battery")
	vic := h.Browser()
	vic.SignIn("vic@example.com", "correct horse battery")
	now := h.Clock.Now()
	for _, p := range []storage.Passkey{
		{ID: "pk1", UserID: "vic", CredentialID: []byte("c1"), Credential: []byte("{}"), Name: "Work laptop", Attachment: "platform",
			CreatedAt: now.Add(-48 * time.Hour), LastUsedAt: now.Add(-time.Hour)},
		{ID: "pk2", UserID: "vic", CredentialID: []byte("c2"), Credential: []byte("{}"), Name: "Yubikey", Attachment: "cross-platform",
			CreatedAt: now.Add(-24 * time.Hour), CloneWarning: true},
	} {
		if err := h.Store.CreatePasskey(h.Ctx(), p); err != nil {
			t.Fatal(err)
		}
	}
	a := h.signedInAdmin()
	body := a.Get("/admin/users/vic").Body.String()
	for _, want := range []string{"Work laptop", "built into a device", "last used " + now.Add(-time.Hour).UTC().Format("2006-01-02 15:04 UTC"),
		"Yubikey", "security key or phone", "never used", "possibly copied"} {
		if !strings.Contains(body, want) {
			t.Errorf("user page lacks %q:\n%s", want, body)
		}
	}

	// Without the confirmation nothing is removed.
	webtest.WantStatus(t, a.Post("/admin/users/vic", url.Values{"action": {"remove_passkey"}, "passkey": {"pk1"}}), http.StatusUnprocessableEntity)
	if ps, _ := h.Store.ListPasskeys(h.Ctx(), "vic"); len(ps) != 2 {
		t.Fatalf("removed without confirmation: %+v", ps)
	}
	// Without the form's token neither (webtest's agent sends it; a bare
	// post from elsewhere does not).
	other := h.Browser()
	other.SignIn("admin@example.com", "correct horse battery")
	if w := other.Do(http.MethodPost, "/admin/users/vic", url.Values{"action": {"remove_passkey"}, "passkey": {"pk1"}, "confirm": {"yes"}}); w.Code != http.StatusForbidden {
		t.Errorf("post without the form token: %d", w.Code)
	}
	a.Get("/admin/users/vic")
	w := a.Post("/admin/users/vic", url.Values{"action": {"remove_passkey"}, "passkey": {"pk1"}, "confirm": {"yes"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d\n%s", w.Code, w.Body)
	}
	if ps, _ := h.Store.ListPasskeys(h.Ctx(), "vic"); len(ps) != 1 || ps[0].ID != "pk2" {
		t.Fatalf("after the removal: %+v", ps)
	}
	if evs := h.Audits("passkey.removed"); len(evs) != 1 || evs[0].ActorID != "root" || evs[0].SubjectID != "vic" || evs[0].Details["passkey_id"] != "pk1" {
		t.Fatalf("audit: %+v", evs)
	}
	if !strings.Contains(a.Get(w.Header().Get("Location")).Body.String(), "Passkey removed") {
		t.Error("no notice after the removal")
	}
	webtest.WantStatus(t, a.Post("/admin/users/vic", url.Values{"action": {"remove_passkey"}, "passkey": {"pk1"}, "confirm": {"yes"}}), http.StatusNotFound)

	a.Get("/admin/users/vic")
	webtest.WantStatus(t, a.Post("/admin/users/vic", url.Values{"action": {"reset_mfa"}}), http.StatusUnprocessableEntity)
	if w := a.Post("/admin/users/vic", url.Values{"action": {"reset_mfa"}, "confirm": {"yes"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", w.Code, w.Body)
	}
	if ps, _ := h.Store.ListPasskeys(h.Ctx(), "vic"); len(ps) != 0 {
		t.Errorf("passkeys after the reset: %+v", ps)
	}
	if _, ok := vic.Session(); ok {
		t.Error("the person is still signed in after the reset")
	}
	if evs := h.Audits("passkey.removed"); len(evs) != 2 {
		t.Errorf("audit after the reset: %+v", evs)
	}
	a.Get("/admin/users/vic")
	webtest.WantStatus(t, a.Post("/admin/users/vic", url.Values{"action": {"reset_mfa"}, "confirm": {"yes"}}), http.StatusNotFound)
}

// The organizations page turns an organization's passkey requirement on
// and off (with the form's token), audited org.require_passkey.
func TestAdminOrgRequirePasskey(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	if err := h.Store.CreateOrg(h.Ctx(), storage.Organization{ID: "acme", Name: "Acme", CreatedAt: h.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	a := h.signedInAdmin()
	if body := a.Get("/admin/organizations").Body.String(); !strings.Contains(body, "Require a passkey") || strings.Contains(body, "passkey required") {
		t.Fatalf("organizations page:\n%s", body)
	}
	w := a.Post("/admin/organizations", url.Values{"action": {"require_passkey"}, "org": {"acme"}, "on": {"true"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("require passkey: %d\n%s", w.Code, w.Body)
	}
	if o, _ := h.Store.GetOrg(h.Ctx(), "acme"); !o.RequirePasskey {
		t.Fatal("requirement not on")
	}
	if body := a.Get(w.Header().Get("Location")).Body.String(); !strings.Contains(body, "passkey required") || !strings.Contains(body, "Stop requiring a passkey") {
		t.Errorf("organizations page after:\n%s", body)
	}
	a.Post("/admin/organizations", url.Values{"action": {"require_passkey"}, "org": {"acme"}, "on": {"false"}})
	if o, _ := h.Store.GetOrg(h.Ctx(), "acme"); o.RequirePasskey {
		t.Fatal("requirement not off")
	}
	if evs := h.Audits("org.require_passkey"); len(evs) != 2 || evs[0].ActorID != "root" {
		t.Errorf("audit: %+v", evs)
	}
	a.Get("/admin/organizations")
	webtest.WantStatus(t, a.Post("/admin/organizations", url.Values{"action": {"require_passkey"}, "org": {"nope"}, "on": {"true"}}), http.StatusNotFound)
	webtest.WantStatus(t, a.Post("/admin/organizations", url.Values{"action": {"require_passkey"}, "org": {"acme"}, "on": {"maybe"}}), http.StatusBadRequest)
}

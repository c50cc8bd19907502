package orgs

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/provisioning"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

var newTokenField = regexp.MustCompile(`id="scim-new-token" type="text" value="([^"]+)"`)

// TestScimTokenThroughThePage: an owner makes the organization's SCIM
// token on its page (shown once, in the answer, stored as a hash),
// replaces it and revokes it, each audited; a forged form and a member
// who is not an admin are refused.
func TestScimTokenThroughThePage(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	orgsSvc := &accounts.Organizations{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}
	prov := &provisioning.Service{Store: h.Store, Orgs: orgsSvc, Audit: h.Store, Now: h.Clock.Now,
		Users: &accounts.Users{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}}
	pages, err := New(Pages{Site: h.Site(), Store: h.Store, Orgs: orgsSvc, Provisioning: prov, ScimBaseURL: "https://id.example/scim/v2"})
	if err != nil {
		t.Fatal(err)
	}
	h.Mount(pages.Routes())
	h.User("ada", "ada@example.com", orgPW)
	h.User("bob", "bob@example.com", orgPW)
	owner := h.Browser()
	owner.SignInAs("ada")
	acme := owner.CreateOrg("Acme")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.Store.AddMembership(h.Ctx(), storage.Membership{OrgID: acme, UserID: "bob", Role: "member"}))
	path := "/organizations/" + acme

	w := owner.Get(path)
	if body := w.Body.String(); !strings.Contains(body, "https://id.example/scim/v2/"+acme) || !strings.Contains(body, "No token yet") {
		t.Fatalf("SCIM panel:\n%s", body)
	}
	form := url.Values{"action": {"scim_token_create"}, "csrf_token": {"forged"}}
	webtest.WantStatus(t, owner.Do(http.MethodPost, path, form), http.StatusForbidden)

	w = owner.Post(path, url.Values{"action": {"scim_token_create"}})
	webtest.WantStatus(t, w, http.StatusOK)
	m := newTokenField.FindStringSubmatch(w.Body.String())
	if m == nil || !strings.HasPrefix(m[1], provisioning.TokenPrefix) {
		t.Fatalf("no new token on the page:\n%s", w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q", cc)
	}
	first := m[1]
	must(prov.Authenticate(h.Ctx(), acme, first))
	stored, err := h.Store.GetScimToken(h.Ctx(), acme)
	must(err)
	if strings.Contains(string(stored.Hash), first) || len(stored.Hash) != 32 {
		t.Error("the token is not stored as its SHA-256")
	}
	// Reloading never shows it again.
	if w = owner.Get(path); newTokenField.MatchString(w.Body.String()) || strings.Contains(w.Body.String(), first) {
		t.Error("the token is shown again")
	}
	w = owner.Post(path, url.Values{"action": {"scim_token_create"}})
	second := newTokenField.FindStringSubmatch(w.Body.String())
	if second == nil || second[1] == first {
		t.Fatal("replacing made no new token")
	}
	if err := prov.Authenticate(h.Ctx(), acme, first); err == nil {
		t.Error("the replaced token still works")
	}

	member := h.Browser()
	member.SignInAs("bob")
	if body := member.Get(path).Body.String(); strings.Contains(body, "SCIM provisioning") {
		t.Error("a member sees the SCIM panel")
	}
	webtest.WantStatus(t, member.Post(path, url.Values{"action": {"scim_token_revoke"}}), http.StatusUnprocessableEntity)
	must(prov.Authenticate(h.Ctx(), acme, second[1]))

	owner.Get(path)
	webtest.WantStatus(t, owner.Post(path, url.Values{"action": {"scim_token_revoke"}}), http.StatusSeeOther)
	if err := prov.Authenticate(h.Ctx(), acme, second[1]); err == nil {
		t.Error("the revoked token still works")
	}
	if n := len(h.Audits("scim.token_created")); n != 2 {
		t.Errorf("%d scim.token_created events", n)
	}
	if ev := h.Audits("scim.token_revoked"); len(ev) != 1 || ev[0].OrgID != acme || ev[0].ActorID != "ada" {
		t.Errorf("scim.token_revoked: %+v", ev)
	}
}

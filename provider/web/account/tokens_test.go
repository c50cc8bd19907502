package account_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

// At the cap the form comes back saying so, and nothing is stored; a
// token already gone is no error to the user.
func TestAccountTokenCap(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	for i := range pat.MaxTokens {
		_, hash := pat.New()
		h.must(h.Store.CreatePAT(h.Ctx(), storage.PAT{ID: fmt.Sprint("pat", i), UserID: "ann", Name: "old", TokenHash: hash,
			Scopes: []string{"openid"}, CreatedAt: h.Clock.Now()}))
	}
	a, _ := h.SignInAt("ann@example.com", annPassword, "/account")
	w := a.Post("/account/tokens", url.Values{"name": {"one more"}, "scope": {"openid"}, "expires": {"30"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), fmt.Sprintf("You have %d tokens, the most allowed.", pat.MaxTokens)) {
		t.Fatalf("the page does not name the cap:\n%s", w.Body)
	}
	if ps, _ := h.Store.ListPATsByUser(h.Ctx(), "ann"); len(ps) != pat.MaxTokens || len(h.Audits("pat.created")) != 0 {
		t.Fatalf("%d tokens stored past the cap", len(ps))
	}
	w = a.Post("/account/tokens/revoke", url.Values{"token_id": {"no-such-token"}})
	if w.Code != http.StatusSeeOther || len(h.Audits("pat.revoked")) != 0 {
		t.Fatalf("revoking a token already gone: %d, %d audited", w.Code, len(h.Audits("pat.revoked")))
	}
}

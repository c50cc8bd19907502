package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/storage"
)

// At the cap the form comes back saying so, and nothing is stored; a
// token already gone is no error to the person.
func TestAccountTokenCap(t *testing.T) {
	h := newHarness(t)
	h.user("ann", "ann@example.com", annPassword)
	for i := range pat.MaxTokens {
		_, hash := pat.New()
		h.must(h.store.CreatePAT(h.ctx(), storage.PAT{ID: fmt.Sprint("pat", i), UserID: "ann", Name: "old", TokenHash: hash,
			Scopes: []string{"openid"}, CreatedAt: h.clock.now()}))
	}
	a, _ := h.signedInAgent("ann@example.com", annPassword)
	w := a.post("/account/tokens", url.Values{"name": {"one more"}, "scope": {"openid"}, "expires": {"30"}})
	wantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), fmt.Sprintf("You have %d tokens, the most allowed.", pat.MaxTokens)) {
		t.Fatalf("the page does not name the cap:\n%s", w.Body)
	}
	if ps, _ := h.store.ListPATsByUser(h.ctx(), "ann"); len(ps) != pat.MaxTokens || len(h.audits("pat.created")) != 0 {
		t.Fatalf("%d tokens stored past the cap", len(ps))
	}
	w = a.post("/account/tokens/revoke", url.Values{"token_id": {"no-such-token"}})
	if w.Code != http.StatusSeeOther || len(h.audits("pat.revoked")) != 0 {
		t.Fatalf("revoking a token already gone: %d, %d audited", w.Code, len(h.audits("pat.revoked")))
	}
}

package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ostiary/ostiary/internal/fakesaml"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

// samlHarness is the harness with organization single sign-on through one
// SAML connector, "acme-saml", to a test identity provider; Acme owns the
// verified domain acme.example and maps the group eng to admin.
type samlHarness struct {
	*harness
	idp *fakesaml.Server
}

var bea = fakesaml.Person{NameID: "bea-at-acme", Email: "bea@acme.example", Name: "Bea Acme", Groups: []string{"eng"}}

func newSAMLHarness(t *testing.T, mutate ...func(*connectors.SAML)) *samlHarness {
	t.Helper()
	h := &samlHarness{harness: newHarness(t), idp: fakesaml.New(bea)}
	t.Cleanup(h.idp.Close)
	h.idp.Now = h.Clock.Now
	key, err := connectors.NewSAMLKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := connectors.Config{ID: "acme-saml", Type: connectors.TypeSAML, Name: "Acme SAML", ClientSecret: key,
		SAML: connectors.SAML{MetadataURL: h.idp.MetadataURL()}}
	for _, m := range mutate {
		m(&cfg.SAML)
	}
	set, err := connectors.NewSet([]connectors.Config{cfg}, connectors.Deps{Now: h.Clock.Now, Issuer: webtest.Issuer,
		SAMLAssertions: h.Store})
	if err != nil {
		t.Fatal(err)
	}
	sso := &orgsso.Service{Store: h.Store, Audit: h.Store, Orgs: h.orgRules, Connectors: set,
		Resolver: orgsso.NewResolver("127.0.0.1:1"), Now: h.Clock.Now}
	h.federate(set, sso)
	h.orgs.SSO = &orgs.SSO{Service: sso, Connectors: set}
	ctx := h.Ctx()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.Store.CreateOrg(ctx, storage.Organization{ID: "acme", Name: "Acme"}))
	must(h.Store.CreateOrgDomain(ctx, storage.OrgDomain{Domain: "acme.example", OrgID: "acme", Token: "t",
		CreatedAt: h.Clock.Now(), VerifiedAt: h.Clock.Now()}))
	must(h.Store.PutOrgConnector(ctx, storage.OrgConnector{OrgID: "acme", ConnectorID: "acme-saml", DefaultRole: "member",
		GroupRoles: map[string]string{"eng": "admin"}, CreatedAt: h.Clock.Now(), UpdatedAt: h.Clock.Now()}))
	// The identity provider's administrator registers us by our metadata.
	md := h.Browser().Get("/sso/saml/acme-saml/metadata")
	if md.Code != http.StatusOK || !strings.Contains(md.Body.String(), webtest.Issuer+"/sso/saml/acme-saml/acs") {
		t.Fatalf("SP metadata: %d\n%s", md.Code, md.Body)
	}
	must(h.idp.AddSP(md.Body.Bytes()))
	return h
}

// start sends a browser through home-realm discovery to the identity
// provider and returns the response it posts back (not yet posted).
func (h *samlHarness) start(a *webtest.Agent) fakesaml.Form {
	h.T.Helper()
	a.Get("/login")
	w := a.Post("/login", url.Values{"action": {"login"}, "email": {"bea@acme.example"}, "sso": {"1"}})
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, h.idp.URL+"/sso?") {
		h.T.Fatalf("home realm: %d to %q\n%s", w.Code, loc, w.Body)
	}
	u, _ := url.Parse(loc)
	if u.Query().Get("SAMLRequest") == "" || u.Query().Get("RelayState") == "" {
		h.T.Fatalf("no HTTP-Redirect AuthnRequest in %s", loc)
	}
	resp, err := http.Get(loc)
	if err != nil {
		h.T.Fatal(err)
	}
	resp.Body.Close()
	f := h.idp.Last()
	if resp.StatusCode != http.StatusOK || f.ACS != webtest.Issuer+"/sso/saml/acme-saml/acs" {
		h.T.Fatalf("identity provider: %d, form %+v", resp.StatusCode, f)
	}
	return f
}

// post posts f to the ACS as the identity provider's page does: a
// cross-site form post, without our cookies; the agent keeps its cookies
// for the same-site redirect that follows.
func (h *samlHarness) post(a *webtest.Agent, f fakesaml.Form) *httptestResponse {
	h.T.Helper()
	kept := a.Cookies
	a.Cookies, a.Site = map[string]*http.Cookie{}, "cross-site"
	w := a.Do(http.MethodPost, "/sso/saml/acme-saml/acs", f.Values())
	for k, c := range a.Cookies {
		kept[k] = c
	}
	a.Cookies, a.Site = kept, "same-origin"
	return &httptestResponse{Code: w.Code, Location: w.Header().Get("Location"), Body: w.Body.String()}
}

// unsolicited has the identity provider make an IdP-initiated response.
func (h *samlHarness) unsolicited() fakesaml.Form {
	h.T.Helper()
	resp, err := http.Get(h.idp.URL + "/unsolicited?" + url.Values{"sp": {webtest.Issuer + "/sso/saml/acme-saml/metadata"}}.Encode())
	if err != nil {
		h.T.Fatal(err)
	}
	resp.Body.Close()
	return h.idp.Last()
}

type httptestResponse struct {
	Code           int
	Location, Body string
}

// TestSAMLSignIn: a person of the verified domain signs in through the
// organization's SAML identity provider (SP-initiated: HTTP-Redirect
// AuthnRequest, HTTP-POST Response), joins the organization with the role
// their group maps to, and the success is audited as saml.sso.
func TestSAMLSignIn(t *testing.T) {
	t.Parallel()
	h := newSAMLHarness(t)
	a := h.Browser()
	f := h.start(a)
	w := h.post(a, f)
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Location, "/login/upstream/callback?state=") {
		t.Fatalf("ACS: %d to %q\n%s", w.Code, w.Location, w.Body)
	}
	page := a.Get(w.Location)
	webtest.WantPage(t, page, page.Body.String(), http.StatusOK, "Signing you in")
	sess, ok := a.Session()
	if !ok || sess.IdP != "acme-saml" || sess.OrgID != "acme" {
		t.Fatalf("session %+v", sess)
	}
	u, err := h.Store.GetUser(h.Ctx(), sess.UserID)
	if err != nil || u.Email != "bea@acme.example" || !u.EmailVerified || u.Name != "Bea Acme" {
		t.Fatalf("user %+v (%v)", u, err)
	}
	m, err := h.Store.GetMembership(h.Ctx(), "acme", sess.UserID)
	if err != nil || m.Role != "admin" {
		t.Fatalf("membership %+v (%v)", m, err)
	}
	if evs := h.Audits("saml.sso"); len(evs) != 1 || evs[0].OrgID != "acme" || evs[0].Details["connector"] != "acme-saml" {
		t.Fatalf("saml.sso audit %+v", evs)
	}
	// The same response posted again is refused: its request is answered.
	w = h.post(h.Browser(), f)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body, "This sign-in did not start here") {
		t.Fatalf("second post: %d\n%s", w.Code, w.Body)
	}
	// A second sign-in finds the same account by the NameID.
	b := h.Browser()
	w = h.post(b, h.start(b))
	b.Get(w.Location)
	if s2, _ := b.Session(); s2.UserID != sess.UserID {
		t.Fatalf("second sign-in user %q, want %q", s2.UserID, sess.UserID)
	}
}

// The response is only finished in the browser that started the sign-in.
func TestSAMLOtherBrowser(t *testing.T) {
	t.Parallel()
	h := newSAMLHarness(t)
	f := h.start(h.Browser())
	other := h.Browser()
	w := h.post(other, f)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("ACS: %d\n%s", w.Code, w.Body)
	}
	page := other.Get(w.Location)
	webtest.WantPage(t, page, page.Body.String(), http.StatusBadRequest, "This sign-in started in another browser")
	if _, ok := other.Session(); ok {
		t.Fatal("signed in in another browser")
	}
}

// assertion returns the response's Assertion element.
func assertion(t *testing.T, doc *etree.Document) *etree.Element {
	t.Helper()
	a := doc.Root().SelectElement("Assertion")
	if a == nil {
		t.Fatalf("no assertion in\n%s", docString(doc))
	}
	return a
}

func docString(doc *etree.Document) string {
	s, _ := doc.WriteToString()
	return s
}

func removeSignature(el *etree.Element) {
	for _, s := range el.SelectElements("Signature") {
		el.RemoveChild(s)
	}
}

// evilCopy is an unsigned copy of the assertion a for Mallory.
func evilCopy(a *etree.Element) *etree.Element {
	evil := a.Copy()
	removeSignature(evil)
	evil.FindElement("./Subject/NameID").SetText("mallory")
	for _, v := range evil.FindElements(".//AttributeValue") {
		if strings.Contains(v.Text(), "@") {
			v.SetText("mallory@acme.example")
		}
	}
	evil.CreateAttr("ID", "evil-assertion")
	return evil
}

// resign signs the assertion again and the response, both in place, as
// the identity provider would have, after a change.
func resign(idp *fakesaml.Server, doc *etree.Document) {
	root := doc.Root()
	a := root.SelectElement("Assertion")
	removeSignature(root)
	signedA := idp.Sign(a)
	idx := a.Index()
	root.RemoveChildAt(idx)
	root.InsertChildAt(idx, signedA)
	doc.SetRoot(idp.Sign(root))
}

// TestSAMLRefused: each response the checks refuse gets a clear page and
// a saml.sso_failure audit event with its reason, and signs nobody in.
func TestSAMLRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*connectors.SAML)
		tamper func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form
		reason string
		page   string
	}{
		{name: "unsigned", reason: connectors.SAMLReasonUnsigned, page: "did not pass our checks",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				doc := f.Decode()
				removeSignature(doc.Root())
				removeSignature(assertion(t, doc))
				return f.Encode(doc)
			}},
		{name: "signed response only, assertion required", reason: connectors.SAMLReasonUnsigned, page: "did not pass our checks",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				doc := f.Decode()
				removeSignature(assertion(t, doc))
				doc.SetRoot(h.idp.Sign(doc.Root()))
				return f.Encode(doc)
			}},
		{name: "signed assertion only, response required", mutate: func(s *connectors.SAML) { s.Signed = connectors.SAMLSignedResponse },
			reason: connectors.SAMLReasonUnsigned, page: "did not pass our checks",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				doc := f.Decode()
				removeSignature(doc.Root())
				return f.Encode(doc)
			}},
		{name: "changed after signing", reason: connectors.SAMLReasonSignature, page: "did not pass our checks",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				doc := f.Decode()
				removeSignature(doc.Root())
				nameID := assertion(t, doc).FindElement("./Subject/NameID")
				nameID.SetText("mallory")
				return f.Encode(doc)
			}},
		// XML signature wrapping: the signed assertion is moved into an
		// Extensions element and an unsigned assertion for Mallory takes
		// its place (and the other way round).
		{name: "XSW signed assertion moved, evil one inserted", reason: connectors.SAMLReasonUnsigned, page: "did not pass our checks",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				doc := f.Decode()
				root := doc.Root()
				removeSignature(root)
				signed := assertion(t, doc)
				evil := evilCopy(signed)
				idx := signed.Index()
				root.RemoveChildAt(idx)
				ext := etree.NewElement("samlp:Extensions")
				ext.AddChild(signed)
				root.InsertChildAt(idx, ext)
				root.InsertChildAt(idx+1, evil)
				return f.Encode(doc)
			}},
		{name: "XSW evil assertion next to the signed one", reason: connectors.SAMLReasonMalformed, page: "did not pass our checks",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				doc := f.Decode()
				root := doc.Root()
				removeSignature(root)
				signed := assertion(t, doc)
				root.InsertChildAt(signed.Index(), evilCopy(signed))
				return f.Encode(doc)
			}},
		{name: "XSW signed response, evil assertion outside its signature", reason: connectors.SAMLReasonUnsigned, page: "did not pass our checks",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				doc := f.Decode()
				root := doc.Root()
				// The signed original is wrapped inside a forged outer
				// Response whose own assertion is unsigned.
				outer := root.Copy()
				removeSignature(outer)
				a := outer.SelectElement("Assertion")
				removeSignature(a)
				a.FindElement("./Subject/NameID").SetText("mallory")
				a.CreateAttr("ID", "evil-assertion")
				outer.CreateAttr("ID", "evil-response")
				ext := etree.NewElement("samlp:Extensions")
				ext.AddChild(root.Copy())
				outer.InsertChildAt(0, ext)
				doc.SetRoot(outer)
				return f.Encode(doc)
			}},
		{name: "expired", reason: connectors.SAMLReasonExpired, page: "This sign-in has expired",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				h.Clock.Add(5 * time.Minute) // within the state's lifetime, past the assertion's
				return f
			}},
		{name: "wrong audience", reason: connectors.SAMLReasonAudience, page: "did not pass our checks",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				doc := f.Decode()
				assertion(t, doc).FindElement("./Conditions/AudienceRestriction/Audience").SetText("https://other.example/saml")
				resign(h.idp, doc)
				return f.Encode(doc)
			}},
		{name: "wrong recipient", reason: connectors.SAMLReasonRecipient, page: "did not pass our checks",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				doc := f.Decode()
				assertion(t, doc).FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData").
					CreateAttr("Recipient", "https://other.example/acs")
				resign(h.idp, doc)
				return f.Encode(doc)
			}},
		{name: "wrong destination", reason: connectors.SAMLReasonRecipient, page: "did not pass our checks",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				doc := f.Decode()
				doc.Root().CreateAttr("Destination", "https://other.example/acs")
				resign(h.idp, doc)
				return f.Encode(doc)
			}},
		{name: "answers another request", reason: connectors.SAMLReasonInResponseTo, page: "This sign-in did not start here",
			tamper: func(t *testing.T, h *samlHarness, f fakesaml.Form) fakesaml.Form {
				f.RelayState = "not-ours"
				return f
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var mutate []func(*connectors.SAML)
			if c.mutate != nil {
				mutate = append(mutate, c.mutate)
			}
			h := newSAMLHarness(t, mutate...)
			a := h.Browser()
			f := c.tamper(t, h, h.start(a))
			w := h.post(a, f)
			if w.Code < 400 || !strings.Contains(w.Body, c.page) {
				t.Fatalf("ACS: %d to %q, want a page with %q\n%s", w.Code, w.Location, c.page, w.Body)
			}
			evs := h.Audits("saml.sso_failure")
			if len(evs) != 1 || evs[0].Details["reason"] != c.reason || evs[0].Details["connector"] != "acme-saml" {
				t.Fatalf("audit %+v, want reason %q", evs, c.reason)
			}
			if len(h.Audits("saml.sso")) != 0 {
				t.Fatal("a refused response was audited as a sign-in")
			}
			if _, ok := a.Session(); ok {
				t.Fatal("signed in")
			}
			if _, err := h.Store.GetUserByEmail(h.Ctx(), "mallory@acme.example"); err == nil {
				t.Fatal("mallory got an account")
			}
		})
	}
}

// IdP-initiated sign-on is refused unless the connector allows it; then
// each response signs in once (the assertion ID is remembered).
func TestSAMLIdPInitiated(t *testing.T) {
	t.Parallel()
	off := newSAMLHarness(t)
	w := off.post(off.Browser(), off.unsolicited())
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body, "This sign-in did not start here") {
		t.Fatalf("unsolicited, off: %d\n%s", w.Code, w.Body)
	}
	if evs := off.Audits("saml.sso_failure"); len(evs) != 1 || evs[0].Details["reason"] != connectors.SAMLReasonInResponseTo {
		t.Fatalf("audit %+v", evs)
	}

	on := newSAMLHarness(t, func(s *connectors.SAML) { s.AllowIDPInitiated = true })
	f := on.unsolicited()
	a := on.Browser()
	w = on.post(a, f)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("unsolicited, on: %d\n%s", w.Code, w.Body)
	}
	page := a.Get(w.Location)
	webtest.WantPage(t, page, page.Body.String(), http.StatusOK, "Signing you in")
	if sess, ok := a.Session(); !ok || sess.OrgID != "acme" {
		t.Fatalf("session %+v", sess)
	}
	// Replayed: the same response again, from any browser.
	w = on.post(on.Browser(), f)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body, "This sign-in was already used") {
		t.Fatalf("replay: %d\n%s", w.Code, w.Body)
	}
	if evs := on.Audits("saml.sso_failure"); len(evs) != 1 || evs[0].Details["reason"] != connectors.SAMLReasonReplayed {
		t.Fatalf("audit %+v", evs)
	}
}

// The organization's owner finds, where single sign-on is set up, what to
// give the SAML identity provider's administrator.
func TestSAMLOrgPage(t *testing.T) {
	t.Parallel()
	h := newSAMLHarness(t)
	h.User("olga", "olga@example.com", "olga's password 1234")
	if err := h.Store.AddMembership(h.Ctx(), storage.Membership{OrgID: "acme", UserID: "olga", Role: "owner"}); err != nil {
		t.Fatal(err)
	}
	olga := h.Browser()
	olga.SignIn("olga@example.com", "olga's password 1234")
	page := olga.Get("/organizations/acme")
	webtest.WantPage(t, page, page.Body.String(), http.StatusOK, "For your SAML identity provider", "Acme SAML",
		webtest.Issuer+"/sso/saml/acme-saml/metadata", webtest.Issuer+"/sso/saml/acme-saml/acs")
}

// A response issued beyond the clock skew in the future is refused, and so
// is an IdP-initiated one for an address outside the organization's
// verified domains.
func TestSAMLRefusedMore(t *testing.T) {
	t.Parallel()
	h := newSAMLHarness(t, func(s *connectors.SAML) { s.AllowIDPInitiated = true })
	for _, c := range []struct {
		name, reason string
		setup        func()
	}{
		{"from the future", connectors.SAMLReasonNotYetValid, func() {
			h.idp.Now = func() time.Time { return h.Clock.Now().Add(10 * time.Minute) }
		}},
		{"outside the domain", "domain_not_verified", func() {
			h.idp.Now = h.Clock.Now
			h.idp.SetPerson(fakesaml.Person{NameID: "eve", Email: "eve@elsewhere.example"})
		}},
	} {
		c.setup()
		b := h.Browser()
		w := h.post(b, h.unsolicited())
		found := false
		for _, e := range h.Audits("saml.sso_failure") {
			found = found || e.Details["reason"] == c.reason
		}
		if evs := h.Audits("saml.sso_failure"); w.Code != http.StatusBadRequest || !found {
			t.Fatalf("%s: %d, audit %+v\n%s", c.name, w.Code, evs, w.Body)
		}
		if _, ok := b.Session(); ok {
			t.Fatalf("%s: signed in", c.name)
		}
	}
}

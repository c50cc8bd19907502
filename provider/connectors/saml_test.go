package connectors

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml/testsaml"

	"github.com/ostiary/ostiary/internal/fakesaml"
)

type acceptAll struct{}

func (acceptAll) UseSAMLAssertion(context.Context, []byte, time.Time, time.Time) error { return nil }

var samlNow = time.Date(2031, 5, 4, 12, 0, 0, 0, time.UTC)

// newTestSAML is a SAML connector to a fresh crewjam identity provider,
// given by metadata XML (edit changes it first), which knows our metadata.
func newTestSAML(t testing.TB, edit func(string) string) (*SAMLConnector, *fakesaml.Server) {
	t.Helper()
	idp := fakesaml.New(fakesaml.Person{NameID: "n-1", Email: "ann@corp.example", Name: "Ann", Groups: []string{"eng", "ops"}})
	t.Cleanup(idp.Close)
	idp.Now = func() time.Time { return samlNow }
	key, err := NewSAMLKey()
	if err != nil {
		t.Fatal(err)
	}
	md := string(idp.MetadataXML())
	if edit != nil {
		md = edit(md)
	}
	c, err := New(Config{ID: "corp", Type: TypeSAML, Name: "Corp", ClientSecret: key,
		SAML: SAML{MetadataXML: md, AllowIDPInitiated: true}},
		Deps{Issuer: "https://id.example", Now: func() time.Time { return samlNow }, SAMLAssertions: acceptAll{}})
	if err != nil {
		t.Fatal(err)
	}
	sc := c.(*SAMLConnector)
	ours, err := sc.Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := idp.AddSP(ours); err != nil {
		t.Fatal(err)
	}
	return sc, idp
}

func unsolicited(t testing.TB, idp *fakesaml.Server) fakesaml.Form {
	t.Helper()
	resp, err := http.Get(idp.URL + "/unsolicited?" + url.Values{"sp": {"https://id.example/sso/saml/corp/metadata"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return idp.Last()
}

// The AuthnRequest goes by HTTP-Redirect with our entity id, ACS URL and
// the request id derived from the nonce; it is signed (RSA-SHA256) only
// when the identity provider's metadata wants signed requests.
func TestSAMLAuthnRequest(t *testing.T) {
	t.Parallel()
	for _, want := range []bool{false, true} {
		c, _ := newTestSAML(t, func(md string) string {
			if want {
				return strings.Replace(md, "<IDPSSODescriptor ", `<IDPSSODescriptor WantAuthnRequestsSigned="true" `, 1)
			}
			return md
		})
		u, err := c.AuthURL(context.Background(), Start{State: "st", Nonce: "nonce"}, "")
		if err != nil {
			t.Fatal(err)
		}
		parsed, _ := url.Parse(u)
		q := parsed.Query()
		if q.Get("RelayState") != "st" || (q.Get("Signature") != "") != want ||
			want && q.Get("SigAlg") != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" {
			t.Fatalf("signed %v: %s", want, u)
		}
		req, err := testsaml.ParseRedirectRequest(parsed)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{`ID="` + SAMLRequestID("nonce") + `"`, `AssertionConsumerServiceURL="https://id.example/sso/saml/corp/acs"`,
			">https://id.example/sso/saml/corp/metadata<"} {
			if !strings.Contains(string(req), s) {
				t.Errorf("AuthnRequest lacks %s:\n%s", s, req)
			}
		}
	}
}

// The assertion's NameID and attributes become the identity.
func TestSAMLIdentity(t *testing.T) {
	t.Parallel()
	c, idp := newTestSAML(t, nil)
	a, err := c.ParseResponse(context.Background(), unsolicited(t, idp).SAMLResponse, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Subject != "n-1" || a.Email != "ann@corp.example" || a.Name != "Ann" || strings.Join(a.Groups, ",") != "eng,ops" ||
		a.Issuer != idp.MetadataURL() || !a.Unsolicited || a.AssertionID == "" {
		t.Fatalf("identity %+v", a)
	}
}

// FuzzSAMLResponse feeds the response parser (the ACS's entry point)
// mutations of a response the identity provider signed: it must never
// panic, and whatever it accepts says what the identity provider signed.
func FuzzSAMLResponse(f *testing.F) {
	c, idp := newTestSAML(f, nil)
	good := unsolicited(f, idp)
	raw, _ := base64.StdEncoding.DecodeString(good.SAMLResponse)
	f.Add(raw)
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`))
	f.Add([]byte("<"))
	f.Fuzz(func(t *testing.T, xml []byte) {
		a, err := c.ParseResponse(context.Background(), base64.StdEncoding.EncodeToString(xml), nil)
		if err == nil && (a.Subject != "n-1" || a.Email != "ann@corp.example") {
			t.Fatalf("accepted a changed identity %+v", a)
		}
	})
}

// An identity provider that encrypts the assertion to the certificate in
// our metadata is read too, and the signature inside still counts.
func TestSAMLEncryptedAssertion(t *testing.T) {
	t.Parallel()
	c, idp := newTestSAML(t, nil)
	idp.Encrypt = true
	f := unsolicited(t, idp)
	raw, _ := base64.StdEncoding.DecodeString(f.SAMLResponse)
	if !strings.Contains(string(raw), "EncryptedAssertion") {
		t.Fatal("the identity provider did not encrypt")
	}
	if a, err := c.ParseResponse(context.Background(), f.SAMLResponse, nil); err != nil || a.Email != "ann@corp.example" {
		t.Fatalf("encrypted assertion: %+v, %v", a, err)
	}
}

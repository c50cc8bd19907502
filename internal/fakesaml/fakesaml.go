// Package fakesaml is a SAML 2.0 identity provider on 127.0.0.1 for tests
// of the per-organization SAML sign-in, built on crewjam/saml's
// IdentityProvider (a library of its own: Ostiary's side is checked
// against what it signs, not against itself). It signs in its configured
// person at once, SP-initiated (HTTP-Redirect AuthnRequest, HTTP-POST
// Response) or IdP-initiated, and keeps the last response it sent so a
// test can replay or tamper with it.
package fakesaml

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
	dsig "github.com/russellhaering/goxmldsig"
)

// Person is who the provider signs in.
type Person struct {
	NameID, Email, Name string
	Groups              []string
}

// Form is a response as the provider posts it to a service provider.
type Form struct {
	ACS, SAMLResponse, RelayState string
}

// Server is the identity provider.
type Server struct {
	*httptest.Server
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
	// Now is the provider's clock (time.Now when nil).
	Now func() time.Time
	// Encrypt encrypts assertions to a service provider that publishes an
	// encryption key; off, they are sent in the clear, for tests that
	// change them.
	Encrypt bool

	mu     sync.Mutex
	person Person
	sps    map[string]*saml.EntityDescriptor
	last   Form
}

// New starts a provider that signs in person.
func New(person Person) *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fakesaml"},
		NotBefore: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, _ := x509.ParseCertificate(der)
	s := &Server{Key: key, Cert: cert, person: person, sps: map[string]*saml.EntityDescriptor{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metadata", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		w.Write(s.MetadataXML())
	})
	mux.HandleFunc("/sso", func(w http.ResponseWriter, r *http.Request) { s.idp().ServeSSO(s.recorder(w), r) })
	mux.HandleFunc("GET /unsolicited", func(w http.ResponseWriter, r *http.Request) {
		s.idp().ServeIDPInitiated(s.recorder(w), r, r.URL.Query().Get("sp"), r.URL.Query().Get("relay"))
	})
	s.Server = httptest.NewServer(mux)
	return s
}

// MetadataURL is where the provider's metadata is.
func (s *Server) MetadataURL() string { return s.URL + "/metadata" }

// SetPerson changes who the provider signs in.
func (s *Server) SetPerson(p Person) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.person = p
}

// AddSP registers a service provider by its metadata. A service provider
// not registered is looked up at its entity id (its metadata URL).
func (s *Server) AddSP(metadata []byte) error {
	md, err := samlsp.ParseMetadata(metadata)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sps[md.EntityID] = md
	return nil
}

// Last is the last response the provider sent.
func (s *Server) Last() Form {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// MetadataXML is the provider's metadata.
func (s *Server) MetadataXML() []byte {
	out, err := xml.MarshalIndent(s.idp().Metadata(), "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) idp() *saml.IdentityProvider {
	base, _ := url.Parse(s.URL)
	return &saml.IdentityProvider{Key: s.Key, Certificate: s.Cert, Logger: nopLogger{},
		MetadataURL: *base.JoinPath("metadata"), SSOURL: *base.JoinPath("sso"),
		ServiceProviderProvider: spProvider{s}, SessionProvider: sessionProvider{s},
		SignatureMethod: dsig.RSASHA256SignatureMethod, Clock: dsig.NewFakeClockAt(s.now())}
}

type spProvider struct{ s *Server }

func (p spProvider) GetServiceProvider(r *http.Request, id string) (*saml.EntityDescriptor, error) {
	md, err := p.get(r, id)
	if err != nil || p.s.Encrypt {
		return md, err
	}
	out := *md
	out.SPSSODescriptors = nil
	for _, d := range md.SPSSODescriptors {
		var keys []saml.KeyDescriptor
		for _, k := range d.KeyDescriptors {
			if k.Use != "encryption" {
				keys = append(keys, k)
			}
		}
		d.KeyDescriptors = keys
		out.SPSSODescriptors = append(out.SPSSODescriptors, d)
	}
	return &out, nil
}

func (p spProvider) get(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	p.s.mu.Lock()
	md, ok := p.s.sps[id]
	p.s.mu.Unlock()
	if ok {
		return md, nil
	}
	resp, err := http.Get(id)
	if err != nil {
		return nil, os.ErrNotExist
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, os.ErrNotExist
	}
	return samlsp.ParseMetadata(b)
}

type sessionProvider struct{ s *Server }

func (p sessionProvider) GetSession(http.ResponseWriter, *http.Request, *saml.IdpAuthnRequest) *saml.Session {
	p.s.mu.Lock()
	person := p.s.person
	p.s.mu.Unlock()
	now := p.s.now()
	sess := &saml.Session{ID: "session-" + person.NameID, CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
		NameID: person.NameID, NameIDFormat: string(saml.PersistentNameIDFormat), UserEmail: person.Email,
		UserCommonName: person.Name}
	if person.Name != "" {
		sess.CustomAttributes = append(sess.CustomAttributes, saml.Attribute{Name: "displayName",
			Values: []saml.AttributeValue{{Type: "xs:string", Value: person.Name}}})
	}
	if len(person.Groups) > 0 {
		at := saml.Attribute{Name: "groups"}
		for _, g := range person.Groups {
			at.Values = append(at.Values, saml.AttributeValue{Type: "xs:string", Value: g})
		}
		sess.CustomAttributes = append(sess.CustomAttributes, at)
	}
	return sess
}

// recorder keeps the response form the provider writes.
func (s *Server) recorder(w http.ResponseWriter) http.ResponseWriter {
	return &formRecorder{ResponseWriter: w, s: s}
}

type formRecorder struct {
	http.ResponseWriter
	s   *Server
	buf []byte
}

func (f *formRecorder) Write(b []byte) (int, error) {
	f.buf = append(f.buf, b...)
	if form, ok := parseForm(f.buf); ok {
		f.s.mu.Lock()
		f.s.last = form
		f.s.mu.Unlock()
	}
	return f.ResponseWriter.Write(b)
}

// parseForm reads the auto-posting form of crewjam/saml's response page.
func parseForm(page []byte) (Form, bool) {
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = true
	if err := doc.ReadFromBytes(page); err != nil {
		return Form{}, false
	}
	el := doc.FindElement("//form")
	if el == nil {
		return Form{}, false
	}
	f := Form{ACS: el.SelectAttrValue("action", "")}
	for _, in := range el.FindElements(".//input") {
		switch in.SelectAttrValue("name", "") {
		case "SAMLResponse":
			f.SAMLResponse = in.SelectAttrValue("value", "")
		case "RelayState":
			f.RelayState = in.SelectAttrValue("value", "")
		}
	}
	return f, f.SAMLResponse != ""
}

// Decode returns a form's response XML.
func (f Form) Decode() *etree.Document {
	raw, err := base64.StdEncoding.DecodeString(f.SAMLResponse)
	if err != nil {
		panic(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		panic(err)
	}
	return doc
}

// Encode puts doc back as the form's SAMLResponse.
func (f Form) Encode(doc *etree.Document) Form {
	raw, err := doc.WriteToBytes()
	if err != nil {
		panic(err)
	}
	f.SAMLResponse = base64.StdEncoding.EncodeToString(raw)
	return f
}

// Values is the form as a POST body.
func (f Form) Values() url.Values {
	v := url.Values{"SAMLResponse": {f.SAMLResponse}}
	if f.RelayState != "" {
		v.Set("RelayState", f.RelayState)
	}
	return v
}

// Sign signs el (a Response or an Assertion) with the provider's key, as
// the provider itself would: for tests that change a response and sign it
// again, e.g. for another audience.
func (s *Server) Sign(el *etree.Element) *etree.Element {
	ctx, err := dsig.NewSigningContext(s.Key, [][]byte{s.Cert.Raw})
	if err != nil {
		panic(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		panic(err)
	}
	for _, sig := range el.SelectElements("Signature") {
		el.RemoveChild(sig)
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		panic(fmt.Sprintf("fakesaml: sign: %v", err))
	}
	return signed
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Print(...any)          {}
func (nopLogger) Println(...any)        {}
func (nopLogger) Fatal(...any)          {}
func (nopLogger) Fatalf(string, ...any) {}
func (nopLogger) Fatalln(...any)        {}
func (nopLogger) Panic(...any)          {}
func (nopLogger) Panicf(string, ...any) {}
func (nopLogger) Panicln(...any)        {}

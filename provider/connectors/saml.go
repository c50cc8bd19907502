package connectors

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ostiary/ostiary/storage"
)

// TypeSAML is a SAML 2.0 identity provider; Ostiary is its service
// provider.
const TypeSAML = "saml"

// Which signatures a SAML response must carry (SAML.Signed).
const (
	SAMLSignedAssertion = "assertion"
	SAMLSignedResponse  = "response"
	SAMLSignedBoth      = "both"
	SAMLSignedEither    = "either"
)

// SAML is the settings of a connector of type saml. The service provider's
// signing key is the connector's client secret (a PEM PKCS #8 RSA key),
// made by the registry when a run-time connector is created without one.
type SAML struct {
	// MetadataURL is where the identity provider publishes its metadata,
	// fetched through the guarded outbound client; MetadataXML is the
	// metadata itself. Exactly one is set.
	MetadataURL string `yaml:"metadata_url" json:"metadata_url,omitempty"`
	MetadataXML string `yaml:"metadata_xml" json:"metadata_xml,omitempty"`
	// Signed says which signature a response needs: "assertion" (the
	// default), "response", "both" or "either".
	Signed string `yaml:"signed" json:"signed,omitempty"`
	// AllowIDPInitiated accepts responses that answer no request of ours
	// (IdP-initiated sign-on). Off by default.
	AllowIDPInitiated bool `yaml:"allow_idp_initiated" json:"allow_idp_initiated,omitempty"`
}

func (s SAML) signed() string {
	if s.Signed == "" {
		return SAMLSignedAssertion
	}
	return s.Signed
}

// Paths of a SAML connector's service provider endpoints under the issuer.
const (
	PathSAMLMetadata = "/sso/saml/{connector}/metadata"
	PathSAMLACS      = "/sso/saml/{connector}/acs"
)

// SAMLEntityID is the service provider entity id of connector id under
// issuer: its metadata URL.
func SAMLEntityID(issuer, id string) string {
	return strings.TrimSuffix(issuer, "/") + strings.Replace(PathSAMLMetadata, "{connector}", id, 1)
}

// SAMLACSURL is the assertion consumer service URL of connector id.
func SAMLACSURL(issuer, id string) string {
	return strings.TrimSuffix(issuer, "/") + strings.Replace(PathSAMLACS, "{connector}", id, 1)
}

// SAMLRequestID is the ID of the AuthnRequest sent for a sign-in whose
// Start has nonce: the InResponseTo a response to it must carry. The nonce
// is kept server-side with the state, so any replica knows which request it
// is waiting for.
func SAMLRequestID(nonce string) string {
	sum := sha256.Sum256([]byte("saml-request\x00" + nonce))
	return "id-" + hex.EncodeToString(sum[:20])
}

// NewSAMLKey makes a service provider signing key, PEM-encoded.
func NewSAMLKey() (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fmt.Errorf("connectors: make SAML key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", fmt.Errorf("connectors: encode SAML key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

func parseSAMLKey(s string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, errors.New("not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() < 2048 {
		return nil, errors.New("not an RSA key of 2048 bits or more")
	}
	return rk, nil
}

// samlCertificate is the self-signed certificate that carries the key in
// our metadata. It depends on the key and entity id only, so every replica
// publishes the same one.
func samlCertificate(key *rsa.PrivateKey, entityID string) (*x509.Certificate, error) {
	sum := sha256.Sum256(x509.MarshalPKCS1PublicKey(&key.PublicKey))
	tmpl := &x509.Certificate{SerialNumber: new(big.Int).SetBytes(sum[:16]), Subject: pkix.Name{CommonName: entityID},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2120, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func (s SAML) validate(bad func(key, msg string), secret string) {
	if (s.MetadataURL == "") == (s.MetadataXML == "") {
		bad("saml", "needs exactly one of metadata_url and metadata_xml")
	}
	if s.MetadataURL != "" && !absoluteURL(s.MetadataURL) {
		bad("saml.metadata_url", "must be an absolute http(s) URL")
	}
	if s.MetadataXML != "" {
		if _, err := samlsp.ParseMetadata([]byte(s.MetadataXML)); err != nil {
			bad("saml.metadata_xml", "is not SAML identity provider metadata")
		}
	}
	switch s.signed() {
	case SAMLSignedAssertion, SAMLSignedResponse, SAMLSignedBoth, SAMLSignedEither:
	default:
		bad("saml.signed", `must be "assertion", "response", "both" or "either"`)
	}
	if _, err := parseSAMLKey(secret); err != nil {
		bad("client_secret", "must be the service provider's PEM RSA private key (2048 bits or more)")
	}
}

// SAMLAssertions is the replay record (storage.SAMLAssertionStore).
type SAMLAssertions interface {
	UseSAMLAssertion(ctx context.Context, idHash []byte, now, expiresAt time.Time) error
}

// SAMLConnector is a SAML 2.0 identity provider. The browser goes there
// with an AuthnRequest (HTTP-Redirect binding, signed when the identity
// provider's metadata asks for it) and comes back with a Response posted
// to the assertion consumer service (HTTP-POST), which ParseResponse
// checks.
type SAMLConnector struct {
	cfg    Config
	deps   Deps
	key    *rsa.PrivateKey
	cert   *x509.Certificate
	entity string
	acs    string

	mu      sync.Mutex
	idp     *saml.EntityDescriptor
	fetched time.Time
	tried   time.Time
}

// samlMetadataRefresh is how long fetched metadata is used before it is
// fetched again (the old copy stays while the identity provider is down).
const samlMetadataRefresh = 12 * time.Hour

func newSAML(c Config, d Deps) (*SAMLConnector, error) {
	key, err := parseSAMLKey(c.ClientSecret)
	if err != nil {
		return nil, fmt.Errorf("connectors: SAML key of %q: %w", c.ID, err)
	}
	s := &SAMLConnector{cfg: c, deps: d, key: key, entity: SAMLEntityID(d.Issuer, c.ID), acs: SAMLACSURL(d.Issuer, c.ID)}
	if s.cert, err = samlCertificate(key, s.entity); err != nil {
		return nil, fmt.Errorf("connectors: SAML certificate of %q: %w", c.ID, err)
	}
	if c.SAML.MetadataXML != "" {
		if s.idp, err = samlsp.ParseMetadata([]byte(c.SAML.MetadataXML)); err != nil {
			return nil, fmt.Errorf("connectors: SAML metadata of %q: %w", c.ID, err)
		}
	}
	return s, nil
}

func (s *SAMLConnector) Config() Config { return s.cfg }

// EntityID and ACSURL are what the identity provider's administrator
// enters for us.
func (s *SAMLConnector) EntityID() string { return s.entity }
func (s *SAMLConnector) ACSURL() string   { return s.acs }

// metadata returns the identity provider's metadata, fetching it when it
// comes by URL and is missing or old.
func (s *SAMLConnector) metadata(ctx context.Context) (*saml.EntityDescriptor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.SAML.MetadataURL == "" || s.idp != nil && s.deps.Now().Sub(s.fetched) < samlMetadataRefresh {
		return s.idp, nil
	}
	u, err := url.Parse(s.cfg.SAML.MetadataURL)
	if err != nil {
		return nil, fmt.Errorf("%w: metadata URL: %w", ErrUnavailable, err)
	}
	s.tried = s.deps.Now()
	md, err := samlsp.FetchMetadata(ctx, s.deps.HTTPClient, *u)
	if err != nil {
		if s.idp != nil {
			return s.idp, nil
		}
		return nil, fmt.Errorf("%w: SAML metadata at %s: %w", ErrUnavailable, s.cfg.SAML.MetadataURL, err)
	}
	s.idp, s.fetched = md, s.deps.Now()
	return md, nil
}

// sp is the library's service provider for one use (its replay record
// and signature recorder are per call).
func (s *SAMLConnector) sp(md *saml.EntityDescriptor) *saml.ServiceProvider {
	acs, _ := url.Parse(s.acs)
	meta, _ := url.Parse(s.entity)
	sp := &saml.ServiceProvider{EntityID: s.entity, Key: s.key, Certificate: s.cert, MetadataURL: *meta, AcsURL: *acs,
		IDPMetadata: md, AllowIDPInitiated: s.cfg.SAML.AllowIDPInitiated, HTTPClient: s.deps.HTTPClient,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding}, MetadataOmitValidUntil: true,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat, RejectSHA1Signatures: true,
		Clock: dsig.NewFakeClockAt(s.deps.Now())}
	if md != nil {
		for _, d := range md.IDPSSODescriptors {
			if d.WantAuthnRequestsSigned != nil && *d.WantAuthnRequestsSigned {
				sp.SignatureMethod = dsig.RSASHA256SignatureMethod
			}
		}
	}
	return sp
}

// Metadata is our service provider metadata for the identity provider.
func (s *SAMLConnector) Metadata(ctx context.Context) ([]byte, error) {
	md, _ := s.metadata(ctx) // without it the metadata only lacks AuthnRequestsSigned
	out, err := xml.MarshalIndent(s.sp(md).Metadata(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("connectors: encode SAML metadata: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}

// AuthOrigins are the metadata's origin and the single sign-on service's.
// Metadata by URL is fetched here at most once a minute until it is
// known, so the login page's form-action can name the identity provider.
func (s *SAMLConnector) AuthOrigins() []string {
	var out []string
	if u := s.cfg.SAML.MetadataURL; u != "" {
		out = append(out, u)
	}
	s.mu.Lock()
	md, tried := s.idp, s.tried
	s.mu.Unlock()
	if md == nil && s.deps.Now().Sub(tried) > time.Minute {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		md, _ = s.metadata(ctx)
		cancel()
	}
	if md != nil {
		if loc := s.sp(md).GetSSOBindingLocation(saml.HTTPRedirectBinding); loc != "" {
			out = append(out, loc)
		}
	}
	return out
}

// AuthURL is the identity provider's single sign-on service with our
// AuthnRequest (ID SAMLRequestID(s.Nonce)) and RelayState s.State.
func (s *SAMLConnector) AuthURL(ctx context.Context, st Start, _ string) (string, error) {
	md, err := s.metadata(ctx)
	if err != nil {
		return "", err
	}
	sp := s.sp(md)
	dest := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if dest == "" {
		return "", fmt.Errorf("%w: the identity provider offers no HTTP-Redirect single sign-on service", ErrUnavailable)
	}
	req, err := sp.MakeAuthenticationRequest(dest, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", fmt.Errorf("connectors: make AuthnRequest: %w", err)
	}
	req.ID = SAMLRequestID(st.Nonce)
	u, err := req.Redirect(st.State, sp)
	if err != nil {
		return "", fmt.Errorf("connectors: sign AuthnRequest: %w", err)
	}
	return u.String(), nil
}

// Finish is not how a SAML identity provider answers: its response is
// posted to the assertion consumer service (ParseResponse).
func (s *SAMLConnector) Finish(context.Context, string, Start, string) (Identity, error) {
	return Identity{}, fmt.Errorf("%w: a SAML identity provider answers at its assertion consumer service", ErrInvalidToken)
}

func (s *SAMLConnector) LogoutURL(context.Context, string, string) (string, bool) { return "", false }

// Reasons a SAML response is refused (SAMLError.Reason), for the audit log.
const (
	SAMLReasonMalformed    = "malformed"
	SAMLReasonSignature    = "bad_signature"
	SAMLReasonUnsigned     = "unsigned"
	SAMLReasonExpired      = "expired"
	SAMLReasonNotYetValid  = "not_yet_valid"
	SAMLReasonAudience     = "wrong_audience"
	SAMLReasonRecipient    = "wrong_recipient"
	SAMLReasonInResponseTo = "unsolicited"
	SAMLReasonReplayed     = "replayed"
	SAMLReasonIssuer       = "wrong_issuer"
	SAMLReasonStatus       = "idp_status"
	SAMLReasonNoSubject    = "no_subject"
	SAMLReasonInvalid      = "invalid"
)

// SAMLError is a refused response; it wraps ErrInvalidToken (or
// ErrUnavailable when the metadata could not be had).
type SAMLError struct {
	Reason string
	Err    error
}

func (e *SAMLError) Error() string {
	return "connectors: SAML response refused (" + e.Reason + "): " + e.Err.Error()
}
func (e *SAMLError) Unwrap() []error {
	if errors.Is(e.Err, ErrUnavailable) {
		return []error{e.Err}
	}
	return []error{ErrInvalidToken, e.Err}
}

// SAMLAssertion is what an accepted response says.
type SAMLAssertion struct {
	Identity
	// AssertionID is the accepted assertion's ID; Unsolicited is set for an
	// IdP-initiated response.
	AssertionID string
	Unsolicited bool
}

// maxSAMLResponse bounds the posted SAMLResponse (base64).
const maxSAMLResponse = 512 << 10

// signatureRecorder checks XML signatures with goxmldsig, as the library
// would, and notes which elements carried a valid one, so the connector's
// Signed policy can be applied.
type signatureRecorder struct {
	mu     sync.Mutex
	signed map[string]bool
}

func (r *signatureRecorder) VerifySignature(vc *dsig.ValidationContext, el *etree.Element) error {
	_, err := r.VerifySignedElement(vc, el)
	return err
}

func (r *signatureRecorder) VerifySignedElement(vc *dsig.ValidationContext, el *etree.Element) (*etree.Element, error) {
	signed, err := vc.Validate(el)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.signed[el.Tag] = true
	r.mu.Unlock()
	return signed, nil
}

type replayRecord struct {
	ctx   context.Context
	store SAMLAssertions
	conn  string
	now   time.Time
}

func (r replayRecord) Consume(id string, expiresAt time.Time) error {
	sum := sha256.Sum256([]byte("saml-assertion\x00" + r.conn + "\x00" + id))
	err := r.store.UseSAMLAssertion(r.ctx, sum[:], r.now, expiresAt)
	if errors.Is(err, storage.ErrAlreadyExists) {
		return saml.ErrAssertionReplayed
	}
	return err
}

// ParseResponse checks a posted SAMLResponse (base64, HTTP-POST binding):
// the XML signature as Signed asks (goxmldsig, read from what the
// signature covers, so a wrapped signature proves nothing), Destination
// and Recipient our ACS URL, InResponseTo one of requestIDs (or none,
// when IdP-initiated sign-on is allowed), the issuer, IssueInstant,
// NotBefore and NotOnOrAfter within the library's clock skew (three
// minutes), the Audience our entity id, and the assertion's ID not used
// before on any replica. Errors are *SAMLError.
func (s *SAMLConnector) ParseResponse(ctx context.Context, samlResponse string, requestIDs []string) (SAMLAssertion, error) {
	fail := func(reason string, err error) (SAMLAssertion, error) {
		return SAMLAssertion{}, &SAMLError{Reason: reason, Err: err}
	}
	if samlResponse == "" || len(samlResponse) > maxSAMLResponse {
		return fail(SAMLReasonMalformed, errors.New("no SAMLResponse, or too large"))
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(samlResponse), ""))
	if err != nil {
		return fail(SAMLReasonMalformed, fmt.Errorf("SAMLResponse is not base64: %w", err))
	}
	md, err := s.metadata(ctx)
	if err != nil {
		return fail(SAMLReasonInvalid, err)
	}
	sp := s.sp(md)
	rec := &signatureRecorder{signed: map[string]bool{}}
	sp.SignatureVerifier = rec
	if s.deps.SAMLAssertions == nil {
		return fail(SAMLReasonInvalid, errors.New("no replay record configured"))
	}
	sp.ReplayCache = replayRecord{ctx: ctx, store: s.deps.SAMLAssertions, conn: s.cfg.ID, now: s.deps.Now()}
	acs, _ := url.Parse(s.acs)
	a, err := sp.ParseXMLResponse(raw, requestIDs, *acs)
	if err != nil {
		return fail(samlReason(err, len(rec.signed) > 0), err)
	}
	signedA, signedR := rec.signed["Assertion"], rec.signed["Response"]
	var ok bool
	switch s.cfg.SAML.signed() {
	case SAMLSignedAssertion:
		ok = signedA
	case SAMLSignedResponse:
		ok = signedR
	case SAMLSignedBoth:
		ok = signedA && signedR
	default:
		ok = signedA || signedR
	}
	if !ok {
		return fail(SAMLReasonUnsigned, fmt.Errorf("the connector requires a signed %s (assertion signed %v, response signed %v)",
			s.cfg.SAML.signed(), signedA, signedR))
	}
	id := s.identity(a)
	if id.Subject == "" {
		return fail(SAMLReasonNoSubject, errors.New("the assertion names no subject"))
	}
	unsolicited := a.Subject == nil || len(a.Subject.SubjectConfirmations) == 0 ||
		a.Subject.SubjectConfirmations[0].SubjectConfirmationData == nil ||
		a.Subject.SubjectConfirmations[0].SubjectConfirmationData.InResponseTo == ""
	return SAMLAssertion{Identity: id, AssertionID: a.ID, Unsolicited: unsolicited}, nil
}

func samlReason(err error, sawSignature bool) string {
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		err = ire.PrivateErr
	}
	var status saml.ErrBadStatus
	switch {
	case errors.Is(err, saml.ErrAssertionReplayed):
		return SAMLReasonReplayed
	case errors.Is(err, saml.ErrAudienceMismatch):
		return SAMLReasonAudience
	case errors.Is(err, saml.ErrDestinationMismatch):
		return SAMLReasonRecipient
	case errors.Is(err, saml.ErrRequestIDMismatch):
		return SAMLReasonInResponseTo
	case errors.Is(err, saml.ErrExpired):
		return SAMLReasonExpired
	case errors.Is(err, saml.ErrNotYetValid):
		return SAMLReasonNotYetValid
	case errors.Is(err, saml.ErrIssuerMismatch):
		return SAMLReasonIssuer
	case errors.As(err, &status):
		return SAMLReasonStatus
	case errors.Is(err, saml.ErrInvalidSignature), errors.Is(err, saml.ErrUntrustedCertificate),
		errors.Is(err, saml.ErrCertificateNotValidNow):
		return SAMLReasonSignature
	case errors.Is(err, saml.ErrMalformedMessage):
		return SAMLReasonMalformed
	case !sawSignature && strings.Contains(err.Error(), "signature element not present"):
		return SAMLReasonUnsigned
	}
	return SAMLReasonInvalid
}

// Attribute names looked for when the connector's claims do not name one:
// the plain names, the LDAP OIDs and the names Entra ID and ADFS send.
var (
	samlEmailNames = []string{"email", "mail", "emailaddress", "urn:oid:0.9.2342.19200300.100.1.3",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"}
	samlNameNames = []string{"name", "displayName", "urn:oid:2.16.840.1.113730.3.1.241",
		"http://schemas.microsoft.com/identity/claims/displayname"}
	samlGroupNames = []string{"groups", "memberOf", "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
		"http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", "http://schemas.xmlsoap.org/claims/Group"}
)

func (s *SAMLConnector) identity(a *saml.Assertion) Identity {
	values := func(name string) []string {
		var out []string
		for _, st := range a.AttributeStatements {
			for _, at := range st.Attributes {
				if at.Name == name || at.FriendlyName == name {
					for _, v := range at.Values {
						if t := strings.TrimSpace(v.Value); t != "" {
							out = append(out, t)
						}
					}
				}
			}
		}
		return out
	}
	first := func(named string, defaults []string) []string {
		if named != "" {
			return values(named)
		}
		for _, n := range defaults {
			if v := values(n); len(v) > 0 {
				return v
			}
		}
		return nil
	}
	one := func(v []string) string {
		if len(v) == 0 {
			return ""
		}
		return v[0]
	}
	id := Identity{Issuer: a.Issuer.Value}
	var nameID *saml.NameID
	if a.Subject != nil {
		nameID = a.Subject.NameID
	}
	if c := s.cfg.Claims.Subject; c != "" {
		id.Subject = one(values(c))
	} else if nameID != nil {
		id.Subject = strings.TrimSpace(nameID.Value)
	}
	id.Email = one(first(s.cfg.Claims.Email, samlEmailNames))
	if id.Email == "" && s.cfg.Claims.Email == "" && nameID != nil && nameID.Format == string(saml.EmailAddressNameIDFormat) {
		id.Email = strings.TrimSpace(nameID.Value)
	}
	id.Name = one(first(s.cfg.Claims.Name, samlNameNames))
	id.Groups = first(s.cfg.Claims.Groups, samlGroupNames)
	return id
}

package oauth

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/grants"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/textcheck"
	"github.com/ostiary/ostiary/storage"
)

// Authorize is the authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2),
// GET or POST /oauth2/authorize. An unknown client or a redirect URI that is
// not registered exactly gets an HTML error page, never a redirect (RFC 9700
// §4.11.1); every other error goes back to the client with state and iss.
// When the user must sign in, pick an organization or consent, the request
// is parked in storage and the browser sent to that page.
func (s *Server) Authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		s.pages.RenderError(w, r, http.StatusMethodNotAllowed, "Method not allowed", "The authorization endpoint accepts GET and POST.")
		return
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, textcheck.MaxBody)
	}
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		if mbe := new(http.MaxBytesError); errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		s.pages.RenderError(w, r, status, "Invalid authorization request", "The request's parameters could not be read.")
		return
	}
	s.authorize(w, r, nil, false)
}

// ResumeAuthorize continues a parked request once a page has recorded the
// user's decision: GET /oauth2/authorize/resume?request=ID. It runs the
// same decision as Authorize on the original parameters.
func (s *Server) ResumeAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		s.pages.RenderError(w, r, http.StatusMethodNotAllowed, "Method not allowed", "Resuming a sign-in accepts GET only.")
		return
	}
	id := r.URL.Query().Get("request")
	if id == "" {
		s.pages.RenderError(w, r, http.StatusBadRequest, "Invalid sign-in request", "The link is missing the request it belongs to.")
		return
	}
	parked, err := s.store.GetAuthRequest(ctx, id, s.now())
	if errors.Is(err, storage.ErrNotFound) {
		s.pages.RenderError(w, r, http.StatusBadRequest, "Sign-in request expired",
			"This sign-in request has expired or was already completed. Go back to the application and start again.")
		return
	}
	if err != nil {
		s.serverErrorPage(w, r, "load authorization request", err)
		return
	}
	form, err := url.ParseQuery(parked.Form)
	if err != nil {
		s.serverErrorPage(w, r, "decode authorization request", err)
		return
	}
	s.authorize(w, replay(r, form), &parked, false)
}

// replay rebuilds the original authorization request from its parameters,
// keeping the browser's cookies and headers.
func replay(r *http.Request, form url.Values) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Method = http.MethodGet
	u := *r.URL
	u.RawQuery = form.Encode()
	r2.URL = &u
	r2.Body = http.NoBody
	r2.ContentLength = 0
	r2.Header.Del("Content-Type")
	r2.Form, r2.PostForm, r2.MultipartForm = nil, nil, nil
	_ = r2.ParseForm() // the form was encoded by url.Values: it parses
	return r2
}

// pushed says r's parameters came from a pushed request (RFC 9126).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, parked *storage.AuthRequest, pushed bool) {
	ctx := r.Context()
	if ru := r.Form.Get("request_uri"); parked == nil && !pushed && !r.Form.Has("request") && strings.HasPrefix(ru, RequestURIPrefix) {
		s.authorizePushed(w, r, ru)
		return
	}
	// A signed request object (RFC 9101, the request parameter) is
	// verified and its parameters replace the form before anything reads
	// it (requestobject.go), so the parked request keeps the parameters
	// that apply and its resumption needs no object. A parked request
	// passed this on its first visit, a pushed one at the push (par.go).
	// With both request and request_uri, this answers (OIDC Core §6.1).
	var unsupported *unsupportedParam
	if parked == nil && !pushed {
		var err error
		if unsupported, err = s.expandRequestObject(ctx, r); err != nil {
			s.serverErrorPage(w, r, "request object", err)
			return
		}
	}
	// fosite mutates r.Form; park the original.
	orig := url.Values{}
	for k, v := range r.Form {
		orig[k] = slices.Clone(v)
	}
	// Request objects by reference (a request_uri that is not one of
	// ours) are not offered (discovery says so); pushed requests (RFC
	// 9126) were replaced by their parameters above. fosite would fetch a
	// request_uri from wherever it points. It is dropped before fosite
	// sees it and, once the redirect URI is known good, answered with
	// request_uri_not_supported (OIDC Core §6.2, §3.1.2.6).
	if u := unsupportedRequestParam(r); u != nil && unsupported == nil {
		unsupported = u
	}
	loopback := s.loopbackRedirect(ctx, r)
	targets, targetErr := tokens.TakeTargets(r.Form, r.PostForm)
	ar, err := s.provider.NewAuthorizeRequest(ctx, r)
	loopback.restore(ar)
	// The order of the checks decides which error a request with several
	// problems gets:
	//  1. the client and the redirect URI: unless both are valid nothing is
	//     sent to the redirect URI, the browser gets a page (RFC 6749
	//     §4.1.2.1, RFC 9700 §4.11.1);
	//  2. a request object or request_uri: the parameters that matter may
	//     be inside it, so nothing else can be judged;
	//  3. prompt=none without a signed-in browser: login_required whatever
	//     else the request lacks (OIDC Core §3.1.2.6), so a silent check
	//     for a session learns just that;
	//  4. fosite's validation (response type, scope, ...), then ours
	//     (authorizeParams: PKCE, prompt, max_age, nonce, id_token_hint);
	//  5. the decision (decide): sign-in, organization, consent.
	switch {
	case err != nil && (ar == nil || !ar.IsRedirectURIValid()):
		s.authorizeErrorPage(w, r, err, unsupported)
		return
	case !registeredRedirectURI(ar):
		s.authorizeErrorPage(w, r, errRedirectNotRegistered, unsupported)
		return
	case unsupported != nil:
		s.writeAuthorizeError(ctx, w, ar, unsupported.err)
		return
	}
	bs := &browserLookup{browser: s.browser, r: r}
	if slices.Contains(strings.Fields(orig.Get("prompt")), "none") {
		_, signedIn, berr := bs.current()
		if berr != nil {
			s.serverErrorPage(w, r, "browser session", berr)
			return
		}
		if !signedIn {
			s.finishParked(ctx, parked)
			s.writeAuthorizeError(ctx, w, ar, fosite.ErrLoginRequired.WithHint("No user is signed in."))
			return
		}
	}
	if err != nil {
		s.writeAuthorizeError(ctx, w, ar, err)
		return
	}
	if targetErr == nil {
		targetErr = tokens.CheckTargets(ar.GetClient().GetAudience(), targets)
	}
	if targetErr != nil {
		s.writeAuthorizeError(ctx, w, ar, targetErr)
		return
	}
	ar.SetRequestedAudience(targets)
	cl := ar.GetClient().(*fositestore.Client).Registration()
	if parked != nil && parked.ClientID != cl.ID {
		s.pages.RenderError(w, r, http.StatusBadRequest, "Invalid sign-in request", "This sign-in request belongs to another application.")
		return
	}
	if parked == nil && !pushed && s.pushedRequired(cl) {
		s.writeAuthorizeError(ctx, w, ar, errPushedRequired)
		return
	}
	params, err := s.authorizeParams(ctx, ar)
	if err != nil {
		s.writeAuthorizeError(ctx, w, ar, err)
		return
	}
	d, err := s.decide(ctx, r, bs, ar, cl, parked, params)
	if err != nil {
		s.serverErrorPage(w, r, "authorization decision", err)
		return
	}
	switch {
	case d.err != nil:
		s.finishParked(ctx, parked)
		s.writeAuthorizeError(ctx, w, ar, d.err)
	case d.page != "":
		s.park(w, r, cl.ID, orig, parked, d)
	default:
		s.grant(w, r, ar, cl, parked, d)
	}
}

var errRedirectNotRegistered = errors.New("oauth: redirect_uri is not registered")

// unsupportedParam is a request parameter the endpoint does not offer: the
// error for the client, and what the page says when it cannot redirect.
type unsupportedParam struct {
	err    *fosite.RFC6749Error
	detail string
}

// unsupportedRequestParam removes request_uri from the request's form, so
// fosite never acts on it, and says so when it was there.
func unsupportedRequestParam(r *http.Request) *unsupportedParam {
	var found *unsupportedParam
	for _, u := range []struct {
		name string
		p    unsupportedParam
	}{
		{"request_uri", unsupportedParam{
			fosite.ErrRequestURINotSupported.WithHint("Only a request_uri issued by the pushed authorization request endpoint (RFC 9126) is accepted; send the parameters in the query or push them first."),
			"This server accepts requests passed by reference (the request_uri parameter) only from its own pushed authorization request endpoint. The application must push the authorization parameters first or send them in the request itself.",
		}},
	} {
		if !r.Form.Has(u.name) {
			continue
		}
		r.Form.Del(u.name)
		if r.PostForm != nil {
			r.PostForm.Del(u.name)
		}
		found = &u.p
	}
	return found
}

// registeredRedirectURI holds when the redirect_uri is registered character
// for character or is a registered loopback URI on another port
// (clients.MatchRedirectURI). fosite's own matching is looser (a loopback
// URI registered with https matches http, user information is ignored) and
// knows no localhost: this check decides.
func registeredRedirectURI(ar fosite.AuthorizeRequester) bool {
	if ar == nil || ar.GetClient() == nil {
		return false
	}
	raw := ar.GetRequestForm().Get("redirect_uri")
	if raw == "" {
		// Absent, fosite uses the client's only registered URI.
		return true
	}
	_, ok := clients.MatchRedirectURI(ar.GetClient().GetRedirectURIs(), raw)
	return ok
}

// loopbackSwap is a loopback redirect_uri on a run-time port (RFC 8252
// §7.3), shown to fosite as the registered URI it matches: fosite matches
// IP literals on any port but not localhost. restore puts the requested URI
// back, so the code is bound to it (the token request must repeat it, RFC
// 6749 §4.1.3) and the response goes to the port the app listens on.
type loopbackSwap struct {
	requested *url.URL
	raw       string
}

func (s *Server) loopbackRedirect(ctx context.Context, r *http.Request) *loopbackSwap {
	raw := r.Form.Get("redirect_uri")
	if raw == "" || len(r.Form["redirect_uri"]) != 1 {
		return nil
	}
	c, err := s.clients.Get(ctx, r.Form.Get("client_id"))
	if err != nil {
		return nil // fosite reports the client as it does without the swap
	}
	reg, ok := clients.MatchRedirectURI(c.GetRedirectURIs(), raw)
	if !ok || reg == raw {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	r.Form.Set("redirect_uri", reg)
	if r.PostForm.Has("redirect_uri") {
		r.PostForm.Set("redirect_uri", reg)
	}
	return &loopbackSwap{requested: u, raw: raw}
}

func (l *loopbackSwap) restore(ar fosite.AuthorizeRequester) {
	if l == nil || ar == nil {
		return
	}
	ar.GetRequestForm().Set("redirect_uri", l.raw)
	if req, ok := ar.(*fosite.AuthorizeRequest); ok && req.RedirectURI != nil {
		req.RedirectURI = l.requested
	}
}

// authorizeErrorPage explains a request that cannot be answered on its
// redirect URI. A request carrying request_uri or request whose client is
// known but that names no redirect_uri most likely has it inside what this
// server does not read: the page names that. A database failure is a 503
// page, never "unknown application".
func (s *Server) authorizeErrorPage(w http.ResponseWriter, r *http.Request, err error, unsupported *unsupportedParam) {
	if s.unavailablePage(w, r, err) {
		return
	}
	if unsupported != nil && !errors.Is(err, fosite.ErrInvalidClient) && r.Form.Get("redirect_uri") == "" {
		s.pages.RenderError(w, r, http.StatusBadRequest, "Invalid authorization request", unsupported.detail)
		return
	}
	if errors.Is(err, errRedirectNotRegistered) {
		s.pages.RenderError(w, r, http.StatusBadRequest, "Invalid redirect URI",
			"The application asked to send you to an address it has not registered, so this server will not send you there.")
		return
	}
	if errors.Is(err, fosite.ErrInvalidClient) {
		s.pages.RenderError(w, r, http.StatusBadRequest, "Unknown application",
			"The application that sent you here is not registered with this server.")
		return
	}
	rfc := s.publicError(r.Context(), err)
	if rfc.CodeField >= http.StatusInternalServerError {
		s.pages.RenderError(w, r, http.StatusInternalServerError, "Something went wrong", "The request could not be processed. Try again later.")
		return
	}
	s.pages.RenderError(w, r, http.StatusBadRequest, "Invalid authorization request", rfc.GetDescription())
}

func (s *Server) serverErrorPage(w http.ResponseWriter, r *http.Request, what string, err error) {
	if s.unavailablePage(w, r, err) {
		return
	}
	s.log.ErrorContext(r.Context(), "oauth: "+what, "error", err)
	s.pages.RenderError(w, r, http.StatusInternalServerError, "Something went wrong", "The request could not be processed. Try again later.")
}

// authParams are the OpenID Connect parameters the decision needs.
type authParams struct {
	prompts []string
	// maxAge is in seconds; -1 when absent.
	maxAge  int64
	hintSub string
	// acr is the class acr_values asks for (acr.Requested): "" when it
	// names none Ostiary knows.
	acr string
}

var (
	knownPrompts = []string{"none", "login", "consent", "select_account"}
	// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
	s256Challenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
)

// authorizeParams checks, before anyone is sent to a page, what fosite would
// only reject after the sign-in (or at the token endpoint).
func (s *Server) authorizeParams(ctx context.Context, ar fosite.AuthorizeRequester) (authParams, error) {
	form := ar.GetRequestForm()
	p := authParams{maxAge: -1}
	// RFC 9700 §2.1.1 and RFC 7636 §4.3: PKCE with S256 on every request,
	// unless a confidential client is let off and sends none (grants.PKCEPolicy).
	switch challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method"); {
	case challenge == "" && method == "" && !grants.PKCERequired(ar.GetClient()):
	case challenge == "":
		return p, fosite.ErrInvalidRequest.WithHint("PKCE is required: send code_challenge with code_challenge_method=S256.")
	case method != "S256":
		return p, fosite.ErrInvalidRequest.WithHint("Only code_challenge_method=S256 is supported.")
	case !s256Challenge.MatchString(challenge):
		return p, fosite.ErrInvalidRequest.WithHint("The code_challenge is not a base64url SHA-256 digest.")
	}
	// OIDC Core §3.1.2.1: acr_values are voluntary claims, in order of
	// preference. Values Ostiary does not know are ignored (never an
	// error); the weakest known one is insisted on (decide, step b2).
	p.acr, _ = acr.Requested(strings.Fields(form.Get("acr_values")))
	p.prompts = strings.Fields(form.Get("prompt"))
	for _, pr := range p.prompts {
		if !slices.Contains(knownPrompts, pr) {
			return p, fosite.ErrInvalidRequest.WithHintf("Unknown prompt value %q.", pr)
		}
	}
	if slices.Contains(p.prompts, "none") && len(p.prompts) > 1 {
		return p, fosite.ErrInvalidRequest.WithHint("prompt=none cannot be combined with other values (OIDC Core §3.1.2.1).")
	}
	if v := form.Get("max_age"); v != "" {
		// The bound keeps max_age·time.Second (here and in fosite) from
		// overflowing.
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > math.MaxInt32 {
			return p, fosite.ErrInvalidRequest.WithHint("max_age must be a non-negative number of seconds.")
		}
		p.maxAge = n
	}
	if n := form.Get("nonce"); n != "" && len(n) < fosite.MinParameterEntropy {
		return p, fosite.ErrInvalidRequest.WithHintf("The nonce must be at least %d characters.", fosite.MinParameterEntropy)
	}
	if raw := form.Get("id_token_hint"); raw != "" {
		hint, err := s.VerifyIDTokenHint(ctx, raw)
		if err != nil {
			return p, fosite.ErrInvalidRequest.WithHint("The id_token_hint is not an ID token issued by this provider.").WithWrap(err)
		}
		p.hintSub = hint.Subject
	}
	return p, nil
}

// park stores (or re-binds) the request and sends the browser to page.
func (s *Server) park(w http.ResponseWriter, r *http.Request, clientID string, orig url.Values, parked *storage.AuthRequest, d decision) {
	ctx := r.Context()
	now := s.now()
	var id string
	switch {
	case parked == nil:
		ar := storage.AuthRequest{
			ID:        randtoken.ID(),
			ClientID:  clientID,
			Form:      orig.Encode(),
			SessionID: d.browser.ID,
			ACR:       d.acr,
			CreatedAt: now,
			ExpiresAt: now.Add(s.cfg.AuthRequestLifespan),
		}
		if err := s.store.CreateAuthRequest(ctx, ar); err != nil {
			s.serverErrorPage(w, r, "park authorization request", err)
			return
		}
		id = ar.ID
	case d.browser.ID != "" && parked.SessionID != d.browser.ID:
		// Another browser session is going through this request now:
		// decisions recorded under the old one no longer count.
		id = parked.ID
		err := s.store.UpdateAuthRequest(ctx, id, func(old storage.AuthRequest) (storage.AuthRequest, error) {
			old.SessionID = d.browser.ID
			old.LoginAt, old.OrgID, old.ConsentGiven = time.Time{}, "", false
			old.ACR = d.acr
			return old, nil
		})
		if err != nil {
			s.serverErrorPage(w, r, "rebind authorization request", err)
			return
		}
	case d.acr != "" && parked.ACR != d.acr:
		// The step-up page reads the class it must reach from here.
		id = parked.ID
		err := s.store.UpdateAuthRequest(ctx, id, func(old storage.AuthRequest) (storage.AuthRequest, error) {
			old.ACR = d.acr
			return old, nil
		})
		if err != nil {
			s.serverErrorPage(w, r, "record the requested acr", err)
			return
		}
	default:
		id = parked.ID
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.path(d.page)+"?request="+url.QueryEscape(id), http.StatusFound)
}

// finishParked removes a parked request that ended in an error for the
// client: it must not be resumed again.
func (s *Server) finishParked(ctx context.Context, parked *storage.AuthRequest) {
	if parked == nil {
		return
	}
	if err := s.store.DeleteAuthRequest(ctx, parked.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.WarnContext(ctx, "oauth: delete finished authorization request", "error", err)
	}
}

// browserLookup reads the browser session at most once per request: the
// prompt=none check and decide both need it, and each read is a query (and
// may touch the session's last-seen time).
type browserLookup struct {
	browser Browser
	r       *http.Request
	done    bool
	sess    storage.Session
	ok      bool
	err     error
}

func (b *browserLookup) current() (storage.Session, bool, error) {
	if !b.done {
		b.sess, b.ok, b.err = b.browser.Current(b.r)
		b.done = true
	}
	return b.sess, b.ok, b.err
}

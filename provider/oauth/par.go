package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// RequestURIPrefix starts every request_uri the pushed authorization request
// endpoint issues (RFC 9126 §2.2).
const RequestURIPrefix = "urn:ietf:params:oauth:request_uri:"

// DefaultPushedRequestLifespan is how long a pushed request waits for its
// authorization request: RFC 9126 §2.2 suggests a short time (its example
// is 60 s); the client sends the browser on at once.
const DefaultPushedRequestLifespan = 90 * time.Second

var (
	errRequestURIInPush  = fosite.ErrInvalidRequest.WithHint("A pushed authorization request must not contain request_uri (RFC 9126 §2.1).")
	errPushedRequired    = fosite.ErrInvalidRequest.WithHint("This client must push its authorization requests first (RFC 9126 §5: require_pushed_authorization_requests); send client_id and request_uri only.")
	errUnknownRequestURI = fosite.ErrInvalidRequestURI.WithHint("The request_uri is unknown, expired or already used; push the authorization request again.")
)

// pushAudiences is fosite's configuration, except that a client assertion
// sent to the pushed authorization request endpoint may name the issuer,
// the token endpoint or that endpoint as its audience (RFC 9126 §2); at the
// token endpoint it names the token endpoint, as before.
type pushAudiences struct {
	*fosite.Config
	issuer string
}

type pushingKey struct{}

func (c pushAudiences) GetTokenURLs(ctx context.Context) []string {
	urls := c.Config.GetTokenURLs(ctx)
	if ctx.Value(pushingKey{}) != nil {
		urls = append(urls[:len(urls):len(urls)], c.issuer, c.issuer+pathPushedAuthorize)
	}
	return urls
}

// pushedResponse is RFC 9126 §2.2's answer.
type pushedResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int    `json:"expires_in"`
}

// PushedAuthorize is the pushed authorization request endpoint (RFC 9126),
// POST /oauth2/par. The client authenticates exactly as at the token
// endpoint (fosite's client authentication, our strategy); the parameters
// are validated as the authorization endpoint would (client, exact redirect
// URI, response type, scope, PKCE, prompt, max_age, nonce, resource) and
// stored under the SHA-256 of a random request_uri for
// PushedRequestLifespan, to be used once (Authorize).
//
// fosite's own PAR handler is not composed: its NewAuthorizeRequest would
// read and then delete the pushed session in two steps (two browsers could
// both use one request_uri), keys the session by the request_uri itself,
// and validates less than our authorization endpoint does.
func (s *Server) PushedAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.acceptCORSPost(w, r) {
		return
	}
	form, err := s.checkPushed(ctx, r)
	if err != nil {
		s.writeJSONError(ctx, w, r, err)
		return
	}
	key := randtoken.New()
	now := s.now()
	err = s.store.CreatePushedRequest(ctx, storage.PushedRequest{
		KeyHash: randtoken.Hash(key), ClientID: form.Get("client_id"), Form: form.Encode(),
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.PushedRequestLifespan),
	})
	if err != nil {
		s.writeJSONError(ctx, w, r, fosite.ErrServerError.WithWrap(err).WithDebug(err.Error()))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(pushedResponse{RequestURI: RequestURIPrefix + key, ExpiresIn: int(s.cfg.PushedRequestLifespan.Seconds())})
}

// checkPushed authenticates the client and validates the pushed
// parameters, returning them with client_id set to the authenticated
// client.
func (s *Server) checkPushed(ctx context.Context, r *http.Request) (url.Values, error) {
	// RFC 9126 §2.1: the parameters are in the body; the query is not read.
	form := url.Values{}
	for k, v := range r.PostForm {
		form[k] = append([]string(nil), v...)
	}
	client, err := s.provider.AuthenticateClient(context.WithValue(ctx, pushingKey{}, true), r, r.PostForm)
	if err != nil {
		return nil, tokenError(err)
	}
	switch id := form.Get("client_id"); {
	case len(form["client_id"]) > 1 || (id != "" && id != client.GetID()):
		return nil, fosite.ErrInvalidRequest.WithHint("The client_id does not name the authenticated client.")
	case form.Has("request_uri"):
		return nil, errRequestURIInPush
	}
	// Client authentication parameters are not authorization parameters.
	for _, k := range []string{"client_secret", "client_assertion", "client_assertion_type"} {
		form.Del(k)
	}
	form.Set("client_id", client.GetID())

	ar := replay(r, form)
	// A push may carry its parameters in a signed request object (RFC
	// 9126 §3): verified here, as the authorization endpoint would, so the
	// stored request holds the parameters that apply.
	if u, err := s.expandRequestObject(ctx, ar); err != nil {
		return nil, fosite.ErrServerError.WithWrap(err).WithDebug("request object")
	} else if u != nil {
		return nil, u.err
	}
	if u := unsupportedRequestParam(ar); u != nil {
		return nil, u.err
	}
	loopback := s.loopbackRedirect(ctx, ar)
	targets, targetErr := tokens.TakeTargets(ar.Form, ar.PostForm)
	req, err := s.provider.NewAuthorizeRequest(ctx, ar)
	loopback.restore(req)
	switch {
	case err != nil:
		return nil, err
	case !registeredRedirectURI(req):
		return nil, fosite.ErrInvalidRequest.WithHint("The redirect_uri is not registered for this client.")
	case targetErr != nil:
		return nil, targetErr
	}
	if err := tokens.CheckTargets(req.GetClient().GetAudience(), targets); err != nil {
		return nil, err
	}
	if _, err := s.authorizeParams(ctx, req); err != nil {
		return nil, err
	}
	return form, nil
}

// authorizePushed is an authorization request that names a pushed request
// (RFC 9126 §4): client_id and request_uri. The pushed request is taken
// from storage in one step, so of any number of concurrent uses one
// proceeds, and its parameters replace the query's. An unknown, expired,
// used or another client's request_uri is invalid_request_uri: on the
// redirect when the query names a redirect URI registered for the client,
// otherwise on a page.
func (s *Server) authorizePushed(w http.ResponseWriter, r *http.Request, requestURI string) {
	ctx := r.Context()
	clientID := r.Form.Get("client_id")
	if clientID == "" || len(r.Form["client_id"]) > 1 {
		s.pages.RenderError(w, r, http.StatusBadRequest, "Invalid authorization request",
			"The request names a pushed request (request_uri) but not exactly one application (client_id).")
		return
	}
	cl, err := s.clients.Get(ctx, clientID)
	if err != nil {
		if errors.Is(err, fosite.ErrNotFound) || errors.Is(err, storage.ErrNotFound) {
			s.pages.RenderError(w, r, http.StatusBadRequest, "Unknown application",
				"The application that sent you here is not registered with this server.")
			return
		}
		s.serverErrorPage(w, r, "load client", err)
		return
	}
	p, err := s.store.ConsumePushedRequest(ctx, randtoken.Hash(strings.TrimPrefix(requestURI, RequestURIPrefix)), clientID, s.now())
	if errors.Is(err, storage.ErrNotFound) {
		if ar := knownRedirect(r, cl); ar != nil {
			s.writeAuthorizeError(ctx, w, ar, errUnknownRequestURI)
			return
		}
		s.pages.RenderError(w, r, http.StatusBadRequest, "Sign-in request expired",
			"This sign-in request (request_uri) is unknown, has expired or was already used. Go back to the application and start again.")
		return
	}
	if err != nil {
		s.serverErrorPage(w, r, "consume pushed request", err)
		return
	}
	form, err := url.ParseQuery(p.Form)
	if err != nil {
		s.serverErrorPage(w, r, "decode pushed request", err)
		return
	}
	s.authorize(w, replay(r, form), nil, true)
}

// knownRedirect is the error target of a request whose pushed request is
// gone: its redirect_uri, when it is one of the client's registered URIs,
// with its state and response mode.
func knownRedirect(r *http.Request, cl fosite.Client) *fosite.AuthorizeRequest {
	raw := r.Form.Get("redirect_uri")
	if raw == "" || len(r.Form["redirect_uri"]) != 1 {
		return nil
	}
	if _, ok := clients.MatchRedirectURI(cl.GetRedirectURIs(), raw); !ok {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	ar := fosite.NewAuthorizeRequest()
	ar.RedirectURI = u
	ar.State = r.Form.Get("state")
	ar.Client = cl
	if r.Form.Get("response_mode") == string(fosite.ResponseModeFormPost) {
		ar.ResponseMode = fosite.ResponseModeFormPost
	}
	return ar
}

// pushedRequired reports whether cl's authorization requests must come
// through the pushed authorization request endpoint.
func (s *Server) pushedRequired(cl storage.Client) bool {
	return s.cfg.RequirePushedAuthorizationRequests || cl.RequirePushedAuthorizationRequests
}

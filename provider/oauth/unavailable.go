package oauth

import (
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/storage"
)

// errUnavailable is the answer while the database cannot serve: 503
// temporarily_unavailable (RFC 6749 §4.1.2.1), with Retry-After.
var errUnavailable = fosite.ErrTemporarilyUnavailable.WithHint("The server cannot reach its database right now. Try again in a moment.")

// unavailableNow reports whether err means "try again": the database is
// unavailable, or fosite said temporarily_unavailable (revocation does when
// a lookup failed).
func unavailableNow(err error) bool {
	return errors.Is(err, storage.ErrUnavailable) ||
		fosite.ErrorToRFC6749Error(err).ErrorField == fosite.ErrTemporarilyUnavailable.ErrorField
}

// setRetryAfter adds Retry-After to a 503 answer (RFC 9110 §10.2.3).
func setRetryAfter(h http.Header, status int) {
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", storage.RetryAfterUnavailable)
	}
}

// unavailablePage answers a browser whose request failed on the database
// with a 503 page (never "unknown application"), and reports whether it did.
func (s *Server) unavailablePage(w http.ResponseWriter, r *http.Request, err error) bool {
	if !fositestore.StorageFailed(err) {
		return false
	}
	status := http.StatusInternalServerError
	if unavailableNow(err) {
		status = http.StatusServiceUnavailable
	}
	s.log.ErrorContext(r.Context(), "oauth: authorization request failed on the database", "status", status, "error", err)
	setRetryAfter(w.Header(), status)
	s.pages.RenderError(w, r, status, "Something went wrong", "The request could not be processed. Try again in a moment.")
	return true
}

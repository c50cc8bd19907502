package page

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/textcheck"
	"github.com/ostiary/ostiary/storage"
)

// HandlerFunc is a page handler: it writes the page, or returns the error
// Handle turns into one.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// readForm caps the body and parses the form before any handler runs, so no
// handler's PostFormValue can reach net/http's multipart parser (which keeps
// 32 MiB in memory and spools the rest to disk). The pages' forms are all
// urlencoded: multipart is refused unread.
func readForm(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && strings.HasPrefix(mt, "multipart/") {
			return Show(http.StatusUnsupportedMediaType, "Unsupported form",
				"This page accepts only ordinary form submissions.")
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, textcheck.MaxBody)
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return nil
	}
	if err := r.ParseForm(); err != nil {
		if mbe := new(http.MaxBytesError); errors.As(err, &mbe) {
			return Show(http.StatusRequestEntityTooLarge, "Form too large", "The form sent is larger than this page accepts.")
		}
		return Show(http.StatusBadRequest, "Invalid form", "The form could not be read. Go back and try again.")
	}
	return nil
}

// Handle turns a HandlerFunc into an http.HandlerFunc; the one place errors
// become pages, and the one place page forms are read. Mount applies it to
// every route; it does not set the security headers (Headers does).
func (s *Site) Handle(h HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := readForm(w, r)
		if err != nil && wantsJSON(r) {
			_ = s.jsonError(w, r, err)
			return
		}
		if err == nil {
			err = h(w, r)
		}
		if err == nil {
			return
		}
		var pe *Error
		switch {
		case errors.As(err, &pe):
			if pe.Err != nil {
				s.logger.WarnContext(r.Context(), "page error", "path", r.URL.Path, "status", pe.Status, "err", pe.Err)
			}
			s.RenderError(w, r, pe.Status, pe.Title, pe.Detail)
		case errors.Is(err, browser.ErrCSRF):
			s.logger.InfoContext(r.Context(), "form refused", "path", r.URL.Path, "err", err)
			s.RenderError(w, r, http.StatusForbidden, "This form has expired",
				"The page was open too long or came from another site. Go back, reload the page and try again.")
		case errors.Is(err, storage.ErrUnavailable):
			// The database, not the user, failed: say so and when to
			// come back (RFC 9110 §15.6.4).
			s.logger.ErrorContext(r.Context(), "page failed: database unavailable", "path", r.URL.Path, "err", err)
			w.Header().Set("Retry-After", storage.RetryAfterUnavailable)
			s.RenderError(w, r, http.StatusServiceUnavailable, "Temporarily unavailable",
				"The server cannot reach its database right now. Try again in a moment.")
		case fault.KindOf(err) != 0:
			// A refusal by the rules that no handler turned into a form
			// message: its kind picks the page, its message is the detail.
			f, _ := fault.From(err)
			fp := faultPages[f.Kind]
			s.logger.InfoContext(r.Context(), "page refused", "path", r.URL.Path, "err", err)
			s.RenderError(w, r, fp.status, fp.title, f.Message)
		default:
			s.logger.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
			s.RenderError(w, r, http.StatusInternalServerError, "Something went wrong",
				"The server could not finish this request. Try again in a moment.")
		}
	}
}

// faultPages is the status and title of the page for each kind of
// provider/fault failure.
var faultPages = map[fault.Kind]struct {
	status int
	title  string
}{
	fault.Invalid:   {http.StatusBadRequest, "This request cannot be done"},
	fault.Forbidden: {http.StatusForbidden, "Not allowed"},
	fault.NotFound:  {http.StatusNotFound, "Not found"},
	fault.Conflict:  {http.StatusConflict, "This cannot be done now"},
}

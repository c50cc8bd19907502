package adminapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/storage"
)

// The API answers a fault by its kind with its message; a bare storage
// sentinel with words of its own, never the store's; anything else as
// internal, saying nothing.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err           error
		status        int
		code, message string
	}{
		{fmt.Errorf("org: %w", accounts.ErrForbidden.New("Only owners delete an organization.")), http.StatusForbidden, CodeForbidden, "Only owners delete an organization."},
		{ErrInvalid.New("Connector is required."), http.StatusBadRequest, CodeInvalidRequest, "Connector is required."},
		{fault.Wrap(fault.Conflict, errors.New("secret detail"), "Taken."), http.StatusConflict, CodeConflict, "Taken."},
		{fmt.Errorf("client %q: %w", "x", storage.ErrNotFound), http.StatusNotFound, CodeNotFound, "What the request names does not exist."},
		{fmt.Errorf("%w", storage.ErrAlreadyExists), http.StatusConflict, CodeConflict, "It exists already."},
		{fmt.Errorf("db: %w", storage.ErrUnavailable), http.StatusServiceUnavailable, CodeUnavailable, "The database cannot serve the request now; try again shortly."},
		{errors.New("secret detail"), http.StatusInternalServerError, CodeInternal, "The server failed to process the request."},
	} {
		status, code, msg := classify(c.err)
		if status != c.status || code != c.code || msg != c.message {
			t.Errorf("classify(%v) = %d %s %q, want %d %s %q", c.err, status, code, msg, c.status, c.code, c.message)
		}
	}
}

package page_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/web/webtest"
)

// A refusal by the rules that reaches the error adapter is a page of its
// kind with its message, the cause left in the log.
func TestFaultReachingTheAdapterIsItsPage(t *testing.T) {
	t.Parallel()
	site := webtest.New(t).Site()
	for _, c := range []struct {
		err  error
		code int
		text string
	}{
		{fmt.Errorf("web: %w", accounts.ErrForbidden.New("Only owners delete an organization.")), http.StatusForbidden, "Only owners delete an organization."},
		{fault.Wrap(fault.NotFound, errors.New("row 42 gone"), "That token no longer exists."), http.StatusNotFound, "That token no longer exists."},
		{fault.Conflictf("You have %d tokens.", 50), http.StatusConflict, "You have 50 tokens."},
	} {
		w := httptest.NewRecorder()
		site.Handle(func(http.ResponseWriter, *http.Request) error { return c.err })(w, httptest.NewRequest("GET", "/x", nil))
		webtest.WantPage(t, w, w.Body.String(), c.code, c.text)
	}
	w := httptest.NewRecorder()
	site.Handle(func(http.ResponseWriter, *http.Request) error {
		return fault.Wrap(fault.Invalid, errors.New("row 42 gone"), "No.")
	})(w, httptest.NewRequest("GET", "/x", nil))
	if body := w.Body.String(); w.Code != http.StatusBadRequest || strings.Contains(body, "row 42") {
		t.Fatalf("the cause reached the page: %d\n%s", w.Code, body)
	}
}

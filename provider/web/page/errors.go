package page

import (
	"fmt"
	"net/http"
)

// Error is a failure with the page to show for it. Handlers return it (or
// Show's); Handle renders it. Err is logged, never shown.
type Error struct {
	Status        int
	Title, Detail string
	Err           error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Title, e.Err)
	}
	return e.Title
}

func (e *Error) Unwrap() error { return e.Err }

// Show is the error page with status, title and detail, as an error for a
// handler to return.
func Show(status int, title, detail string) error {
	return &Error{Status: status, Title: title, Detail: detail}
}

// RequestGone is shown when the parked authorization request is unknown or
// expired: only the application can start a new one.
func RequestGone(err error) error {
	return &Error{
		Status: http.StatusBadRequest,
		Title:  "This sign-in request has expired",
		Detail: "Go back to the application and start signing in again.",
		Err:    err,
	}
}

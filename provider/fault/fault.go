package fault

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kind says what a failure means to the caller; each surface answers a
// kind with one status and code.
type Kind uint8

// The kinds. The zero Kind is not a user-facing failure.
const (
	// Invalid: the request is malformed or breaks a rule; the message says
	// what to correct.
	Invalid Kind = iota + 1
	// Forbidden: the caller may not do this.
	Forbidden
	// NotFound: what the request names does not exist (or is not the
	// caller's to see).
	NotFound
	// Conflict: the request is well formed but clashes with the state
	// (already exists, a limit is reached, the last owner).
	Conflict
)

var kindNames = [...]string{"", "invalid", "forbidden", "not found", "conflict"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("fault.Kind(%d)", uint8(k))
}

// Error is a user-facing failure. Message is safe to show as it is; Cause,
// when set, is what happened underneath and goes to the log only.
type Error struct {
	Kind    Kind
	Message string
	Cause   error
	// Details, when set, are the separate problems Message joins, for a
	// surface that lists them (a form's errors).
	Details []string
	// of is the sentinel this failure is one of, so that errors.Is(err,
	// sentinel) holds; nil for a failure of no package's sentinel.
	of *Error
}

// Error is the message, followed by the cause for the log.
func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + " (" + e.Cause.Error() + ")"
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is reports whether target is the sentinel e was made from.
func (e *Error) Is(target error) bool { return e.of != nil && target == e.of }

// Sentinel makes a package's sentinel error of kind k; text is its Error()
// and the message a surface shows when nothing more specific was said.
// Failures made from it by New, Newf and Wrap satisfy errors.Is(err, it).
func Sentinel(k Kind, text string) *Error { return &Error{Kind: k, Message: text} }

// New is a failure of sentinel e's kind with its own message.
func (e *Error) New(message string) *Error {
	return &Error{Kind: e.Kind, Message: message, of: e.root()}
}

// Newf is New with a formatted message.
func (e *Error) Newf(format string, a ...any) *Error { return e.New(fmt.Sprintf(format, a...)) }

// NewList is a failure of sentinel e's kind for several problems at once:
// Message joins them with "; ", Details keeps them apart. No problems is
// no failure (nil).
func (e *Error) NewList(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	f := e.New(strings.Join(problems, "; "))
	f.Details = slices.Clone(problems)
	return f
}

// Wrap is New with a cause for the log.
func (e *Error) Wrap(cause error, message string) *Error {
	f := e.New(message)
	f.Cause = cause
	return f
}

func (e *Error) root() *Error {
	if e.of != nil {
		return e.of
	}
	return e
}

// New is a failure of kind k with a message.
func New(k Kind, message string) *Error { return &Error{Kind: k, Message: message} }

// Wrap is a failure of kind k with a message and a cause for the log.
func Wrap(k Kind, cause error, message string) *Error {
	return &Error{Kind: k, Message: message, Cause: cause}
}

// Invalidf, Forbiddenf, NotFoundf and Conflictf make a failure of their
// kind with a formatted message.
func Invalidf(format string, a ...any) *Error   { return New(Invalid, fmt.Sprintf(format, a...)) }
func Forbiddenf(format string, a ...any) *Error { return New(Forbidden, fmt.Sprintf(format, a...)) }
func NotFoundf(format string, a ...any) *Error  { return New(NotFound, fmt.Sprintf(format, a...)) }
func Conflictf(format string, a ...any) *Error  { return New(Conflict, fmt.Sprintf(format, a...)) }

// From returns the outermost user-facing failure in err's chain.
func From(err error) (*Error, bool) { return errors.AsType[*Error](err) }

// KindOf is the kind of the failure err carries; zero when it carries none.
func KindOf(err error) Kind {
	if f, ok := From(err); ok {
		return f.Kind
	}
	return 0
}

// Details are the problems of the failure err carries, one per item: its
// Details, else its Message alone; nil when err carries no failure.
func Details(err error) []string {
	f, ok := From(err)
	switch {
	case !ok:
		return nil
	case len(f.Details) > 0:
		return slices.Clone(f.Details)
	}
	return []string{f.Message}
}

// Message is the safe message of the failure err carries, or fallback.
func Message(err error, fallback string) string {
	if f, ok := From(err); ok {
		return f.Message
	}
	return fallback
}

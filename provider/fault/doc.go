// Package fault is the one error type for failures a user may be told
// about: an Error carries a Kind (what went wrong, in the caller's terms)
// and a Message written for the user or program that made the request.
// A wrapped Cause is for the log and is never shown.
//
// Each surface maps kinds to its own vocabulary once: the admin API to
// HTTP statuses and its error codes, the OAuth endpoints to RFC 6749 §5.2
// / RFC 7591 §3.2.2 error codes, the pages to a status and the text of the
// error page. Code that builds a user-facing message builds a fault.Error;
// no surface makes one by trimming err.Error().
//
// A package's own sentinel (accounts.ErrInvalid, pat.ErrInvalid, ...) is a
// fault.Error made by Sentinel: errors.Is keeps telling its failures apart,
// and the surfaces read their kind and message without knowing the package.
package fault

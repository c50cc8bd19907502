package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATEs of a server that cannot serve now, whatever the statement:
// operator intervention (shutdown, crash recovery, starting up) and a
// read-only server or transaction (a standby, default_transaction_read_only).
// Classes 08 (connection exception) and 53 (insufficient resources: too
// many connections, out of memory or disk) are matched by prefix.
var unavailableCodes = []string{"57P01", "57P02", "57P03", "25006"}

// unavailable reports an error that means the database is unreachable or
// refusing work rather than that the statement was wrong: what
// storage.ErrUnavailable stands for. A cancelled request context is the
// caller's doing and is not unavailability.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	// Whatever the server said while refusing a connection (a database
	// not accepting connections is 55000), no statement ran.
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	if code := pgCode(err); code != "" {
		return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") || slices.Contains(unavailableCodes, code)
	}
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded) ||
		// pgx's own word for a statement that never reached the server
		// (a connection found broken before sending).
		pgconn.SafeToRetry(err)
}

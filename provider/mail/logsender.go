package mail

import (
	"context"
	"log/slog"
	"sync"
)

// logKeep is how many mails Log remembers for the development page.
const logKeep = 50

// Log is the development sender, used when no SMTP server is configured: it
// logs that a mail went out (recipient and subject only: the links in the
// body are live credentials, and logs are kept) and remembers the newest
// mails in memory, never in the database, for the /dev/mail page. The
// server refuses this sender on an issuer that is not on loopback.
type Log struct {
	Logger *slog.Logger

	mu     sync.Mutex
	recent []Message // newest last
}

// Send logs m, remembers it and reports success.
func (l *Log) Send(ctx context.Context, m Message) error {
	l.mu.Lock()
	l.recent = append(l.recent, m)
	if len(l.recent) > logKeep {
		l.recent = append([]Message(nil), l.recent[len(l.recent)-logKeep:]...)
	}
	l.mu.Unlock()
	l.Logger.InfoContext(ctx, "mail not sent (no SMTP configured; development mode): see /dev/mail",
		"mail_id", m.ID, "to", m.To, "subject", m.Subject)
	return nil
}

// Recent returns up to limit of the mails sent through l, newest first.
func (l *Log) Recent(limit int) []Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Message, 0, min(limit, len(l.recent)))
	for i := len(l.recent) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, l.recent[i])
	}
	return out
}

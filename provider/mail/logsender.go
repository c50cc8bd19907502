package mail

import (
	"context"
	"log/slog"
)

// Log is the development sender, used when no SMTP server is configured: it
// writes each mail (recipient, subject, text body with its links) to the log
// instead of sending it. The links in it are live credentials, which is why
// the server refuses this sender on an issuer that is not on loopback.
type Log struct {
	Logger *slog.Logger
}

// Send logs m and reports success.
func (l Log) Send(ctx context.Context, m Message) error {
	l.Logger.InfoContext(ctx, "mail not sent (no SMTP configured; development mode)",
		"mail_id", m.ID, "to", m.To, "subject", m.Subject, "text", m.Text)
	return nil
}

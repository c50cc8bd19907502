package selfservice

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/mail"
)

// DefaultMailsPerHour caps the mails the forms send to one address.
const DefaultMailsPerHour = 5

// Outbox queues a mail rendered from templates/mail (provider/mail.Outbox).
type Outbox interface {
	Send(ctx context.Context, to string, data mail.Data) error
	// SendPrepared queues a mail whose data the worker's Preparer of that
	// name makes at send time (mail.Outbox.SendPrepared).
	SendPrepared(ctx context.Context, to, preparer string) error
}

// HitCounter counts mails per recipient (storage.ThrottleStore).
type HitCounter interface {
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error)
}

// MailCap queues mails unless their address has had its share this hour,
// so that the forms that mail someone cannot flood their mailbox. Over the
// cap it only logs: the page the user sees is the same either way. The
// upstream sign-in's mailed proof (web/federation) goes through the same
// cap.
type MailCap struct {
	Store  HitCounter
	Outbox Outbox
	// PerHour is the share of one address (DefaultMailsPerHour in the
	// binary); selfservice.New refuses zero.
	PerHour int
	Now     func() time.Time
	Logger  *slog.Logger
}

// Send queues data for to, within the cap.
func (c *MailCap) Send(ctx context.Context, to string, data mail.Data) error {
	ok, err := c.within(ctx, to)
	if err != nil {
		return err
	}
	if !ok {
		c.Logger.WarnContext(ctx, "mail not queued: too many to this address this hour", "mail", fmt.Sprintf("%T", data))
		return nil
	}
	if err := c.Outbox.Send(ctx, to, data); err != nil {
		return fmt.Errorf("selfservice: queue mail: %w", err)
	}
	return nil
}

// within counts one mail to the address and reports whether it is within
// this hour's share. The forms call it for unknown addresses too, so both
// answers cost the same database write.
func (c *MailCap) within(ctx context.Context, to string) (bool, error) {
	n, _, err := c.Store.Hit(ctx, "mail-to:"+strings.ToLower(to), time.Hour, c.Now())
	if err != nil {
		return false, fmt.Errorf("selfservice: count mails: %w", err)
	}
	return n <= c.PerHour, nil
}

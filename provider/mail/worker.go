package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"sync"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// Sender delivers one message; SMTP and Log are senders.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Queue is the outbox as the worker uses it (storage.MailStore).
type Queue interface {
	ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]storage.Mail, error)
	MarkMailSent(ctx context.Context, id string, now time.Time) error
	MarkMailFailed(ctx context.Context, id, lastError string, nextAttempt time.Time) error
	GiveUpMail(ctx context.Context, id, lastError string, now time.Time) error
}

// The worker settings provider.DefaultConfig gives; a Worker takes no
// defaults of its own: a zero setting stops it (configErr).
const (
	DefaultPollInterval = 5 * time.Second
	DefaultLease        = 2 * time.Minute
	DefaultMaxAttempts  = 8
	DefaultBackoff      = 30 * time.Second
	DefaultMaxBackoff   = time.Hour
)

// Worker sends the outbox. It claims one mail at a time under a lease: the
// claim pushes the mail's next attempt past the lease, so another replica
// (or this one after a crash) takes it again only once the lease has run
// out. The lease must therefore outlast one delivery (the sender's timeout);
// mails are claimed singly so that a slow batch cannot outlive it.
type Worker struct {
	Queue  Queue
	Sender Sender
	// Sealer opens the bodies the Outbox sealed (the same keys).
	Sealer Sealer
	// Outbox renders the mails prepared at send time (SendPrepared), with
	// the Preparer of that name.
	Outbox    *Outbox
	Preparers map[string]Preparer
	// From is the sender address of every mail, e.g. "Ostiary <id@example.com>".
	From string
	Now  func() time.Time
	// PollInterval is how often the outbox is checked when idle.
	PollInterval time.Duration
	// Lease is how long a claimed mail is reserved for this worker.
	Lease time.Duration
	// MaxAttempts is how many deliveries are tried before giving up.
	MaxAttempts int
	// Backoff is the wait after the first failure, doubled after each
	// next one up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	Logger              *slog.Logger

	once      sync.Once
	wake      chan struct{}
	configErr error
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.Now == nil {
			w.Now = time.Now
		}
		var errs []error
		for name, d := range map[string]time.Duration{"PollInterval": w.PollInterval, "Lease": w.Lease,
			"Backoff": w.Backoff, "MaxBackoff": w.MaxBackoff} {
			if d <= 0 {
				errs = append(errs, fmt.Errorf("%s is %v, want a positive duration", name, d))
			}
		}
		if w.MaxAttempts <= 0 {
			errs = append(errs, fmt.Errorf("MaxAttempts is %d, want at least 1", w.MaxAttempts))
		}
		if err := errors.Join(errs...); err != nil {
			w.configErr = fmt.Errorf("mail worker: %w", err)
		}
		if w.Logger == nil {
			w.Logger = slog.Default()
		}
	})
}

// Wake makes a running worker look at the outbox now (Outbox calls it after
// storing a mail). It never blocks.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends due mails until ctx is cancelled, then returns once the mail in
// hand is dealt with. A delivery under way when ctx ends is finished (it is
// bounded by the sender's timeout), so a clean shutdown never leaves a mail
// sent but not marked.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	if w.configErr != nil {
		w.Logger.ErrorContext(ctx, "mail outbox: not sending", "err", w.configErr)
		return
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
		for ctx.Err() == nil {
			sent, err := w.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				w.Logger.ErrorContext(ctx, "mail outbox", "err", err)
			}
			if !sent || err != nil {
				break
			}
		}
		t.Reset(w.PollInterval)
	}
}

// RunOnce claims at most one due mail and tries to deliver it. ok reports
// whether a mail was claimed.
func (w *Worker) RunOnce(ctx context.Context) (ok bool, err error) {
	w.init()
	if w.configErr != nil {
		return false, w.configErr
	}
	now := w.Now()
	claimed, err := w.Queue.ClaimMail(ctx, now, now.Add(w.Lease), 1)
	if err != nil {
		return false, fmt.Errorf("claim mail: %w", err)
	}
	if len(claimed) == 0 {
		return false, nil
	}
	return true, w.deliver(context.WithoutCancel(ctx), claimed[0])
}

func (w *Worker) deliver(ctx context.Context, m storage.Mail) error {
	b, err := openBody(w.Sealer, m)
	if err != nil {
		// Sealed under a system secret no longer configured, or tampered
		// with: no retry can open it.
		w.Logger.ErrorContext(ctx, "mail given up", "mail_id", m.ID, "err", err)
		if err := w.Queue.GiveUpMail(ctx, m.ID, "cannot open the sealed body", w.Now()); err != nil {
			return fmt.Errorf("give up mail %s: %w", m.ID, err)
		}
		return nil
	}
	subject := m.Subject
	if b.Prepare != "" {
		var send bool
		if subject, b, send, err = w.prepare(ctx, m, b.Prepare); err != nil {
			return w.retry(ctx, m, err)
		}
		if !send {
			// Recorded like a delivery, so the outbox does not tell which
			// addresses have an account.
			if err := w.Queue.MarkMailSent(ctx, m.ID, w.Now()); err != nil {
				return fmt.Errorf("mark mail %s done: %w", m.ID, err)
			}
			return nil
		}
	}
	msg := Message{ID: m.ID, From: w.From, To: m.To, Subject: subject, Text: b.Text, HTML: b.HTML, Date: m.CreatedAt}
	sendErr := w.Sender.Send(ctx, msg)
	now := w.Now()
	if sendErr == nil {
		if err := w.Queue.MarkMailSent(ctx, m.ID, now); err != nil {
			// Sent but not marked: after the lease it goes out again. Rare,
			// and a duplicate beats a lost password reset.
			return fmt.Errorf("mark mail %s sent: %w", m.ID, err)
		}
		w.Logger.InfoContext(ctx, "mail sent", "mail_id", m.ID, "attempt", m.Attempts)
		return nil
	}
	return w.retry(ctx, m, sendErr)
}

// retry schedules the next attempt after err, or gives the mail up when
// retrying cannot help or it had its attempts.
func (w *Worker) retry(ctx context.Context, m storage.Mail, err error) error {
	now := w.Now()
	if Permanent(err) || m.Attempts >= w.MaxAttempts {
		w.Logger.ErrorContext(ctx, "mail given up", "mail_id", m.ID, "attempts", m.Attempts, "err", err)
		if err := w.Queue.GiveUpMail(ctx, m.ID, err.Error(), now); err != nil {
			return fmt.Errorf("give up mail %s: %w", m.ID, err)
		}
		return nil
	}
	next := now.Add(Backoff(w.Backoff, w.MaxBackoff, m.Attempts))
	w.Logger.WarnContext(ctx, "mail not sent; will retry", "mail_id", m.ID, "attempt", m.Attempts,
		"retry_at", next, "err", err)
	if err := w.Queue.MarkMailFailed(ctx, m.ID, err.Error(), next); err != nil {
		return fmt.Errorf("mark mail %s failed: %w", m.ID, err)
	}
	return nil
}

// prepare makes the data of a mail prepared at send time and renders it.
func (w *Worker) prepare(ctx context.Context, m storage.Mail, name string) (subject string, b body, send bool, err error) {
	fn, ok := w.Preparers[name]
	if !ok || w.Outbox == nil {
		return "", body{}, false, fmt.Errorf("mail: no preparer %q", name)
	}
	d, send, err := fn(ctx, m.To)
	if err != nil || !send {
		return "", body{}, false, err
	}
	subject, b.Text, b.HTML, err = w.Outbox.Render(d)
	return subject, b, err == nil, err
}

// Backoff is the wait after the attempt-th failed attempt (1-based): base,
// then doubling, never more than max.
func Backoff(base, max time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt; i++ {
		d *= 2
		if d >= max || d <= 0 {
			return max
		}
	}
	return min(d, max)
}

// Permanent reports whether err is an SMTP 5xx answer to the recipient or
// the message: retrying cannot help (no such mailbox, message refused).
func Permanent(err error) bool {
	var r *refusal
	var te *textproto.Error
	return errors.As(err, &r) && errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}

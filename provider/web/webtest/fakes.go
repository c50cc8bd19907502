package webtest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/throttle"
)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Hints is a fake id_token_hint verifier: Tokens maps a raw hint to its
// subject, session id and client.
type Hints struct {
	Tokens map[string][3]string
}

// VerifyIDTokenHint accepts the hints in Tokens only.
func (h *Hints) VerifyIDTokenHint(_ context.Context, raw string) (string, string, string, error) {
	v, ok := h.Tokens[raw]
	if !ok {
		return "", "", "", errors.New("bad signature")
	}
	return v[0], v[1], v[2], nil
}

// Notified records the ended sessions a logout notifier heard of.
type Notified struct {
	mu    sync.Mutex
	ended []string
}

// SessionEnded records "userID/sessionID".
func (n *Notified) SessionEnded(_ context.Context, userID, sessionID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ended = append(n.ended, userID+"/"+sessionID)
}

// Ended are the sessions heard of, as "userID/sessionID", oldest first.
func (n *Notified) Ended() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.ended...)
}

// Mailer records what the pages ask to send.
type Mailer struct {
	mu       sync.Mutex
	sent     []Mail
	prepared int
	// Prepare, when set, plays the mail worker for SendPrepared: it makes
	// the mail at once and records it as sent.
	Prepare mail.Preparer
}

// Mail is one mail the pages sent.
type Mail struct {
	To, Template string
	Data         mail.Data
}

// Link is the link a mail carries ("" for a mail without one).
func (m Mail) Link() string {
	if f := reflect.ValueOf(m.Data).FieldByName("Link"); f.IsValid() {
		return f.String()
	}
	return ""
}

// Send records the mail.
func (m *Mailer) Send(_ context.Context, to string, data mail.Data) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, Mail{to, mail.Template(data), data})
	return nil
}

// SendPrepared counts the call and, with Prepare set, sends what it makes.
func (m *Mailer) SendPrepared(ctx context.Context, to, preparer string) error {
	m.mu.Lock()
	m.prepared++
	prepare := m.Prepare
	m.mu.Unlock()
	if prepare == nil {
		return nil
	}
	d, ok, err := prepare(ctx, to)
	if err != nil || !ok {
		return err
	}
	return m.Send(ctx, to, d)
}

// Prepared counts the SendPrepared calls.
func (m *Mailer) Prepared() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.prepared
}

// Sent are the mails sent, oldest first.
func (m *Mailer) Sent() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.sent...)
}

// Last is the newest mail; the test fails if none was sent.
func (m *Mailer) Last(t *testing.T) Mail {
	t.Helper()
	all := m.Sent()
	if len(all) == 0 {
		t.Fatal("no mail was sent")
	}
	return all[len(all)-1]
}

// LastLink is the path and query of the link in the newest mail.
func (m *Mailer) LastLink(t *testing.T) string {
	t.Helper()
	all := m.Sent()
	if len(all) == 0 {
		t.Fatal("no mail was sent")
	}
	link := all[len(all)-1].Link()
	if link == "" {
		t.Fatalf("the last mail (%s) carries no link", all[len(all)-1].Template)
	}
	return strings.TrimPrefix(link, Issuer)
}

// Limiter is the login throttle with the limits the binary runs with
// (provider.DefaultConfig's): a throttle.Limiter takes no defaults of its
// own.
func (e *Env) Limiter() *throttle.Limiter {
	return &throttle.Limiter{Store: e.Store, Now: e.Clock.Now,
		AccountLimit: throttle.DefaultAccountLimit, AccountWindow: throttle.DefaultAccountWindow,
		IPLimit: throttle.DefaultIPLimit, IPWindow: throttle.DefaultIPWindow, DeviceLimit: throttle.DefaultDeviceLimit}
}

package backchannel

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ostiary/ostiary/provider/outbound"
	"github.com/ostiary/ostiary/storage"
)

// The retry settings provider.DefaultConfig gives; a Notifier takes no
// defaults of its own: with a zero one it delivers nothing (validate).
const (
	DefaultMaxAttempts    = 5
	DefaultBackoff        = time.Second
	DefaultAttemptTimeout = 5 * time.Second
)

// maxInFlight bounds concurrent deliveries, so signing everyone out at once
// does not open thousands of connections.
const maxInFlight = 16

// ClientGetter reads a registered client (storage.ClientStore).
type ClientGetter interface {
	// GetClient returns storage.ErrNotFound for an unknown id.
	GetClient(ctx context.Context, id string) (storage.Client, error)
}

// SessionClientLister lists the clients a browser session signed in to
// (storage.TokenStore).
type SessionClientLister interface {
	SessionClients(ctx context.Context, sessionID string) ([]string, error)
}

// Signer hands out the current signing key (keys.Manager).
type Signer interface {
	Signing(ctx context.Context) (kid string, key *rsa.PrivateKey, err error)
}

// Notifier delivers logout tokens. Set the fields before first use; a
// Notifier must not be copied after. Call Close at shutdown.
type Notifier struct {
	Clients ClientGetter
	Tokens  SessionClientLister
	Signer  Signer
	// Issuer is the iss of logout tokens, exactly as in ID tokens.
	Issuer string
	// HTTP sends the POSTs; nil uses a plain http.Client. Redirects are
	// never followed: a logout endpoint answers itself.
	HTTP *http.Client
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// MaxAttempts is how often one delivery is tried.
	MaxAttempts int
	// Backoff is the pause before the first retry, doubled for each next
	// one.
	Backoff time.Duration
	// AttemptTimeout bounds one POST, connection included.
	AttemptTimeout time.Duration
	// Finished, when set, is told how each delivery ended: "delivered",
	// "failed" (given up) or "abandoned" (at shutdown).
	Finished func(result string)

	initOnce sync.Once
	client   *http.Client
	base     context.Context // cancelled by Close
	cancel   context.CancelFunc
	slots    chan struct{}

	mu      sync.Mutex
	closed  bool
	pending sync.WaitGroup
}

func (n *Notifier) init() {
	n.initOnce.Do(func() {
		c := http.Client{}
		if n.HTTP != nil {
			c = *n.HTTP
		}
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		n.client = &c
		n.base, n.cancel = context.WithCancel(context.Background())
		n.slots = make(chan struct{}, maxInFlight)
	})
}

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now()
}

func (n *Notifier) logger() *slog.Logger {
	if n.Logger != nil {
		return n.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// SessionEnded notifies every client of the ended browser session that
// registered a back-channel logout URI. It looks the clients up before
// returning, so the caller may delete the session's token records
// afterwards, and delivers in the background: it never waits for a client.
// Failures are logged, not returned: the session has ended either way.
func (n *Notifier) SessionEnded(ctx context.Context, userID, sessionID string) {
	n.init()
	log := n.logger().With("session", sessionID)
	if err := n.validate(); err != nil {
		log.ErrorContext(ctx, "back-channel logout: not delivered", "error", err)
		return
	}
	ids, err := n.Tokens.SessionClients(ctx, sessionID)
	if err != nil {
		log.ErrorContext(ctx, "back-channel logout: list the session's clients", "error", err)
		return
	}
	for _, id := range ids {
		c, err := n.Clients.GetClient(ctx, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			continue // deleted since; nothing to tell it
		case err != nil:
			log.ErrorContext(ctx, "back-channel logout: read client", "client_id", id, "error", err)
			continue
		case c.BackchannelLogoutURI == "":
			continue
		}
		if !n.start() {
			log.WarnContext(ctx, "back-channel logout after Close; not delivered", "client_id", id)
			return
		}
		// The delivery outlives the request but stays in its trace.
		go n.deliver(trace.SpanContextFromContext(ctx), c.ID, c.BackchannelLogoutURI, userID, sessionID)
	}
}

// validate refuses retry settings left unset.
func (n *Notifier) validate() error {
	if n.MaxAttempts < 1 || n.Backoff <= 0 || n.AttemptTimeout <= 0 {
		return fmt.Errorf("backchannel: MaxAttempts %d, Backoff %v, AttemptTimeout %v: each must be set",
			n.MaxAttempts, n.Backoff, n.AttemptTimeout)
	}
	return nil
}

// start counts a delivery as pending unless the Notifier is closed.
func (n *Notifier) start() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.pending.Add(1)
	return true
}

// Wait blocks until every delivery started so far has succeeded or given up.
func (n *Notifier) Wait() {
	n.pending.Wait()
}

// Close stops accepting notifications, abandons pending retries and
// in-flight requests, and returns when every delivery goroutine has ended.
func (n *Notifier) Close() {
	n.init()
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.cancel()
	n.pending.Wait()
}

func (n *Notifier) deliver(parent trace.SpanContext, clientID, uri, userID, sessionID string) {
	defer n.pending.Done()
	log := n.logger().With("client_id", clientID, "session", sessionID)
	attempts, wait := n.MaxAttempts, n.Backoff
	for attempt := 1; ; attempt++ {
		retry, err := n.attempt(parent, clientID, uri, userID, sessionID)
		if err == nil {
			log.Info("back-channel logout delivered", "attempt", attempt)
			n.finished("delivered")
			return
		}
		if !retry || attempt >= attempts {
			log.Warn("back-channel logout failed; giving up", "attempt", attempt, "error", err)
			n.finished("failed")
			return
		}
		log.Info("back-channel logout failed; will retry", "attempt", attempt, "retry_in", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-n.base.Done():
			t.Stop()
			log.Warn("back-channel logout abandoned at shutdown", "attempt", attempt)
			n.finished("abandoned")
			return
		case <-t.C:
		}
		wait *= 2
	}
}

func (n *Notifier) finished(result string) {
	if n.Finished != nil {
		n.Finished(result)
	}
}

// attempt makes one POST with a freshly signed token (a retry may come
// after the previous token's exp). retry says whether trying again could
// help.
func (n *Notifier) attempt(parent trace.SpanContext, clientID, uri, userID, sessionID string) (retry bool, err error) {
	select {
	case n.slots <- struct{}{}:
		defer func() { <-n.slots }()
	case <-n.base.Done():
		return false, n.base.Err()
	}
	base := n.base
	if parent.IsValid() {
		base = trace.ContextWithSpanContext(base, parent)
	}
	ctx, cancel := context.WithTimeout(base, n.AttemptTimeout)
	defer cancel()

	token, err := n.logoutToken(ctx, clientID, userID, sessionID)
	if err != nil {
		return true, fmt.Errorf("logout token: %w", err)
	}
	body := url.Values{"logout_token": {token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := n.client.Do(req)
	if errors.Is(err, outbound.ErrRefused) {
		// The address is not allowed (outbound.allow); it stays so.
		return false, fmt.Errorf("post: %w", err)
	}
	if err != nil {
		return n.base.Err() == nil, fmt.Errorf("post: %w", err)
	}
	// Drain a little so the connection can be reused; the body says nothing
	// we act on.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		// §2.8: 200 OK; some frameworks answer 204, which counts too.
		return false, nil
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests:
		return true, fmt.Errorf("client answered %s", resp.Status)
	default:
		// §2.8: 400 means the client rejected the token; sending another
		// one like it will not change its mind. Redirects land here too.
		return false, fmt.Errorf("client answered %s", resp.Status)
	}
}

package outbound

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// The limits provider.DefaultConfig gives; NewClient takes no defaults of
// its own: a zero limit is an error.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxRedirects = 3
	dialTimeout         = 5 * time.Second
)

// Errors besides ErrRefused that a request made with a Client may wrap.
var (
	ErrTooLarge = errors.New("outbound: response body too large")
	ErrRedirect = errors.New("outbound: redirect not followed")
)

// Config shapes a Client.
type Config struct {
	// Guard says which addresses may be reached.
	Guard Guard
	// Timeout bounds a whole request, redirects and reading the body
	// included.
	Timeout time.Duration
	// MaxBodyBytes bounds every response body; reading past it fails with
	// ErrTooLarge.
	MaxBodyBytes int64
	// MaxRedirects bounds the redirects followed, each to the same scheme
	// and host as the first request.
	MaxRedirects int
}

// NewClient returns an http.Client that connects only to addresses the
// guard allows. The check runs on the address being connected to, after
// name resolution, so a name that resolves to a public address for a check
// and to 127.0.0.1 for the connection (DNS rebinding) is still refused. No
// proxy is used: the environment's HTTP_PROXY would move the connection the
// guard sees to the proxy, which then reaches anything.
func NewClient(cfg Config) (*http.Client, error) {
	if cfg.Timeout <= 0 || cfg.MaxBodyBytes <= 0 || cfg.MaxRedirects <= 0 {
		return nil, fmt.Errorf("outbound: Timeout %v, MaxBodyBytes %d, MaxRedirects %d: each must be positive",
			cfg.Timeout, cfg.MaxBodyBytes, cfg.MaxRedirects)
	}
	guard := cfg.Guard
	dialer := &net.Dialer{
		Timeout: dialTimeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s is not an IP address", ErrRefused, address)
			}
			return guard.CheckAddr(ap.Addr())
		},
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    dialTimeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport:     &capTransport{next: transport, max: cfg.MaxBodyBytes},
		Timeout:       cfg.Timeout,
		CheckRedirect: sameOrigin(cfg.MaxRedirects),
	}, nil
}

// sameOrigin follows at most max redirects, each to the scheme and host
// (port included) of the first request: a redirect must not turn an https
// fetch into http, nor send the request to a host the URL did not name.
func sameOrigin(max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > max {
			return fmt.Errorf("%w: more than %d redirects", ErrRedirect, max)
		}
		first := via[0].URL
		if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
			return fmt.Errorf("%w: %s://%s redirects to another scheme or host (%s://%s)",
				ErrRedirect, first.Scheme, first.Host, req.URL.Scheme, req.URL.Host)
		}
		return nil
	}
}

// capTransport bounds every response body.
type capTransport struct {
	next http.RoundTripper
	max  int64
}

func (t *capTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %d bytes announced, at most %d", ErrTooLarge, resp.ContentLength, t.max)
	}
	resp.Body = &cappedBody{r: io.LimitReader(resp.Body, t.max+1), c: resp.Body, left: t.max}
	return resp, nil
}

// cappedBody fails, rather than silently truncating, once more than its
// cap has been read: a cut JSON document could still parse.
type cappedBody struct {
	r    io.Reader
	c    io.Closer
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n + int(b.left), ErrTooLarge
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.c.Close() }

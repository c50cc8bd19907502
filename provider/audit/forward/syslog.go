package forward

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ostiary/ostiary/storage"
)

// SDID is the SD-ID of the event's structured data element, SDIDDetails
// that of its details. RFC 5424 §7.2.2 wants a private enterprise number
// after the "@"; 32473 is the one RFC 5612 reserves for documentation, as
// Ostiary has none of its own.
const (
	SDID        = "ostiary@32473"
	SDIDDetails = "details@32473"
)

// Severities (RFC 5424 §6.2.1): failures are warnings, the rest
// informational.
const (
	severityWarning = 4
	severityInfo    = 6
)

// Formatter writes RFC 5424 messages.
type Formatter struct {
	// Facility is the facility's number (0-23).
	Facility int
	// Hostname, AppName and ProcID fill the header (RFC 5424 §6.2.4-6).
	Hostname, AppName, ProcID string
	// MaxSize caps the message; the free-form MSG is cut first, then the
	// details element.
	MaxSize int
}

// header field limits, RFC 5424 §6.
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
	maxSDName   = 32
)

// printable is s with every octet outside PRINTUSASCII (33-126), or in
// refused, turned into "_", cut to n octets.
func printable(s string, n int, refused string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 33 || c > 126 || strings.IndexByte(refused, c) >= 0 {
			b[i] = '_'
		}
	}
	return string(b[:min(len(b), n)])
}

// headerField is s as a header field: PRINTUSASCII, at most n octets,
// "-" (the NILVALUE) when empty.
func headerField(s string, n int) string {
	if v := printable(s, n, ""); v != "" {
		return v
	}
	return "-"
}

// sdName is s as a PARAM-NAME (RFC 5424 §6.3.3): PRINTUSASCII except
// '=', ' ', ']' and '"', 1 to 32 octets.
func sdName(s string) string {
	if v := printable(s, maxSDName, `="]`); v != "" {
		return v
	}
	return "_"
}

// sdValue escapes a PARAM-VALUE (RFC 5424 §6.3.3): '"', '\' and ']' get
// a backslash; invalid UTF-8 becomes U+FFFD, as the value must be UTF-8.
func sdValue(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range s {
		if r == '"' || r == '\\' || r == ']' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// element is one SD-ELEMENT, leaving out empty values.
func element(id string, params [][2]string) string {
	var b strings.Builder
	b.WriteString("[" + id)
	for _, p := range params {
		if p[1] == "" {
			continue
		}
		b.WriteString(" " + sdName(p[0]) + `="` + sdValue(p[1]) + `"`)
	}
	b.WriteString("]")
	return b.String()
}

// severity is the event's: a failure is a warning.
func severity(typ string) int {
	if strings.Contains(typ, "failure") || strings.Contains(typ, "failed") {
		return severityWarning
	}
	return severityInfo
}

// sortedDetails returns the details' keys in order, so a message is the
// same at every attempt.
func sortedDetails(d map[string]string) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// text is the human-readable MSG: the type and key=value pairs. It is
// ASCII: a value with spaces, quotes or anything beyond ASCII is quoted
// with \u escapes, so MSG never needs the BOM that RFC 5424 §6.4 asks of
// a UTF-8 MSG (the structured data carries the values unescaped).
func text(e storage.AuditEvent) string {
	var b strings.Builder
	b.WriteString(printable(e.Type, len(e.Type), ""))
	add := func(k, v string) {
		if v == "" {
			return
		}
		if strings.ContainsAny(v, " \t\r\n\"=\\") || !isPrintASCII(v) {
			v = strconv.QuoteToASCII(v)
		}
		b.WriteString(" " + printable(k, maxSDName, `="`) + "=" + v)
	}
	add("actor", e.ActorID)
	add("subject", e.SubjectID)
	add("client", e.ClientID)
	add("org", e.OrgID)
	add("ip", e.IP)
	for _, k := range sortedDetails(e.Details) {
		add(k, e.Details[k])
	}
	return b.String()
}

// isPrintASCII reports whether s is printable ASCII only.
func isPrintASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 32 || s[i] > 126 {
			return false
		}
	}
	return true
}

// Format returns e as one RFC 5424 message (§6): the header, the event's
// structured data (its id is the idempotency key) and the event as text,
// no longer than f.MaxSize octets.
func (f Formatter) Format(e storage.AuditEvent) []byte {
	ts := "-"
	if !e.Time.IsZero() {
		// §6.2.3: RFC 3339 with at most six digits of fraction.
		ts = e.Time.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	}
	header := fmt.Sprintf("<%d>1 %s %s %s %s %s ", f.Facility*8+severity(e.Type), ts,
		headerField(f.Hostname, maxHostname), headerField(f.AppName, maxAppName),
		headerField(f.ProcID, maxProcID), headerField(e.Type, maxMsgID))
	sd := element(SDID, [][2]string{{"id", e.ID}, {"type", e.Type}, {"actor", e.ActorID}, {"subject", e.SubjectID},
		{"client", e.ClientID}, {"org", e.OrgID}, {"ip", e.IP}})
	if len(e.Details) > 0 {
		var params [][2]string
		for _, k := range sortedDetails(e.Details) {
			params = append(params, [2]string{k, e.Details[k]})
		}
		// The details stay if they fit; the text is cut first.
		if details := element(SDIDDetails, params); f.MaxSize <= 0 || len(header)+len(sd)+len(details) <= f.MaxSize {
			sd += details
		}
	}
	msg := header + sd
	rest := text(e)
	if f.MaxSize > 0 {
		room := f.MaxSize - len(msg) - 1
		if room <= 0 {
			return []byte(msg)
		}
		rest = cut(rest, room)
	}
	return []byte(msg + " " + rest)
}

// cut shortens s to at most n octets without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Frame is one message for a stream transport: octet counting (RFC 6587
// §3.4.1, which RFC 5425 §4.3 uses over TLS), "MSG-LEN SP SYSLOG-MSG".
func Frame(msg []byte) []byte {
	return append([]byte(strconv.Itoa(len(msg))+" "), msg...)
}

// syslogSink sends to one syslog server, keeping one connection open.
type syslogSink struct {
	transport, address string
	tls                *tls.Config
	format             Formatter

	mu   sync.Mutex
	conn net.Conn
}

func newSyslog(c SinkConfig) *syslogSink {
	host := c.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	app := c.AppName
	if app == "" {
		app = "ostiary"
	}
	size := c.MaxMessageSize
	if size == 0 {
		size = DefaultStreamMessageSize
		if c.Transport == TransportUDP {
			size = DefaultUDPMessageSize
		}
	}
	s := &syslogSink{transport: c.Transport, address: c.Address,
		format: Formatter{Facility: facilities[c.Facility], Hostname: host, AppName: app, ProcID: strconv.Itoa(os.Getpid()), MaxSize: size}}
	if c.Transport == TransportTLS {
		name := c.ServerName
		if name == "" {
			name, _, _ = net.SplitHostPort(c.Address)
		}
		// RFC 5425 §5.2: the client checks the server's certificate.
		// The session cache makes a reconnection a resumption.
		s.tls = &tls.Config{RootCAs: c.RootCAs, ServerName: name, MinVersion: tls.VersionTLS12,
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	}
	return s
}

// Deliver writes e as one message. Over TCP and TLS, delivered means the
// kernel took the whole frame; a connection the server has closed is
// noticed before writing, so a server restart loses nothing.
func (s *syslogSink) Deliver(ctx context.Context, e storage.AuditEvent) error {
	msg := s.format.Format(e)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && !s.alive() {
		s.closeLocked()
	}
	if s.conn == nil {
		if err := s.dial(ctx); err != nil {
			return err
		}
	}
	if d, ok := ctx.Deadline(); ok {
		_ = s.conn.SetWriteDeadline(d)
	}
	frame := msg
	if s.transport != TransportUDP {
		frame = Frame(msg)
	}
	if _, err := s.conn.Write(frame); err != nil {
		// Part of a frame may be out: a new connection starts clean.
		s.closeLocked()
		return fmt.Errorf("syslog %s: write: %w", s.address, err)
	}
	return nil
}

func (s *syslogSink) dial(ctx context.Context) error {
	d := net.Dialer{}
	network := "tcp"
	if s.transport == TransportUDP {
		network = "udp"
	}
	raw, err := d.DialContext(ctx, network, s.address)
	if err != nil {
		return fmt.Errorf("syslog %s: %w", s.address, err)
	}
	conn := raw
	if s.tls != nil {
		tc := tls.Client(raw, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return fmt.Errorf("syslog %s: TLS: %w", s.address, err)
		}
		conn = tc
	}
	s.conn = conn
	return nil
}

// alive reports whether the peer has not closed a stream connection. A
// syslog server sends no data, so anything read (an end of stream, a
// reset, a TLS close_notify) means the connection is over; over TLS the
// read also takes in what TLS itself sends (a TLS 1.3 session ticket)
// and goes on waiting. A read that times out leaves the connection as it
// was.
func (s *syslogSink) alive() bool {
	if s.transport == TransportUDP {
		return true
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	_, err := s.conn.Read(b[:])
	_ = s.conn.SetReadDeadline(time.Time{})
	var ne net.Error
	return err != nil && errors.As(err, &ne) && ne.Timeout()
}

func (s *syslogSink) closeLocked() {
	if s.conn != nil {
		s.conn.Close()
	}
	s.conn = nil
}

// Close ends the connection.
func (s *syslogSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
	return nil
}

package forward

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/octetcounting"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"github.com/ostiary/ostiary/storage"
)

var when = time.Date(2031, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+2", 2*3600))

func loginEvent() storage.AuditEvent {
	return storage.AuditEvent{ID: "ev-1", Time: when, Type: "login.success", ActorID: "u1", SubjectID: "u1",
		ClientID: "app", IP: "192.0.2.7", Details: map[string]string{"method": "password", "user_agent": "Firefox 140"}}
}

var testFormat = Formatter{Facility: 10, Hostname: "idp-1", AppName: "ostiary", ProcID: "42"}

// TestFormatRFC5424 pins the whole message (RFC 5424 §6): PRI is
// facility × 8 + severity (authpriv, informational: 86), VERSION 1, the
// timestamp in UTC with six fraction digits (§6.2.3), MSGID the event
// type, the event's SD-ELEMENT then its details', and the text.
func TestFormatRFC5424(t *testing.T) {
	t.Parallel()
	got := string(testFormat.Format(loginEvent()))
	want := `<86>1 2031-03-14T13:09:26.535897Z idp-1 ostiary 42 login.success ` +
		`[ostiary@32473 id="ev-1" type="login.success" actor="u1" subject="u1" client="app" ip="192.0.2.7"]` +
		`[details@32473 method="password" user_agent="Firefox 140"] ` +
		`login.success actor=u1 subject=u1 client=app ip=192.0.2.7 method=password user_agent="Firefox 140"`
	if got != want {
		t.Errorf("message\n got %s\nwant %s", got, want)
	}
	m := parse(t, got)
	if *m.Facility != 10 || *m.Severity != 6 || *m.Hostname != "idp-1" || *m.Appname != "ostiary" || *m.ProcID != "42" ||
		*m.MsgID != "login.success" || !m.Timestamp.Equal(when.Truncate(time.Microsecond)) {
		t.Errorf("parsed header: %+v", m.Base)
	}
	sd := *m.StructuredData
	if sd[SDID]["id"] != "ev-1" || sd[SDIDDetails]["user_agent"] != "Firefox 140" {
		t.Errorf("parsed structured data: %v", sd)
	}
}

// parse reads msg with an independent RFC 5424 parser, strictly.
func parse(t *testing.T, msg string) *rfc5424.SyslogMessage {
	t.Helper()
	got, err := rfc5424.NewParser().Parse([]byte(msg))
	if err != nil {
		t.Fatalf("not RFC 5424: %v\n%s", err, msg)
	}
	return got.(*rfc5424.SyslogMessage)
}

// TestFormatFailureIsWarning: failures go out at severity 4 (warning).
func TestFormatFailureIsWarning(t *testing.T) {
	t.Parallel()
	for typ, sev := range map[string]uint8{"login.failure": 4, "password.check_failed": 4, "logout": 6} {
		m := parse(t, string(testFormat.Format(storage.AuditEvent{ID: "x", Time: when, Type: typ})))
		if *m.Severity != sev {
			t.Errorf("%s: severity %d, want %d", typ, *m.Severity, sev)
		}
	}
}

// TestFormatEscapesSDParamValues: '"', '\' and ']' in a PARAM-VALUE are
// escaped with a backslash (RFC 5424 §6.3.3); names lose what a
// PARAM-NAME may not hold and are cut to 32 octets; invalid UTF-8 is
// replaced, the value must be UTF-8.
func TestFormatEscapesSDParamValues(t *testing.T) {
	t.Parallel()
	e := storage.AuditEvent{ID: `a"b\c]d`, Time: when, Type: "client.updated", ActorID: "ünï\xff",
		Details: map[string]string{`we ird="name]`: `x`, strings.Repeat("k", 40): "long"}}
	got := string(testFormat.Format(e))
	for _, want := range []string{` id="a\"b\\c\]d"`, ` actor="ünï` + "\uFFFD" + `"`, ` we_ird__name_="x"`, ` ` + strings.Repeat("k", 32) + `="long"`} {
		if !strings.Contains(got, want) {
			t.Errorf("message lacks %s:\n%s", want, got)
		}
	}
	m := parse(t, got)
	sd := *m.StructuredData
	if sd[SDID]["id"] != `a"b\c]d` {
		t.Errorf("id read back as %q", sd[SDID]["id"])
	}
	// MSG stays ASCII (no BOM needed, RFC 5424 §6.4): other characters
	// are escaped there, and kept as they are in the structured data.
	if msg := *m.Message; !isPrintASCII(msg) || !strings.Contains(msg, `actor="\u00fcn\u00ef\xff"`) {
		t.Errorf("MSG = %q", msg)
	}
}

// TestFormatHeaderFieldLimits: header fields are PRINTUSASCII, at most
// 255 (HOSTNAME), 48 (APP-NAME), 128 (PROCID) and 32 (MSGID) octets, and
// "-" when empty (RFC 5424 §6).
func TestFormatHeaderFieldLimits(t *testing.T) {
	t.Parallel()
	f := Formatter{Facility: 4, Hostname: strings.Repeat("h", 300), AppName: "my app " + strings.Repeat("a", 60),
		ProcID: strings.Repeat("9", 200)}
	typ := "a." + strings.Repeat("t", 40)
	m := parse(t, string(f.Format(storage.AuditEvent{ID: "x", Time: when, Type: typ})))
	if len(*m.Hostname) != 255 || len(*m.Appname) != 48 || !strings.HasPrefix(*m.Appname, "my_app_") ||
		len(*m.ProcID) != 128 || *m.MsgID != typ[:32] {
		t.Errorf("header: host %d app %q proc %d msgid %q", len(*m.Hostname), *m.Appname, len(*m.ProcID), *m.MsgID)
	}
	bare := string(Formatter{}.Format(storage.AuditEvent{ID: "x", Type: "logout"}))
	if !strings.HasPrefix(bare, "<6>1 - - - - logout [") {
		t.Errorf("nil values: %s", bare)
	}
	parse(t, bare)
}

// TestFormatMaxSize: a message over the limit loses the end of its text,
// never a character in half; with no room left, the details element
// goes and then the text.
func TestFormatMaxSize(t *testing.T) {
	t.Parallel()
	e := loginEvent()
	e.Details["note"] = strings.Repeat("ü", 400)
	full := testFormat.Format(e)
	for _, max := range []int{480, 600, 1000, len(full) - 1} {
		f := testFormat
		f.MaxSize = max
		got := f.Format(e)
		if len(got) > max || !utf8.Valid(got) {
			t.Errorf("MaxSize %d: %d octets, valid UTF-8 %v", max, len(got), utf8.Valid(got))
		}
		parse(t, string(got))
	}
	f := testFormat
	f.MaxSize = len(full)
	if got := f.Format(e); !bytes.Equal(got, full) {
		t.Error("a message that fits was changed")
	}
	f.MaxSize = 480
	if m := parse(t, string(f.Format(e))); (*m.StructuredData)[SDIDDetails] != nil {
		t.Error("the details element stayed in a message without room for it")
	}
}

// TestFrameOctetCounting: RFC 6587 §3.4.1, MSG-LEN in octets, not
// characters; an independent octet-counting reader splits two frames.
func TestFrameOctetCounting(t *testing.T) {
	t.Parallel()
	e := loginEvent()
	e.Details["name"] = "Ada Lovelace — ✓"
	msg := testFormat.Format(e)
	frame := Frame(msg)
	if want := []byte(strconv.Itoa(len(msg)) + " "); !bytes.HasPrefix(frame, want) {
		t.Fatalf("frame starts %q, want %q", frame[:10], want)
	}
	var got []syslog.Result
	octetcounting.NewParser(syslog.WithListener(func(r *syslog.Result) { got = append(got, *r) })).
		Parse(bytes.NewReader(append(frame, Frame(testFormat.Format(storage.AuditEvent{ID: "ev-2", Time: when, Type: "logout"}))...)))
	if len(got) != 2 || got[0].Error != nil || got[1].Error != nil {
		t.Fatalf("octet-counting reader: %+v", got)
	}
	if sd := *got[1].Message.(*rfc5424.SyslogMessage).StructuredData; sd[SDID]["id"] != "ev-2" {
		t.Errorf("second frame: %v", sd)
	}
}

// TestSyslogUDP: one message per datagram, unframed (RFC 5426 §3.1),
// no longer than the UDP default of 2048 octets (§3.2).
func TestSyslogUDP(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s := newSyslog(SinkConfig{Type: TypeSyslog, Transport: TransportUDP, Address: pc.LocalAddr().String(), Facility: "local3", Hostname: "h"})
	defer s.Close()
	big := loginEvent()
	big.Details["note"] = strings.Repeat("x", 5000)
	for _, e := range []storage.AuditEvent{loginEvent(), big} {
		if err := s.Deliver(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 65536)
	for i := range 2 {
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n > DefaultUDPMessageSize {
			t.Errorf("datagram %d: %d octets", i, n)
		}
		m := parse(t, string(buf[:n]))
		if *m.Facility != 19 || (*m.StructuredData)[SDID]["id"] != "ev-1" {
			t.Errorf("datagram %d: %+v %v", i, m.Base, *m.StructuredData)
		}
	}
}

// TestSyslogTCPReconnects: messages go octet-counted over one connection;
// after the server closes it, the next delivery notices and reconnects
// instead of writing into the dead connection (and losing the message).
func TestSyslogTCPReconnects(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	s := newSyslog(SinkConfig{Type: TypeSyslog, Transport: TransportTCP, Address: ln.Addr().String(), Facility: "auth"})
	defer s.Close()
	read := func(c net.Conn, n int) []string {
		t.Helper()
		var ids []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			octetcounting.NewParser(syslog.WithListener(func(r *syslog.Result) {
				if r.Error == nil {
					ids = append(ids, (*r.Message.(*rfc5424.SyslogMessage).StructuredData)[SDID]["id"])
				}
			})).Parse(io.LimitReader(c, int64(n)))
		}()
		<-done
		return ids
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	e1 := loginEvent()
	if err := s.Deliver(ctx, e1); err != nil {
		t.Fatal(err)
	}
	c1 := <-conns
	if ids := read(c1, len(Frame(testFormatFor(s).Format(e1)))); len(ids) != 1 || ids[0] != "ev-1" {
		t.Fatalf("first connection got %v", ids)
	}
	c1.Close()
	time.Sleep(50 * time.Millisecond) // the FIN arrives
	e2 := storage.AuditEvent{ID: "ev-2", Time: when, Type: "logout"}
	if err := s.Deliver(ctx, e2); err != nil {
		t.Fatal(err)
	}
	select {
	case c2 := <-conns:
		defer c2.Close()
		if ids := read(c2, len(Frame(testFormatFor(s).Format(e2)))); len(ids) != 1 || ids[0] != "ev-2" {
			t.Fatalf("second connection got %v", ids)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sink wrote into the closed connection instead of reconnecting")
	}
	ln.Close()
	s.Close()
	if err := s.Deliver(ctx, e2); err == nil {
		t.Error("delivery to a closed server succeeded")
	}
}

func testFormatFor(s *syslogSink) Formatter { return s.format }

// TestSyslogTLS: RFC 5425, the same frames over TLS; the server's
// certificate is checked (§5.2): against the configured roots it passes,
// against the system's it does not.
func TestSyslogTLS(t *testing.T) {
	t.Parallel()
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	defer ts.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ts.TLS)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 4)
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				octetcounting.NewParser(syslog.WithListener(func(r *syslog.Result) {
					if r.Error == nil {
						got <- (*r.Message.(*rfc5424.SyslogMessage).StructuredData)[SDID]["id"]
					}
				})).Parse(c)
			}()
		}
	}()
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	untrusted := newSyslog(SinkConfig{Type: TypeSyslog, Transport: TransportTLS, Address: ln.Addr().String(), Facility: "auth"})
	if err := untrusted.Deliver(ctx, loginEvent()); err == nil {
		t.Error("delivered to a server whose certificate the system roots do not know")
	}
	s := newSyslog(SinkConfig{Type: TypeSyslog, Transport: TransportTLS, Address: ln.Addr().String(), Facility: "auth", RootCAs: roots})
	defer s.Close()
	// Three messages over one connection: the TLS 1.3 session tickets the
	// server sends after the handshake are no sign of a closed one.
	for i := range 3 {
		e := loginEvent()
		e.ID = fmt.Sprintf("ev-%d", i)
		if err := s.Deliver(ctx, e); err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-got:
			if id != e.ID {
				t.Errorf("got id %q, want %q", id, e.ID)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("nothing arrived over TLS")
		}
	}
	if n := accepted.Load(); n != 2 {
		t.Errorf("%d connections for one refused and three messages, want 2", n)
	}
}

// Package smtptest is a small SMTP server for tests: it speaks enough of
// RFC 5321 for net/smtp (EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT), on 127.0.0.1 only, and keeps what it received. It can
// also misbehave on purpose: hold connections before the greeting, or refuse
// messages, so retries and crashes can be tested.
package smtptest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// TLS modes of the server.
const (
	TLSNone     = "none"
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
)

// Message is one delivered mail.
type Message struct {
	From string
	To   []string
	// Data is the message as received, dot-unstuffed, lines ending in CRLF.
	Data string
	// TLS tells whether the session was encrypted when DATA was sent.
	TLS bool
	// User is the authenticated user, if any.
	User string
}

// Server is a running test SMTP server.
type Server struct {
	// Addr is host:port.
	Addr string
	Host string
	Port int
	// CertPool trusts the server's self-signed certificate (for 127.0.0.1
	// and localhost).
	CertPool *x509.CertPool

	ln      net.Listener
	tlsConf *tls.Config
	mode    string

	mu          sync.Mutex
	cond        *sync.Cond
	msgs        []Message
	conns       int
	hold        bool
	refuse      int // answer the next refuse DATA commands with 451
	refuseCode  int
	user, pass  string
	closed      bool
	open        map[net.Conn]bool
	releaseHold chan struct{}
}

// Options configure Start.
type Options struct {
	// TLS is TLSNone (default), TLSStartTLS or TLSImplicit.
	TLS string
	// Username and Password, when set, make AUTH PLAIN required before MAIL.
	Username, Password string
	// Addr to listen on; default 127.0.0.1:0.
	Addr string
}

// Start listens on a free loopback port.
func Start(opts Options) (*Server, error) {
	if opts.TLS == "" {
		opts.TLS = TLSNone
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	s := &Server{ln: ln, mode: opts.TLS, user: opts.Username, pass: opts.Password,
		open: map[net.Conn]bool{}, releaseHold: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	tcp := ln.Addr().(*net.TCPAddr)
	s.Addr, s.Host, s.Port = tcp.String(), tcp.IP.String(), tcp.Port
	if s.tlsConf, s.CertPool, err = selfSigned(); err != nil {
		ln.Close()
		return nil, err
	}
	if s.mode == TLSImplicit {
		s.ln = tls.NewListener(ln, s.tlsConf)
	}
	go s.accept()
	return s, nil
}

// Close stops listening and drops every open connection.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.open {
		c.Close()
	}
	if s.hold {
		close(s.releaseHold)
		s.hold = false
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	s.ln.Close()
}

// Hold makes new connections wait before the greeting until Release: a
// client sees a server that accepted the connection and then says nothing.
func (s *Server) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hold {
		s.hold = true
		s.releaseHold = make(chan struct{})
	}
}

// Release lets held and new connections go on.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold {
		close(s.releaseHold)
		s.hold = false
	}
}

// Refuse makes the next n messages fail at DATA with code (4xx temporary,
// 5xx permanent).
func (s *Server) Refuse(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse, s.refuseCode = n, code
}

// Connections is how many connections the server has accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Messages returns what was delivered so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitMessages waits until at least n messages arrived or timeout passed,
// and returns what arrived.
func (s *Server) WaitMessages(n int, timeout time.Duration) []Message {
	deadline := time.Now().Add(timeout)
	t := time.AfterFunc(timeout, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer t.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.msgs) < n && !s.closed && time.Now().Before(deadline) {
		s.cond.Wait()
	}
	return append([]Message(nil), s.msgs...)
}

// WaitConnections waits until at least n connections were accepted.
func (s *Server) WaitConnections(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if s.Connections() >= n {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func (s *Server) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns++
		s.open[c] = true
		hold, release := s.hold, s.releaseHold
		s.mu.Unlock()
		go func() {
			defer func() {
				c.Close()
				s.mu.Lock()
				delete(s.open, c)
				s.mu.Unlock()
			}()
			if hold {
				<-release
			}
			s.serve(c)
		}()
	}
}

type session struct {
	s      *Server
	conn   net.Conn
	r      *bufio.Reader
	tls    bool
	user   string
	from   string
	to     []string
	greet  bool
	authed bool
}

func (s *Server) serve(c net.Conn) {
	ss := &session{s: s, conn: c, r: bufio.NewReader(c), tls: s.mode == TLSImplicit}
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	ss.reply("220 smtptest ESMTP ready")
	for {
		line, err := ss.r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ss.greet = true
			ext := []string{"250-smtptest greets " + arg, "250-8BITMIME"}
			if s.mode == TLSStartTLS && !ss.tls {
				ext = append(ext, "250-STARTTLS")
			}
			if s.user != "" {
				ext = append(ext, "250-AUTH PLAIN")
			}
			ext = append(ext, "250 SMTPUTF8")
			ss.reply(strings.Join(ext, "\r\n"))
		case "HELO":
			ss.greet = true
			ss.reply("250 smtptest")
		case "STARTTLS":
			if s.mode != TLSStartTLS || ss.tls {
				ss.reply("502 STARTTLS not offered")
				continue
			}
			ss.reply("220 go ahead")
			tc := tls.Server(c, s.tlsConf)
			if err := tc.Handshake(); err != nil {
				return
			}
			ss.conn, ss.r, ss.tls, ss.greet = tc, bufio.NewReader(tc), true, false
		case "AUTH":
			ss.auth(arg)
		case "MAIL":
			switch {
			case !ss.greet:
				ss.reply("503 say EHLO first")
			case s.user != "" && !ss.authed:
				ss.reply("530 authentication required")
			default:
				ss.from, ss.to = addrArg(arg, "FROM:"), nil
				ss.reply("250 ok")
			}
		case "RCPT":
			if ss.from == "" {
				ss.reply("503 MAIL first")
				continue
			}
			ss.to = append(ss.to, addrArg(arg, "TO:"))
			ss.reply("250 ok")
		case "DATA":
			if len(ss.to) == 0 {
				ss.reply("503 RCPT first")
				continue
			}
			ss.reply("354 end with <CRLF>.<CRLF>")
			data, err := ss.readData()
			if err != nil {
				return
			}
			ss.deliver(data)
		case "RSET":
			ss.from, ss.to = "", nil
			ss.reply("250 ok")
		case "NOOP":
			ss.reply("250 ok")
		case "QUIT":
			ss.reply("221 bye")
			return
		default:
			ss.reply("502 unknown command")
		}
	}
}

func (ss *session) auth(arg string) {
	mech, initial, _ := strings.Cut(arg, " ")
	if ss.s.user == "" || !strings.EqualFold(mech, "PLAIN") {
		ss.reply("504 mechanism not supported")
		return
	}
	if !ss.tls {
		ss.reply("538 encryption required")
		return
	}
	if initial == "" {
		ss.reply("334 ")
		l, err := ss.r.ReadString('\n')
		if err != nil {
			return
		}
		initial = strings.TrimSpace(l)
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 || parts[1] != ss.s.user || parts[2] != ss.s.pass {
		ss.reply("535 authentication failed")
		return
	}
	ss.authed, ss.user = true, parts[1]
	ss.reply("235 authenticated")
}

func (ss *session) readData() (string, error) {
	var b strings.Builder
	for {
		l, err := ss.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if l == ".\r\n" || l == ".\n" {
			return b.String(), nil
		}
		l = strings.TrimPrefix(l, ".")
		b.WriteString(strings.TrimRight(l, "\r\n") + "\r\n")
	}
}

func (ss *session) deliver(data string) {
	s := ss.s
	s.mu.Lock()
	if s.refuse > 0 {
		s.refuse--
		code := s.refuseCode
		s.mu.Unlock()
		ss.reply(fmt.Sprintf("%d refused by the test", code))
		return
	}
	s.msgs = append(s.msgs, Message{From: ss.from, To: ss.to, Data: data, TLS: ss.tls, User: ss.user})
	s.cond.Broadcast()
	s.mu.Unlock()
	ss.from, ss.to = "", nil
	ss.reply("250 queued")
}

func (ss *session) reply(s string) {
	_, _ = ss.conn.Write([]byte(s + "\r\n"))
}

// addrArg takes the address out of "FROM:<a@b> SIZE=..".
func addrArg(arg, prefix string) string {
	arg = strings.TrimSpace(arg)
	if len(arg) >= len(prefix) && strings.EqualFold(arg[:len(prefix)], prefix) {
		arg = arg[len(prefix):]
	}
	arg, _, _ = strings.Cut(strings.TrimSpace(arg), " ")
	return strings.Trim(arg, "<>")
}

func selfSigned() (*tls.Config, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("smtptest: key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtptest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("smtptest: certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	conf := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	return conf, pool, nil
}

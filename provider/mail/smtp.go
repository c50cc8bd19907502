package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"time"
)

// TLS modes of an SMTP connection.
const (
	// TLSStartTLS connects in the clear and upgrades with STARTTLS (port
	// 587); a server that does not offer it is an error, never a downgrade.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit = "tls"
	// TLSNone never encrypts: only for a relay on the same host or network.
	TLSNone = "none"
)

// SMTP sends mail through one SMTP server.
type SMTP struct {
	Host string
	Port int
	// TLS is TLSStartTLS, TLSImplicit or TLSNone.
	TLS string
	// Username and Password enable AUTH PLAIN. net/smtp refuses to send
	// them over an unencrypted connection except to localhost.
	Username, Password string
	// Timeout bounds one whole delivery, connection included; it must be
	// set.
	Timeout time.Duration
	// LocalName is the name given in EHLO (the wiring uses the issuer's
	// host); default "localhost".
	LocalName string
	// RootCAs verifies the server's certificate; nil is the system pool.
	RootCAs *x509.CertPool
}

func (s *SMTP) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12, RootCAs: s.RootCAs}
}

// Send delivers m, or returns why not. A 5xx answer to the recipient or the
// message is a permanent refusal (see Permanent); one to the greeting, TLS,
// authentication or the sender is the server's configuration or ours, and
// is retried like any other failure, so fixing the config loses no mail.
func (s *SMTP) Send(ctx context.Context, m Message) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("smtp %s:%d: %w", s.Host, s.Port, err)
		}
	}()
	switch s.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return fmt.Errorf("unknown TLS mode %q", s.TLS)
	}
	body, err := m.Bytes()
	if err != nil {
		return err
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return err
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return err
	}
	if s.Timeout <= 0 {
		return fmt.Errorf("smtp: Timeout is %v, want a positive duration", s.Timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()

	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	d := &net.Dialer{}
	var conn net.Conn
	if s.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: s.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	// One deadline for the whole conversation: a server that stalls
	// mid-way cannot hold the worker (and its lease) forever.
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	local := s.LocalName
	if local == "" {
		local = "localhost"
	}
	if err := c.Hello(local); err != nil {
		return err
	}
	if s.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("server does not offer STARTTLS (set mail.smtp.tls to none to send unencrypted)")
		}
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to.Address); err != nil {
		return &refusal{err}
	}
	w, err := c.Data()
	if err != nil {
		return &refusal{err}
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return &refusal{err}
	}
	// The server has taken the message; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// refusal marks the server's answer about this recipient or message, as
// opposed to the connection or the account.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

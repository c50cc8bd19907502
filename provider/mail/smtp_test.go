package mail

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/internal/smtptest"
)

func startSMTP(t *testing.T, opts smtptest.Options) *smtptest.Server {
	t.Helper()
	s, err := smtptest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func testMessage(id string) Message {
	return Message{ID: id, From: "Ostiary <id@example.com>", To: "ada@example.com", Subject: "Hello " + id,
		Text: "Open https://id.example/x?token=" + id + "\n.leading dot stays\n", HTML: "<p>Hello</p>", Date: time.Now()}
}

func TestSMTPSenderModes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode, user string
	}{
		{smtptest.TLSNone, ""},
		{smtptest.TLSStartTLS, ""},
		{smtptest.TLSStartTLS, "mailer"},
		{smtptest.TLSImplicit, "mailer"},
	} {
		t.Run(tc.mode+"/"+tc.user, func(t *testing.T) {
			srv := startSMTP(t, smtptest.Options{TLS: tc.mode, Username: tc.user, Password: "s3cret"})
			s := &SMTP{Host: srv.Host, Port: srv.Port, TLS: tc.mode, Username: tc.user, Password: "s3cret",
				Timeout: 5 * time.Second, RootCAs: srv.CertPool}
			if err := s.Send(t.Context(), testMessage("m1")); err != nil {
				t.Fatal(err)
			}
			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages", len(got))
			}
			m := got[0]
			if m.From != "id@example.com" || len(m.To) != 1 || m.To[0] != "ada@example.com" || m.User != tc.user ||
				m.TLS != (tc.mode != smtptest.TLSNone) {
				t.Fatalf("received %+v", m)
			}
			if !strings.Contains(m.Data, "Subject: Hello m1") || !strings.Contains(m.Data, "token=3Dm1") ||
				!strings.Contains(m.Data, "\r\n.leading dot stays") {
				t.Fatalf("data:\n%s", m.Data)
			}
		})
	}
}

func TestSMTPSenderRefusals(t *testing.T) {
	t.Parallel()
	// STARTTLS required but not offered: no silent downgrade.
	plain := startSMTP(t, smtptest.Options{})
	s := &SMTP{Host: plain.Host, Port: plain.Port, TLS: TLSStartTLS, Timeout: 5 * time.Second}
	if err := s.Send(t.Context(), testMessage("m1")); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("starttls against a plain server: %v", err)
	}
	// A certificate nobody vouches for.
	tlsSrv := startSMTP(t, smtptest.Options{TLS: smtptest.TLSImplicit})
	s = &SMTP{Host: tlsSrv.Host, Port: tlsSrv.Port, TLS: TLSImplicit, Timeout: 5 * time.Second}
	if err := s.Send(t.Context(), testMessage("m1")); err == nil {
		t.Error("an untrusted certificate was accepted")
	}
	// Wrong password.
	auth := startSMTP(t, smtptest.Options{TLS: smtptest.TLSStartTLS, Username: "mailer", Password: "right"})
	s = &SMTP{Host: auth.Host, Port: auth.Port, TLS: TLSStartTLS, Username: "mailer", Password: "wrong",
		Timeout: 5 * time.Second, RootCAs: auth.CertPool}
	// A configuration problem, not the mail's: retried, so fixing the
	// password loses nothing.
	if err := s.Send(t.Context(), testMessage("m1")); err == nil || Permanent(err) {
		t.Errorf("wrong password: %v (want a temporary error)", err)
	}
	// 451 is temporary, 550 permanent.
	plain.Refuse(1, 451)
	s = &SMTP{Host: plain.Host, Port: plain.Port, TLS: TLSNone, Timeout: 5 * time.Second}
	if err := s.Send(t.Context(), testMessage("m1")); err == nil || Permanent(err) {
		t.Errorf("451: %v (want a temporary error)", err)
	}
	plain.Refuse(1, 550)
	if err := s.Send(t.Context(), testMessage("m1")); !Permanent(err) {
		t.Errorf("550: %v (want a permanent error)", err)
	}
	if len(plain.Messages()) != 0 {
		t.Error("refused messages were recorded as delivered")
	}
}

func TestSMTPSenderTimeout(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, smtptest.Options{})
	srv.Hold() // accepts, then never greets
	s := &SMTP{Host: srv.Host, Port: srv.Port, TLS: TLSNone, Timeout: 300 * time.Millisecond}
	start := time.Now()
	err := s.Send(context.Background(), testMessage("m1"))
	if err == nil {
		t.Fatal("a silent server did not fail the delivery")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the delivery took %v despite a 300ms timeout", d)
	}
}

package mail

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/internal/smtptest"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
	"github.com/ostiary/ostiary/templates"
)

// rawRows is every outbox row as the database holds it, each column as text
// (a bytea/BLOB column by its raw bytes), for looking for secrets at rest.
type rawRows func(t *testing.T) string

// Item 9 of issue #11: the outbox kept the reset, verification and
// invitation mails' bodies, live links and all, readable in the database.
// Now a database read finds neither token nor link while the mail waits,
// nor after delivery; the mail delivered over SMTP still has its link. A
// system secret rotated between enqueue and delivery still opens the body.
func TestOutboxKeepsNoLinkAtRestSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "o.db")
	st := sqlitetest.OpenFile(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	outboxAtRest(t, st, func(t *testing.T) string {
		t.Helper()
		rows, err := db.QueryContext(t.Context(), `SELECT * FROM mail`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var b strings.Builder
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v|", v)
			}
			b.WriteString("\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return b.String()
	})
}

func TestOutboxKeepsNoLinkAtRestPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	outboxAtRest(t, st, func(t *testing.T) string {
		t.Helper()
		rows, err := conn.Query(t.Context(), `SELECT m::text, coalesce(encode(body, 'escape'), '') FROM mail_outbox m`)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for rows.Next() {
			var row, body string
			if err := rows.Scan(&row, &body); err != nil {
				t.Fatal(err)
			}
			b.WriteString(row + "|" + body + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return b.String()
	})
}

func outboxAtRest(t *testing.T, st outboxStore, raw rawRows) {
	ctx := t.Context()
	oldSecret, newSecret := "the system secret before rotation, 32+ bytes", "the system secret after rotation, 32+ bytes!"
	o, err := NewOutbox(st, templates.Mail, testSealer(t, oldSecret), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]Data{
		"resettokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA": nil, "verifytokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB": nil,
		"invitetokenCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC": nil, "changetokenDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD": nil,
	}
	for tok := range tokens {
		link := "https://id.example/x?token=" + tok
		switch {
		case strings.HasPrefix(tok, "reset"):
			tokens[tok] = ResetPassword{Name: "Ada", Link: link, Expires: "1 hour"}
		case strings.HasPrefix(tok, "verify"):
			tokens[tok] = VerifyEmail{Name: "Ada", Link: link, Expires: "24 hours"}
		case strings.HasPrefix(tok, "invite"):
			tokens[tok] = Invite{Inviter: "Bob", OrgName: "Acme", Role: "member", Link: link, ExpiresAt: "soon"}
		default:
			tokens[tok] = EmailChangeConfirm{Name: "Ada", OldEmail: "a@example.com", NewEmail: "ada@example.com", Link: link, Expires: "24 hours"}
		}
		if err := o.Send(ctx, "ada@example.com", tokens[tok]); err != nil {
			t.Fatal(err)
		}
	}
	noSecrets := func(when string) {
		t.Helper()
		dump := raw(t)
		if strings.Count(dump, "ada@example.com") < len(tokens) {
			t.Fatalf("%s: the raw dump does not show the rows:\n%s", when, dump)
		}
		for tok := range tokens {
			if strings.Contains(dump, tok) || strings.Contains(dump, "id.example/x") {
				t.Fatalf("%s: a link is readable in the database:\n%s", when, dump)
			}
		}
	}
	noSecrets("waiting")

	srv := startSMTP(t, smtptest.Options{})
	// The worker runs after a rotation: the new secret first, the old one
	// still configured.
	w := withSettings(&Worker{Queue: st, Sealer: testSealer(t, newSecret, oldSecret), Sender: &SMTP{Host: srv.Host, Port: srv.Port, TLS: TLSNone, Timeout: 5 * time.Second},
		From: "id@example.com", Logger: quietLogger()})
	for range tokens {
		if ok, err := w.RunOnce(ctx); !ok || err != nil {
			t.Fatalf("RunOnce = %v, %v", ok, err)
		}
	}
	got := srv.Messages()
	if len(got) != len(tokens) {
		t.Fatalf("%d mails delivered, want %d", len(got), len(tokens))
	}
	var delivered strings.Builder
	for _, m := range got {
		delivered.WriteString(strings.ReplaceAll(m.Data, "=\r\n", ""))
	}
	for tok := range tokens {
		if !strings.Contains(delivered.String(), tok) {
			t.Errorf("no delivered mail carries the link with %s", tok)
		}
	}
	ms, err := st.ListMail(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.SentAt.IsZero() || m.Body != nil {
			t.Errorf("after delivery: sent %v, body %d bytes", m.SentAt, len(m.Body))
		}
	}
	noSecrets("delivered")

	// A body sealed under a secret no longer configured is given up, not
	// retried forever, and dropped.
	if err := o.Send(ctx, "ada@example.com", tokens["resettokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]); err != nil {
		t.Fatal(err)
	}
	w2 := withSettings(&Worker{Queue: st, Sealer: testSealer(t, newSecret), Sender: w.Sender, From: w.From, Logger: quietLogger()})
	if ok, err := w2.RunOnce(ctx); !ok || err != nil {
		t.Fatalf("RunOnce = %v, %v", ok, err)
	}
	ms, err = st.ListMail(ctx, 1)
	if err != nil || len(ms) != 1 || ms[0].FailedAt.IsZero() || ms[0].Body != nil {
		t.Fatalf("mail sealed under a dropped secret: %+v, %v", ms, err)
	}
	if n := len(srv.Messages()); n != len(tokens) {
		t.Fatalf("%d mails delivered", n)
	}
}

// A mail prepared at send time: the worker asks the Preparer, sends what it
// makes, and for an address it declines sends nothing, yet records the row
// as it records a delivery, so the outbox reads the same for both.
func TestWorkerPreparesAtSendTime(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	o, err := NewOutbox(st, templates.Mail, testSealer(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"known@example.com", "unknown@example.com"} {
		if err := o.SendPrepared(t.Context(), to, "reset"); err != nil {
			t.Fatal(err)
		}
	}
	srv := startSMTP(t, smtptest.Options{})
	issued := 0
	w := withSettings(&Worker{Queue: st, Sealer: testSealer(t), Outbox: o, From: "id@example.com", Logger: quietLogger(),
		Sender: &SMTP{Host: srv.Host, Port: srv.Port, TLS: TLSNone, Timeout: 5 * time.Second},
		Preparers: map[string]Preparer{"reset": func(_ context.Context, to string) (Data, bool, error) {
			if to != "known@example.com" {
				return nil, false, nil
			}
			issued++
			return ResetPassword{Link: "https://id.example/reset-password?token=issuedatsendtime", Expires: "1 hour"}, true, nil
		}}})
	for range 2 {
		if ok, err := w.RunOnce(t.Context()); !ok || err != nil {
			t.Fatalf("RunOnce = %v, %v", ok, err)
		}
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].To[0] != "known@example.com" || !strings.Contains(got[0].Data, "issuedatsendtime") || issued != 1 {
		t.Fatalf("delivered %+v (issued %d)", got, issued)
	}
	ms, err := st.ListMail(t.Context(), 10)
	if err != nil || len(ms) != 2 {
		t.Fatalf("ListMail = %+v, %v", ms, err)
	}
	for _, m := range ms {
		if m.SentAt.IsZero() || m.Body != nil || m.Subject != "" || m.LastError != "" || !m.FailedAt.IsZero() {
			t.Errorf("outbox row of %s: %+v", m.To, m)
		}
	}
}

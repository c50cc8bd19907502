package mail

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/templates"
)

func TestBackoff(t *testing.T) {
	base, max := 30*time.Second, time.Hour
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {4, 4 * time.Minute},
		{7, 32 * time.Minute}, {8, time.Hour}, {9, time.Hour}, {200, time.Hour},
	} {
		if got := Backoff(base, max, tc.attempt); got != tc.want {
			t.Errorf("Backoff(attempt %d) = %v, want %v", tc.attempt, got, tc.want)
		}
	}
}

type recordingQueue struct{ mails []storage.Mail }

func (q *recordingQueue) EnqueueMail(_ context.Context, m storage.Mail) error {
	q.mails = append(q.mails, m)
	return nil
}

func TestOutboxRendersShippedTemplates(t *testing.T) {
	q := &recordingQueue{}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	woken := 0
	o, err := NewOutbox(q, templates.Mail, func() time.Time { return now }, func() { woken++ })
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]string{"Name": "Ada <script>", "Link": "https://id.example/verify-email?token=abc&x=1", "Expires": "24 hours"}
	if err := o.Send(t.Context(), "ada@example.com", "verify_email", data); err != nil {
		t.Fatal(err)
	}
	if len(q.mails) != 1 || woken != 1 {
		t.Fatalf("enqueued %d mails, woke %d times", len(q.mails), woken)
	}
	m := q.mails[0]
	if m.To != "ada@example.com" || m.Subject != "Confirm your email address for Ostiary" || !m.CreatedAt.Equal(now) ||
		!m.NextAttemptAt.Equal(now) || m.ID == "" {
		t.Fatalf("mail = %+v", m)
	}
	if !strings.Contains(m.TextBody, "Hello Ada <script>,") || !strings.Contains(m.TextBody, "https://id.example/verify-email?token=abc&x=1") {
		t.Errorf("text body:\n%s", m.TextBody)
	}
	// html/template escapes the data in the HTML part.
	if !strings.Contains(m.HTMLBody, "Ada &lt;script&gt;") || !strings.Contains(m.HTMLBody, `href="https://id.example/verify-email?token=abc&amp;x=1"`) {
		t.Errorf("html body:\n%s", m.HTMLBody)
	}
	for _, name := range []string{"reset_password", "register_existing"} {
		d := map[string]string{"Name": "", "Link": "https://l", "Expires": "1 hour", "LoginLink": "https://a", "ResetLink": "https://b"}
		if err := o.Send(t.Context(), "ada@example.com", name, d); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := o.Send(t.Context(), "ada@example.com", "nope", data); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("unknown template: %v", err)
	}
	if err := o.Send(t.Context(), "ada@example.com", "verify_email", map[string]string{}); err == nil {
		t.Error("missing template data was not an error")
	}
	if err := o.Send(t.Context(), "ada@example.com\r\nBcc: x@example.com", "verify_email", data); err == nil {
		t.Error("a recipient with a line break was accepted")
	}
}

func TestOutboxSubjectIsOneLine(t *testing.T) {
	fsys := fstest.MapFS{"x.txt": {Data: []byte("{{define \"subject\"}}Hi {{.}}\n{{end}}Body {{.}}")}}
	o, err := NewOutbox(&recordingQueue{}, fsys, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	subject, text, html, err := o.Render("x", "there\r\nBcc: evil@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Hi there Bcc: evil@example.com" || html != "" || !strings.HasPrefix(text, "Body there") {
		t.Fatalf("subject %q, text %q, html %q", subject, text, html)
	}
	if _, err := NewOutbox(&recordingQueue{}, fstest.MapFS{"y.txt": {Data: []byte("no subject")}}, nil, nil); err == nil {
		t.Error("a template without a subject was accepted")
	}
}

func TestMessageBytes(t *testing.T) {
	m := Message{ID: "m1", From: "Ostiary <id@example.com>", To: "ada@example.com", Subject: "Grüße",
		Text: "Hello\nhttps://id.example/x?token=" + strings.Repeat("a", 90) + "\n", HTML: "<p>Hello</p>\n",
		Date: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	if subject != "Grüße" || msg.Header.Get("Message-ID") != "<m1@example.com>" || msg.Header.Get("To") != "<ada@example.com>" {
		t.Fatalf("headers: %v (subject %q)", msg.Header, subject)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // the reader undoes quoted-printable
		parts = append(parts, p.Header.Get("Content-Type")+"|"+string(b))
	}
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "text/plain") || !strings.Contains(parts[0], "token="+strings.Repeat("a", 90)) ||
		!strings.HasPrefix(parts[1], "text/html") {
		t.Fatalf("parts: %q", parts)
	}
}

package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/templates"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	q := &recordingQueue{}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	woken := 0
	sealer := testSealer(t)
	o, err := NewOutbox(q, templates.Mail, sealer, func() time.Time { return now }, func() { woken++ })
	if err != nil {
		t.Fatal(err)
	}
	data := VerifyEmail{Name: "Ada <script>", Link: "https://id.example/verify-email?token=abc&x=1", Expires: "24 hours"}
	if err := o.Send(t.Context(), "ada@example.com", data); err != nil {
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
	if bytes.Contains(m.Body, []byte("token=abc")) || bytes.Contains(m.Body, []byte("Ada")) {
		t.Fatalf("the stored body is readable: %q", m.Body)
	}
	b, err := openBody(sealer, m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.Text, "Hello Ada <script>,") || !strings.Contains(b.Text, "https://id.example/verify-email?token=abc&x=1") {
		t.Errorf("text body:\n%s", b.Text)
	}
	// html/template escapes the data in the HTML part.
	if !strings.Contains(b.HTML, "Ada &lt;script&gt;") || !strings.Contains(b.HTML, `href="https://id.example/verify-email?token=abc&amp;x=1"`) {
		t.Errorf("html body:\n%s", b.HTML)
	}
	// The seal names the mail: a body moved to another row does not open.
	moved := m
	moved.To = "mallory@example.com"
	if _, err := openBody(sealer, moved); !errors.Is(err, secrets.ErrOpen) {
		t.Errorf("a body moved to another recipient opened: %v", err)
	}
	if err := o.Send(t.Context(), "ada@example.com\r\nBcc: x@example.com", data); err == nil {
		t.Error("a recipient with a line break was accepted")
	}
}

// Every mail template renders with the data its sender passes (item 17 of
// issue #11: the email-change mail read .Expires while its sender passed
// ExpiresIn, a 500 on every change). NewOutbox renders each Data type
// against its template, so a template that reads a field its struct lacks,
// or a template with no struct, stops the server at start.
func TestEveryTemplateHasItsData(t *testing.T) {
	t.Parallel()
	o, err := NewOutbox(&recordingQueue{}, templates.Mail, testSealer(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(templates.Mail, "*.txt")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Data{}
	for _, d := range allData {
		byName[Template(d)] = d
	}
	for _, f := range files {
		name := strings.TrimSuffix(f, ".txt")
		d, ok := byName[name]
		if !ok {
			t.Errorf("template %s has no Data type", f)
			continue
		}
		subject, text, _, err := o.Render(d)
		if err != nil || subject == "" || text == "" {
			t.Errorf("%s renders %q, %q, %v", name, subject, text, err)
		}
	}
	if len(files) != len(allData) {
		t.Errorf("%d templates, %d Data types", len(files), len(allData))
	}
	// The email-change confirmation is its own mail, not the registration's.
	_, text, _, err := o.Render(EmailChangeConfirm{OldEmail: "old@example.com", NewEmail: "new@example.com", Link: "https://l", Expires: "24 hours"})
	if err != nil || !strings.Contains(text, "from old@example.com to this address, new@example.com") ||
		strings.Contains(text, "create an Ostiary account") || !strings.Contains(text, "expires in 24 hours") {
		t.Errorf("email change mail (%v):\n%s", err, text)
	}

	broken := fstest.MapFS{}
	for _, f := range files {
		raw, _ := fs.ReadFile(templates.Mail, f)
		broken[f] = &fstest.MapFile{Data: raw}
	}
	broken["email_change_confirm.txt"] = &fstest.MapFile{Data: []byte(`{{define "subject"}}x{{end}}{{.ExpiresIn}}`)}
	if _, err := NewOutbox(&recordingQueue{}, broken, testSealer(t), nil, nil); err == nil {
		t.Error("a template reading a field its data lacks was accepted")
	}
	broken["email_change_confirm.txt"] = &fstest.MapFile{Data: []byte(`{{define "subject"}}x{{end}}{{.Link}}`)}
	broken["orphan.txt"] = &fstest.MapFile{Data: []byte(`{{define "subject"}}x{{end}}body`)}
	if _, err := NewOutbox(&recordingQueue{}, broken, testSealer(t), nil, nil); err == nil {
		t.Error("a template without a Data type was accepted")
	}
	delete(broken, "orphan.txt")
	delete(broken, "invite.txt")
	if _, err := NewOutbox(&recordingQueue{}, broken, testSealer(t), nil, nil); err == nil {
		t.Error("a Data type without a template was accepted")
	}
	if _, err := NewOutbox(&recordingQueue{}, templates.Mail, nil, nil, nil); err == nil {
		t.Error("an outbox without a sealer was accepted")
	}
}

func TestOutboxSubjectIsOneLine(t *testing.T) {
	t.Parallel()
	o, err := NewOutbox(&recordingQueue{}, templates.Mail, testSealer(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	subject, _, _, err := o.Render(Invite{Inviter: "there\r\nBcc: evil@example.com", OrgName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if subject != "there Bcc: evil@example.com invited you to join Acme" {
		t.Fatalf("subject %q", subject)
	}
	noSubject := fstest.MapFS{"verify_email.txt": {Data: []byte("no subject")}}
	if _, err := NewOutbox(&recordingQueue{}, noSubject, testSealer(t), nil, nil); err == nil {
		t.Error("a template without a subject was accepted")
	}
}

func TestMessageBytes(t *testing.T) {
	t.Parallel()
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

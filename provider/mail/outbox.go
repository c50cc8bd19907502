package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// Enqueuer stores a mail in the outbox (storage.MailStore).
type Enqueuer interface {
	// EnqueueMail returns storage.ErrAlreadyExists on a taken id.
	EnqueueMail(ctx context.Context, m storage.Mail) error
}

// Sealer encrypts mail bodies at rest; *secrets.Sealer is one (with keys
// derived for secrets.PurposeMailBody).
type Sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(ciphertext, additionalData []byte) ([]byte, error)
}

// Outbox renders mails and stores them for the Worker. Build it with
// NewOutbox.
type Outbox struct {
	store  Enqueuer
	sealer Sealer
	now    func() time.Time
	// wake, when set, is called after a mail was stored, so a worker in this
	// process sends it at once instead of at its next poll.
	wake  func()
	texts map[string]*texttemplate.Template
	htmls map[string]*htmltemplate.Template
}

// NewOutbox parses every NAME.txt (and its NAME.html, if any) in fsys, so a
// broken template stops the server at start rather than a mail at send time.
// Each .txt file defines the subject as {{define "subject"}}...{{end}}; the
// rest of each file is the body. Every template must belong to one Data
// type and every Data type must render against its template. wake may be nil.
func NewOutbox(store Enqueuer, fsys fs.FS, sealer Sealer, now func() time.Time, wake func()) (*Outbox, error) {
	if sealer == nil {
		return nil, errors.New("mail: an outbox needs a sealer: bodies are never stored readable")
	}
	if now == nil {
		now = time.Now
	}
	o := &Outbox{store: store, sealer: sealer, now: now, wake: wake,
		texts: map[string]*texttemplate.Template{}, htmls: map[string]*htmltemplate.Template{}}
	names, err := fs.Glob(fsys, "*.txt")
	if err != nil {
		return nil, fmt.Errorf("mail: list templates: %w", err)
	}
	for _, file := range names {
		name := strings.TrimSuffix(file, ".txt")
		t, err := texttemplate.New(file).ParseFS(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("mail: parse %s: %w", file, err)
		}
		if t.Lookup("subject") == nil {
			return nil, fmt.Errorf("mail: %s defines no subject", file)
		}
		o.texts[name] = t
		htmlFile := name + ".html"
		if _, err := fs.Stat(fsys, htmlFile); err == nil {
			h, err := htmltemplate.New(htmlFile).ParseFS(fsys, htmlFile)
			if err != nil {
				return nil, fmt.Errorf("mail: parse %s: %w", htmlFile, err)
			}
			o.htmls[name] = h
		}
	}
	known := map[string]bool{}
	for _, d := range allData {
		known[d.template()] = true
		if _, _, _, err := o.Render(d); err != nil {
			return nil, err
		}
	}
	for name := range o.texts {
		if !known[name] {
			return nil, fmt.Errorf("mail: template %s.txt has no data type", name)
		}
	}
	return o, nil
}

// body is what a mail's sealed Body holds: the rendered text and HTML, or,
// for a mail prepared at send time, the name of its Preparer.
type body struct {
	Text    string `json:"text,omitempty"`
	HTML    string `json:"html,omitempty"`
	Prepare string `json:"prepare,omitempty"`
}

// Preparer makes a mail's data when the worker sends it, not when it is
// asked for: ok false means send nothing. A page that must answer alike
// whether or not an address has an account (the reset form) enqueues the
// same sealed request either way and lets the worker decide; the link's
// token is issued then, so it is never at rest, even sealed.
type Preparer func(ctx context.Context, to string) (d Data, ok bool, err error)

// bodyAD binds a sealed body to its mail, so a body cannot be moved to a
// mail to another recipient.
func bodyAD(m storage.Mail) []byte { return []byte("ostiary mail body\x00" + m.ID + "\x00" + m.To) }

// Send renders d for to and stores the mail durably, its body sealed; the
// Worker sends it later. It returns once the mail is in the database.
func (o *Outbox) Send(ctx context.Context, to string, d Data) error {
	subject, text, html, err := o.Render(d)
	if err != nil {
		return err
	}
	return o.enqueue(ctx, to, subject, body{Text: text, HTML: html})
}

// SendPrepared stores a mail to to whose data the worker's Preparer named
// preparer makes at send time. The row has no subject until then: the
// outbox shows the same for every address.
func (o *Outbox) SendPrepared(ctx context.Context, to, preparer string) error {
	return o.enqueue(ctx, to, "", body{Prepare: preparer})
}

func (o *Outbox) enqueue(ctx context.Context, to, subject string, b body) error {
	if strings.ContainsAny(to, "\r\n") {
		return fmt.Errorf("mail: recipient %q has a line break", to)
	}
	now := o.now().UTC()
	m := storage.Mail{ID: randtoken.ID(), To: to, Subject: subject, CreatedAt: now, NextAttemptAt: now}
	plain, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("mail: encode body: %w", err)
	}
	if m.Body, err = o.sealer.Seal(plain, bodyAD(m)); err != nil {
		return fmt.Errorf("mail: seal: %w", err)
	}
	if err := o.store.EnqueueMail(ctx, m); err != nil {
		return fmt.Errorf("mail: enqueue: %w", err)
	}
	if o.wake != nil {
		o.wake()
	}
	return nil
}

// openBody is the text and HTML of a claimed mail.
func openBody(s Sealer, m storage.Mail) (body, error) {
	plain, err := s.Open(m.Body, bodyAD(m))
	if err != nil {
		return body{}, fmt.Errorf("mail: open body of %s: %w", m.ID, err)
	}
	var b body
	if err := json.Unmarshal(plain, &b); err != nil {
		return body{}, fmt.Errorf("mail: decode body of %s: %w", m.ID, err)
	}
	return b, nil
}

// Render executes d's template: the subject (on one line), the text body
// and the HTML body ("" when the template has no .html file).
func (o *Outbox) Render(d Data) (subject, text, html string, err error) {
	name := d.template()
	t, ok := o.texts[name]
	if !ok {
		return "", "", "", fmt.Errorf("mail: no template %s.txt", name)
	}
	var sb, tb bytes.Buffer
	if err := t.ExecuteTemplate(&sb, "subject", d); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s subject: %w", name, err)
	}
	if err := t.ExecuteTemplate(&tb, name+".txt", d); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s.txt: %w", name, err)
	}
	// A subject is one header line: collapse whatever whitespace the
	// template or the data brought, so no one can inject a header.
	subject = strings.Join(strings.Fields(sb.String()), " ")
	text = strings.TrimSpace(tb.String()) + "\n"
	if h, ok := o.htmls[name]; ok {
		var hb bytes.Buffer
		if err := h.Execute(&hb, d); err != nil {
			return "", "", "", fmt.Errorf("mail: render %s.html: %w", name, err)
		}
		html = strings.TrimSpace(hb.String()) + "\n"
	}
	return subject, text, html, nil
}

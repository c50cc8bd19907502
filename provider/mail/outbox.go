package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
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

// ErrUnknownTemplate: Send named a template that does not exist.
var ErrUnknownTemplate = errors.New("mail: unknown template")

// Outbox renders mails and stores them for the Worker. Build it with
// NewOutbox.
type Outbox struct {
	store Enqueuer
	now   func() time.Time
	// wake, when set, is called after a mail was stored, so a worker in this
	// process sends it at once instead of at its next poll.
	wake  func()
	texts map[string]*texttemplate.Template
	htmls map[string]*htmltemplate.Template
}

// NewOutbox parses every NAME.txt (and its NAME.html, if any) in fsys, so a
// broken template stops the server at start rather than a mail at send time.
// Each .txt file defines the subject as {{define "subject"}}...{{end}}; the
// rest of each file is the body. wake may be nil.
func NewOutbox(store Enqueuer, fsys fs.FS, now func() time.Time, wake func()) (*Outbox, error) {
	if now == nil {
		now = time.Now
	}
	o := &Outbox{store: store, now: now, wake: wake,
		texts: map[string]*texttemplate.Template{}, htmls: map[string]*htmltemplate.Template{}}
	names, err := fs.Glob(fsys, "*.txt")
	if err != nil {
		return nil, fmt.Errorf("mail: list templates: %w", err)
	}
	for _, file := range names {
		name := strings.TrimSuffix(file, ".txt")
		t, err := texttemplate.New(file).Option("missingkey=error").ParseFS(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("mail: parse %s: %w", file, err)
		}
		if t.Lookup("subject") == nil {
			return nil, fmt.Errorf("mail: %s defines no subject", file)
		}
		o.texts[name] = t
		htmlFile := name + ".html"
		if _, err := fs.Stat(fsys, htmlFile); err == nil {
			h, err := htmltemplate.New(htmlFile).Option("missingkey=error").ParseFS(fsys, htmlFile)
			if err != nil {
				return nil, fmt.Errorf("mail: parse %s: %w", htmlFile, err)
			}
			o.htmls[name] = h
		}
	}
	if len(o.texts) == 0 {
		return nil, errors.New("mail: no templates")
	}
	return o, nil
}

// Send renders template for to with data and stores the mail durably; the
// Worker sends it later. It returns once the mail is in the database.
func (o *Outbox) Send(ctx context.Context, to, template string, data any) error {
	subject, text, html, err := o.Render(template, data)
	if err != nil {
		return err
	}
	if strings.ContainsAny(to, "\r\n") {
		return fmt.Errorf("mail: recipient %q has a line break", to)
	}
	now := o.now().UTC()
	m := storage.Mail{ID: randtoken.ID(), To: to, Subject: subject, TextBody: text, HTMLBody: html,
		CreatedAt: now, NextAttemptAt: now}
	if err := o.store.EnqueueMail(ctx, m); err != nil {
		return fmt.Errorf("mail: enqueue %s: %w", template, err)
	}
	if o.wake != nil {
		o.wake()
	}
	return nil
}

// Render executes template with data: the subject (on one line), the text
// body and the HTML body ("" when the template has no .html file).
func (o *Outbox) Render(template string, data any) (subject, text, html string, err error) {
	t, ok := o.texts[template]
	if !ok {
		return "", "", "", fmt.Errorf("%w %q", ErrUnknownTemplate, template)
	}
	var sb, tb bytes.Buffer
	if err := t.ExecuteTemplate(&sb, "subject", data); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s subject: %w", template, err)
	}
	if err := t.ExecuteTemplate(&tb, path.Base(template)+".txt", data); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s.txt: %w", template, err)
	}
	// A subject is one header line: collapse whatever whitespace the
	// template or the data brought, so no one can inject a header.
	subject = strings.Join(strings.Fields(sb.String()), " ")
	text = strings.TrimSpace(tb.String()) + "\n"
	if h, ok := o.htmls[template]; ok {
		var hb bytes.Buffer
		if err := h.Execute(&hb, data); err != nil {
			return "", "", "", fmt.Errorf("mail: render %s.html: %w", template, err)
		}
		html = strings.TrimSpace(hb.String()) + "\n"
	}
	return subject, text, html, nil
}

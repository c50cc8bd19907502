package selfservice

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

type devMailPage struct {
	Title string
	Mails []devMail
}

type devMail struct {
	To, Subject, Created, Status, Text string
	Links                              []string
}

var mailLink = regexp.MustCompile(`https?://[^\s<>"]+`)

// devMail serves GET /dev/mail: the newest mails the development sender
// delivered, with their links (kept in memory only, never in the
// database), so that a user developing against a server with no SMTP can
// finish registration and reset. It is mounted only with DevMail, which the
// wiring sets only without SMTP and on a loopback issuer.
func (p *Pages) devMail(w http.ResponseWriter, r *http.Request) error {
	prefix := p.Site.Link("/", nil)
	data := devMailPage{Title: "Outbox"}
	for _, m := range p.DevMail.Recent(50) {
		dm := devMail{To: m.To, Subject: m.Subject, Created: m.Date.UTC().Format(time.DateTime + " UTC"), Text: m.Text,
			Status: "delivered to the log"}
		for _, l := range mailLink.FindAllString(m.Text, -1) {
			if strings.HasPrefix(l, prefix) {
				dm.Links = append(dm.Links, l)
			}
		}
		data.Mails = append(data.Mails, dm)
	}
	return p.Site.Render(w, http.StatusOK, "dev_mail", data)
}

package web

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/web/page"
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

// DevMail serves GET /dev/mail: the newest mails the development sender
// delivered, with their links (kept in memory only, never in the database), so that a person developing against a server with no SMTP can
// finish registration and reset. It exists only when People.DevMail is
// set, which the wiring does only without SMTP and on a loopback issuer.
func (p *Pages) DevMail(w http.ResponseWriter, r *http.Request) {
	p.site.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if p.People == nil || p.People.DevMail == nil {
			return peopleOff()
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET.")
		}
		prefix := strings.TrimSuffix(p.Issuer, "/") + "/"
		data := devMailPage{Title: "Outbox"}
		for _, m := range p.People.DevMail.Recent(50) {
			dm := devMail{To: m.To, Subject: m.Subject, Created: m.Date.UTC().Format(time.DateTime + " UTC"), Text: m.Text,
				Status: "delivered to the log"}
			for _, l := range mailLink.FindAllString(m.Text, -1) {
				if strings.HasPrefix(l, prefix) {
					dm.Links = append(dm.Links, l)
				}
			}
			data.Mails = append(data.Mails, dm)
		}
		return p.site.Render(w, http.StatusOK, "dev_mail", data)
	})(w, r)
}

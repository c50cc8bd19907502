package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// auditPageSize is how many events one page of the audit log shows.
const auditPageSize = 50

type auditPage struct {
	Title, Error string
	Nav          nav
	Action       string
	// The filter as typed, to fill the form again.
	Type, Actor, Subject, Since, Until string
	Events                             []auditRow
	OlderURL, NewestURL                string
}

type auditRow struct {
	ID, Time, Type, Actor, Subject, Client, Org, IP, Details string
	// ActorEmail and SubjectEmail name users who still have an account.
	ActorEmail, SubjectEmail string
}

const auditTimeLayout = "2006-01-02T15:04"

// auditRows formats events; emails names the users they mention.
func auditRows(evs []storage.AuditEvent, emails map[string]string) []auditRow {
	rows := make([]auditRow, len(evs))
	for i, e := range evs {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var details []string
		for _, k := range keys {
			details = append(details, k+"="+e.Details[k])
		}
		rows[i] = auditRow{ID: e.ID, Time: e.Time.UTC().Format("2006-01-02 15:04:05"), Type: e.Type, Actor: e.ActorID,
			Subject: e.SubjectID, Client: e.ClientID, Org: e.OrgID, IP: e.IP, Details: strings.Join(details, " "),
			ActorEmail: emails[e.ActorID], SubjectEmail: emails[e.SubjectID]}
	}
	return rows
}

func (a *Pages) recentEvents(ar *request, n int) ([]auditRow, error) {
	evs, err := a.Store.ListAudit(ar.r.Context(), storage.AuditFilter{Limit: n})
	if err != nil {
		return nil, fmt.Errorf("admin: list audit: %w", err)
	}
	return auditRows(evs, a.emails(ar, evs)), nil
}

// emails looks up the users named in evs (at most a page of them), so the
// log reads as who rather than which id. Deleted users stay ids.
func (a *Pages) emails(ar *request, evs []storage.AuditEvent) map[string]string {
	out := map[string]string{}
	for _, e := range evs {
		for _, id := range []string{e.ActorID, e.SubjectID} {
			if _, seen := out[id]; seen || id == "" || strings.HasPrefix(id, "@") {
				continue
			}
			out[id] = ""
			if u, err := a.Store.GetUser(ar.r.Context(), id); err == nil {
				out[id] = u.Email
			}
		}
	}
	return out
}

// userID turns what was typed into an actor or subject filter into an
// id: an email address is looked up; ok is false for an unknown email.
func (a *Pages) userID(ar *request, typed string) (string, bool) {
	if !strings.Contains(typed, "@") || strings.HasPrefix(typed, "@") {
		return typed, true
	}
	u, err := a.Store.GetUserByEmail(ar.r.Context(), typed)
	if err != nil {
		return "", false
	}
	return u.ID, true
}

// auditLog serves GET /admin/audit: events newest first, filtered by type,
// actor, subject and time range (UTC), fifty a page; "Older" pages with the
// last event's id (storage.AuditFilter.BeforeID), so new events arriving
// meanwhile do not shift the pages.
func (a *Pages) auditLog(ar *request) error {
	q := ar.r.URL.Query()
	data := auditPage{Title: "Audit log", Nav: a.nav("/audit"), Action: a.path("/audit"),
		Type: strings.TrimSpace(q.Get("type")), Actor: strings.TrimSpace(q.Get("actor")),
		Subject: strings.TrimSpace(q.Get("subject")), Since: q.Get("since"), Until: q.Get("until")}
	f := storage.AuditFilter{Type: data.Type, Limit: auditPageSize + 1, BeforeID: q.Get("before")}
	var bad, badTime []string
	var ok bool
	if f.ActorID, ok = a.userID(ar, data.Actor); !ok {
		bad = append(bad, "Actor")
	}
	if f.SubjectID, ok = a.userID(ar, data.Subject); !ok {
		bad = append(bad, "Subject")
	}
	for _, t := range []struct {
		raw  string
		dst  *time.Time
		name string
	}{{data.Since, &f.Since, "From"}, {data.Until, &f.Until, "Until"}} {
		if t.raw == "" {
			continue
		}
		v, err := time.Parse(auditTimeLayout, t.raw)
		if err != nil {
			badTime = append(badTime, t.name)
			continue
		}
		*t.dst = v
	}
	if len(bad)+len(badTime) > 0 {
		var msgs []string
		if len(bad) > 0 {
			msgs = append(msgs, strings.Join(bad, " and ")+": nobody has that email address; enter an email or a user id.")
		}
		if len(badTime) > 0 {
			msgs = append(msgs, strings.Join(badTime, " and ")+": enter a date and time such as 2026-01-31T14:00 (UTC).")
		}
		data.Error = strings.Join(msgs, " ")
		return a.Site.Render(ar.w, http.StatusUnprocessableEntity, "admin_audit", data)
	}
	evs, err := a.Store.ListAudit(ar.r.Context(), f)
	if err != nil {
		return fmt.Errorf("admin: list audit: %w", err)
	}
	more := len(evs) > auditPageSize
	if more {
		evs = evs[:auditPageSize]
	}
	data.Events = auditRows(evs, a.emails(ar, evs))
	filter := url.Values{}
	for k, v := range map[string]string{"type": data.Type, "actor": data.Actor, "subject": data.Subject, "since": data.Since, "until": data.Until} {
		if v != "" {
			filter.Set(k, v)
		}
	}
	if more {
		older := url.Values{}
		for k, v := range filter {
			older[k] = v
		}
		older.Set("before", evs[len(evs)-1].ID)
		data.OlderURL = data.Action + "?" + older.Encode()
	}
	if f.BeforeID != "" {
		data.NewestURL = data.Action
		if len(filter) > 0 {
			data.NewestURL += "?" + filter.Encode()
		}
	}
	return a.Site.Render(ar.w, http.StatusOK, "admin_audit", data)
}

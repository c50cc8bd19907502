package web

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

type adminAuditPage struct {
	Title, Error string
	Nav          adminNav
	Action       string
	// The filter as typed, to fill the form again.
	Type, Actor, Subject, Since, Until string
	Events                             []auditRow
	OlderURL, NewestURL                string
}

type auditRow struct {
	ID, Time, Type, Actor, Subject, Client, Org, IP, Details string
}

const auditTimeLayout = "2006-01-02T15:04"

func auditRows(evs []storage.AuditEvent) []auditRow {
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
			Subject: e.SubjectID, Client: e.ClientID, Org: e.OrgID, IP: e.IP, Details: strings.Join(details, " ")}
	}
	return rows
}

func (a *Admin) recentEvents(ar *adminRequest, n int) ([]auditRow, error) {
	evs, err := a.Store.ListAudit(ar.r.Context(), storage.AuditFilter{Limit: n})
	if err != nil {
		return nil, fmt.Errorf("web: admin: list audit: %w", err)
	}
	return auditRows(evs), nil
}

// auditLog serves GET /admin/audit: events newest first, filtered by type,
// actor, subject and time range (UTC), fifty a page; "Older" pages with the
// last event's id (storage.AuditFilter.BeforeID), so new events arriving
// meanwhile do not shift the pages.
func (a *Admin) auditLog(ar *adminRequest) error {
	if ar.r.Method == http.MethodPost {
		return showError(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET.")
	}
	q := ar.r.URL.Query()
	p := a.Pages
	data := adminAuditPage{Title: "Audit log", Nav: a.nav("/audit"), Action: p.path(PathAdmin + "/audit"),
		Type: strings.TrimSpace(q.Get("type")), Actor: strings.TrimSpace(q.Get("actor")),
		Subject: strings.TrimSpace(q.Get("subject")), Since: q.Get("since"), Until: q.Get("until")}
	f := storage.AuditFilter{Type: data.Type, ActorID: data.Actor, SubjectID: data.Subject,
		Limit: auditPageSize + 1, BeforeID: q.Get("before")}
	var bad []string
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
			bad = append(bad, t.name)
			continue
		}
		*t.dst = v
	}
	status := http.StatusOK
	if len(bad) > 0 {
		data.Error = strings.Join(bad, " and ") + ": enter a date and time such as 2026-01-31T14:00 (UTC)."
		status = http.StatusUnprocessableEntity
		return p.render(ar.w, status, "admin_audit", data)
	}
	evs, err := a.Store.ListAudit(ar.r.Context(), f)
	if err != nil {
		return fmt.Errorf("web: admin: list audit: %w", err)
	}
	more := len(evs) > auditPageSize
	if more {
		evs = evs[:auditPageSize]
	}
	data.Events = auditRows(evs)
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
	return p.render(ar.w, status, "admin_audit", data)
}

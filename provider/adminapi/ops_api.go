package adminapi

import (
	"net/http"
	"time"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/storage"
)

// opsAPI serves the instance's operations: signing keys, the audit log and
// dynamic client registration's initial access tokens (dcr_api.go).
type opsAPI resource

func (h opsAPI) listKeys(w http.ResponseWriter, r *http.Request) error {
	ks, err := h.svc.ListKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, List[keys.KeyInfo]{Items: ks})
	return nil
}

func (h opsAPI) rotateKey(w http.ResponseWriter, r *http.Request) error {
	k, err := h.svc.RotateKey(r.Context(), h.actor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"kid": k.ID, "active_from": k.ActiveFrom.UTC()})
	return nil
}

// listAudit pages newest first with the store's BeforeID: the cursor is
// the id of the last event returned.
func (h opsAPI) listAudit(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := storage.AuditFilter{Type: q.Get("type"), ActorID: q.Get("actor"), SubjectID: q.Get("subject"), BeforeID: before}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return badRequest(p.name + " must be an RFC 3339 time such as 2026-01-02T15:04:05Z.")
			}
			*p.dst = t
		}
	}
	f.Limit = min(limit+1, 1000)
	events, err := h.svc.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	out := List[AuditView]{Items: []AuditView{}}
	for i, e := range events {
		if i == limit {
			out.NextCursor = encodeCursor(events[i-1].ID)
			break
		}
		out.Items = append(out.Items, ViewAudit(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

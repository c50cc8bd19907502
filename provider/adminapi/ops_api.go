package adminapi

import (
	"net/http"
	"time"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/storage"
)

func (h *Handler) listKeys(w http.ResponseWriter, r *http.Request) error {
	ks, err := h.Service.ListKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, List[keys.KeyInfo]{Items: ks})
	return nil
}

func (h *Handler) rotateKey(w http.ResponseWriter, r *http.Request) error {
	k, err := h.Service.RotateKey(r.Context(), h.actor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"kid": k.ID, "active_from": k.ActiveFrom.UTC()})
	return nil
}

// listAudit pages newest first with the store's BeforeID: the cursor is
// the id of the last event returned.
func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request) error {
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
	events, err := h.Service.ListAudit(r.Context(), f)
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

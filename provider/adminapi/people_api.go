package adminapi

import (
	"net/http"

	"github.com/ostiary/ostiary/storage"
)

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := h.Service.ListUsers(r.Context(), r.URL.Query().Get("email"))
	if err != nil {
		return err
	}
	page, err := paginate(r, us, func(u storage.User) string { return timeKey(u.CreatedAt, u.ID) }, ViewUser)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := h.Service.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewUser(u))
	return nil
}

// userChange runs a change and answers the person as they are after it.
func (h *Handler) userChange(w http.ResponseWriter, r *http.Request, change func(id string) error) error {
	id := r.PathValue("id")
	if err := change(id); err != nil {
		return err
	}
	return h.getUser(w, r)
}

func (h *Handler) disableUser(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id string) error { return h.Service.People.Disable(r.Context(), h.actor(r), id) })
}

func (h *Handler) enableUser(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id string) error { return h.Service.People.Enable(r.Context(), h.actor(r), id) })
}

func (h *Handler) resetMFA(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id string) error { return h.Service.ResetMFA(r.Context(), h.actor(r), id) })
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := h.Service.People.Delete(r.Context(), h.actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) endSessions(w http.ResponseWriter, r *http.Request) error {
	n, err := h.Service.EndSessions(r.Context(), h.actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"sessions_ended": n})
	return nil
}

func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request) error {
	ss, err := h.Service.ListSessions(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	page, err := paginate(r, ss, func(s storage.Session) string { return timeKey(s.CreatedAt, s.ID) }, ViewSession)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) deleteSession(w http.ResponseWriter, r *http.Request) error {
	if err := h.Service.DeleteSession(r.Context(), h.actor(r), r.PathValue("id"), r.PathValue("session_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listConsents(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.Service.ListConsents(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	page, err := paginate(r, cs, func(c storage.Consent) string { return c.ClientID }, ViewConsent)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) revokeConsent(w http.ResponseWriter, r *http.Request) error {
	if err := h.Service.RevokeConsent(r.Context(), h.actor(r), r.PathValue("id"), r.PathValue("client_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

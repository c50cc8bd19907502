package adminapi

import (
	"net/http"

	"github.com/ostiary/ostiary/storage"
)

// usersAPI serves users and what they hold: sessions, consents, the second
// factor (listUsers ... revokeUserConsent).
type usersAPI resource

func (h usersAPI) listUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := h.svc.ListUsers(r.Context(), r.URL.Query().Get("email"))
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

func (h usersAPI) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := h.svc.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewUser(u))
	return nil
}

func (h usersAPI) updateUser(w http.ResponseWriter, r *http.Request) error {
	var body UserPatch
	if err := decode(w, r, &body); err != nil {
		return err
	}
	u, err := h.svc.UpdateUser(r.Context(), h.actor(r), r.PathValue("id"), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewUser(u))
	return nil
}

// userChange runs a change and answers the user as they are after it.
func (h usersAPI) userChange(w http.ResponseWriter, r *http.Request, change func(id string) error) error {
	id := r.PathValue("id")
	if err := change(id); err != nil {
		return err
	}
	return h.getUser(w, r)
}

func (h usersAPI) disableUser(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id string) error { return h.svc.Users.Disable(r.Context(), h.actor(r), id) })
}

func (h usersAPI) enableUser(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id string) error { return h.svc.Users.Enable(r.Context(), h.actor(r), id) })
}

func (h usersAPI) resetMFA(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id string) error { return h.svc.ResetMFA(r.Context(), h.actor(r), id) })
}

func (h usersAPI) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.Users.Delete(r.Context(), h.actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h usersAPI) endSessions(w http.ResponseWriter, r *http.Request) error {
	n, err := h.svc.EndSessions(r.Context(), h.actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"sessions_ended": n})
	return nil
}

func (h usersAPI) listSessions(w http.ResponseWriter, r *http.Request) error {
	ss, err := h.svc.ListSessions(r.Context(), r.PathValue("id"))
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

func (h usersAPI) deleteSession(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.DeleteSession(r.Context(), h.actor(r), r.PathValue("id"), r.PathValue("session_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h usersAPI) listConsents(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.svc.ListConsents(r.Context(), r.PathValue("id"))
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

func (h usersAPI) revokeConsent(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.RevokeConsent(r.Context(), h.actor(r), r.PathValue("id"), r.PathValue("client_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

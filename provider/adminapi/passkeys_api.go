package adminapi

import (
	"net/http"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// A user's passkeys, as their account page shows them: an administrator
// lists them and removes one (a lost device, a departing user) through
// passkey.Service (Service.Passkeys), which audits passkey.removed. The
// operations live on this resource handler, not on Service: they are the
// passkey service's own, with the user looked up first.

// PasskeyView is a passkey: its label and history, never the credential.
type PasskeyView struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	// Type is "platform" (built into the device), "roaming" (a security
	// key or a phone) or "unknown", from the authenticator attachment.
	Type string `json:"type"`
	// CloneWarning: the signature counter went backwards once (WebAuthn
	// §6.1.1), a sign the credential may have been copied.
	CloneWarning bool       `json:"clone_warning"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   *time.Time `json:"last_used_at,omitempty"`
}

// ViewPasskey is p for the API, the CLI and the admin pages.
func ViewPasskey(p storage.Passkey) PasskeyView {
	return PasskeyView{ID: p.ID, UserID: p.UserID, Name: p.Name, Type: PasskeyType(p.Attachment), CloneWarning: p.CloneWarning,
		CreatedAt: p.CreatedAt.UTC(), LastUsedAt: optTime(p.LastUsedAt)}
}

// PasskeyType names an authenticator attachment (WebAuthn §5.4.5).
func PasskeyType(attachment string) string {
	switch attachment {
	case "platform":
		return "platform"
	case "cross-platform":
		return "roaming"
	}
	return "unknown"
}

// passkeysAPI serves a user's passkeys (listUserPasskeys,
// removeUserPasskey).
type passkeysAPI resource

func (h passkeysAPI) listPasskeys(w http.ResponseWriter, r *http.Request) error {
	u, err := h.svc.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ps, err := h.svc.Passkeys.List(r.Context(), u.ID)
	if err != nil {
		return err
	}
	page, err := paginate(r, ps, func(p storage.Passkey) string { return timeKey(p.CreatedAt, p.ID) }, ViewPasskey)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h passkeysAPI) removePasskey(w http.ResponseWriter, r *http.Request) error {
	u, err := h.svc.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := h.svc.Passkeys.Remove(r.Context(), h.actor(r), u.ID, r.PathValue("passkey_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package admin

import (
	"fmt"
	"net/http"

	"github.com/ostiary/ostiary/provider/keys"
)

type keysPage struct {
	Title, CSRF, Notice, Action string
	Nav                         nav
	Keys                        []keyRow
}

type keyRow struct {
	ID, Algorithm, State, StateLabel, Created, SignsFrom, RetiredAt, UnpublishAt string
}

var keyStateLabels = map[string]string{
	keys.StateSigning: "Signing",
	keys.StateNext:    "Publishing",
	keys.StateRetired: "Retired",
}

func newKeyRow(k keys.KeyInfo) keyRow {
	return keyRow{ID: k.ID, Algorithm: k.Algorithm, State: k.State, StateLabel: keyStateLabels[k.State],
		Created: when(k.CreatedAt), SignsFrom: when(k.ActiveFrom), RetiredAt: when(k.RetiredAt),
		UnpublishAt: when(k.UnpublishAt)}
}

// keyList serves GET /admin/keys: the signing keys with their states.
func (a *Pages) keyList(ar *request) error {
	ks, err := a.Keys.List(ar.r.Context())
	if err != nil {
		return fmt.Errorf("admin: list keys: %w", err)
	}
	data := keysPage{Title: "Signing keys", Nav: a.nav("/keys"), Notice: ar.notice(), Action: a.path("/keys"), CSRF: a.csrf(ar)}
	for _, k := range ks {
		data.Keys = append(data.Keys, newKeyRow(k))
	}
	return a.Site.Render(ar.w, http.StatusOK, "admin_keys", data)
}

// keyRotate serves POST /admin/keys, action rotate: a new key, as
// `ostiary keys rotate` makes (keys.Manager.Rotate).
func (a *Pages) keyRotate(ar *request) error {
	if ar.r.PostFormValue("action") != "rotate" {
		return unknownAction()
	}
	if _, err := a.Ops.RotateKey(ar.r.Context(), ar.actor); err != nil {
		return fmt.Errorf("admin: rotate keys: %w", err)
	}
	return a.redirectDone(ar, "/keys", "rotated")
}

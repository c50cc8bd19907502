package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/web/page"
)

type adminKeysPage struct {
	Title, CSRF, Notice, Action string
	Nav                         adminNav
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

func adminTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func (a *Admin) keyRow(k keys.KeyInfo) keyRow {
	return keyRow{ID: k.ID, Algorithm: k.Algorithm, State: k.State, StateLabel: keyStateLabels[k.State],
		Created: adminTime(k.CreatedAt), SignsFrom: adminTime(k.ActiveFrom), RetiredAt: adminTime(k.RetiredAt),
		UnpublishAt: adminTime(k.UnpublishAt)}
}

// keyList serves GET and POST /admin/keys: the signing keys with their
// states, and rotation (keys.Manager.Rotate, as `ostiary keys rotate`).
func (a *Admin) keyList(ar *adminRequest) error {
	p, ctx := a.Pages, ar.r.Context()
	if ar.r.Method == http.MethodPost {
		if ar.r.PostFormValue("action") != "rotate" {
			return page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
		}
		if _, err := a.Ops.RotateKey(ctx, ar.actor); err != nil {
			return fmt.Errorf("web: admin: rotate keys: %w", err)
		}
		return a.redirectDone(ar, "/keys", "rotated")
	}
	ks, err := a.Keys.List(ctx)
	if err != nil {
		return fmt.Errorf("web: admin: list keys: %w", err)
	}
	data := adminKeysPage{Title: "Signing keys", Nav: a.nav("/keys"), Notice: ar.notice(),
		Action: p.site.Path(PathAdmin + "/keys"), CSRF: p.Sessions.CSRFToken(ar.w, ar.r)}
	for _, k := range ks {
		data.Keys = append(data.Keys, a.keyRow(k))
	}
	return p.site.Render(ar.w, http.StatusOK, "admin_keys", data)
}

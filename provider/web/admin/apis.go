package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type apisPage struct {
	Title, CSRF, Notice, Action string
	Nav                         nav
	APIs                        []storage.API
}

// apiList serves GET /admin/apis: the registered APIs and a form for a new one.
func (a *Pages) apiList(ar *request) error {
	as, err := a.Ops.ListAPIs(ar.r.Context())
	if err != nil {
		return fmt.Errorf("admin: list apis: %w", err)
	}
	data := apisPage{Title: "APIs", Nav: a.nav("/apis"), Notice: ar.notice(), Action: a.path("/apis"), CSRF: a.csrf(ar), APIs: as}
	return a.Site.Render(ar.w, http.StatusOK, "admin_apis", data)
}

// apiChange serves POST /admin/apis: action create (identifier, name, one
// scope a line as "name = description") or delete (identifier), as
// `ostiary apis create|delete` do.
func (a *Pages) apiChange(ar *request) error {
	f := ar.r.PostForm
	switch f.Get("action") {
	case "create":
		sp := adminapi.APISpec{Identifier: f.Get("identifier"), Name: f.Get("name")}
		for line := range strings.Lines(f.Get("scopes")) {
			if strings.TrimSpace(line) == "" {
				continue
			}
			name, desc, _ := strings.Cut(line, "=")
			sp.Scopes = append(sp.Scopes, storage.APIScope{Name: strings.TrimSpace(name), Description: strings.TrimSpace(desc)})
		}
		if _, err := a.Ops.CreateAPI(ar.r.Context(), ar.actor, sp); err != nil {
			if errors.Is(err, adminapi.ErrInvalid) || errors.Is(err, storage.ErrAlreadyExists) {
				return page.Show(http.StatusBadRequest, "API not registered", err.Error())
			}
			return fmt.Errorf("admin: create api: %w", err)
		}
		return a.redirectDone(ar, "/apis", "api_created")
	case "delete":
		if err := a.Ops.DeleteAPI(ar.r.Context(), ar.actor, f.Get("identifier")); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return page.Show(http.StatusNotFound, "No such API", "It may have been deleted already.")
			}
			return fmt.Errorf("admin: delete api: %w", err)
		}
		return a.redirectDone(ar, "/apis", "api_deleted")
	}
	return unknownAction()
}

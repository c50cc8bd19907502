package adminapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/storage"
)

// APIs (resource servers, RFC 8707): an identifier (the aud of the tokens
// for it), a display name, its scopes in plain words and its access-token
// lifespan. Clients are granted them (ClientPatch.APIs).

// APIView is an API as the admin API and the CLI show it.
type APIView struct {
	Identifier string             `json:"identifier"`
	Name       string             `json:"name"`
	Scopes     []storage.APIScope `json:"scopes"`
	// AccessTokenLifespan in seconds; 0 is the provider's default.
	AccessTokenLifespan int       `json:"access_token_lifespan_seconds"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// ViewAPI is a for the API and CLI.
func ViewAPI(a storage.API) APIView {
	sc := a.Scopes
	if sc == nil {
		sc = []storage.APIScope{}
	}
	return APIView{Identifier: a.Identifier, Name: a.Name, Scopes: sc, AccessTokenLifespan: int(a.AccessTokenLifespan / time.Second),
		CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
}

// APISpec is what createAPI and updateAPI take.
type APISpec struct {
	Identifier          string             `json:"identifier"`
	Name                string             `json:"name"`
	Scopes              []storage.APIScope `json:"scopes"`
	AccessTokenLifespan int                `json:"access_token_lifespan_seconds"`
}

// validAPI refuses an identifier that is not an absolute URI without a
// fragment (RFC 8707 §2), a missing name, a scope without a name or a
// description, a duplicate scope and a negative lifespan.
func validAPI(a storage.API) error {
	if !clients.IsResourceURI(a.Identifier) {
		return ErrInvalid.Newf("API identifier %q: not an absolute URI without a fragment (RFC 8707 §2).", a.Identifier)
	}
	if strings.TrimSpace(a.Name) == "" {
		return ErrInvalid.Newf("API %q: a name is required.", a.Identifier)
	}
	var seen []string
	for _, sc := range a.Scopes {
		if sc.Name == "" || strings.ContainsAny(sc.Name, " \t\n\"\\") {
			return ErrInvalid.Newf("API %q: scope %q is not a scope token (RFC 6749 §3.3).", a.Identifier, sc.Name)
		}
		if strings.TrimSpace(sc.Description) == "" {
			return ErrInvalid.Newf("API %q: scope %q needs a description in plain words.", a.Identifier, sc.Name)
		}
		if slices.Contains(seen, sc.Name) {
			return ErrInvalid.Newf("API %q: scope %q appears twice.", a.Identifier, sc.Name)
		}
		seen = append(seen, sc.Name)
	}
	if a.AccessTokenLifespan < 0 {
		return ErrInvalid.Newf("API %q: negative access token lifespan.", a.Identifier)
	}
	return nil
}

func (sp APISpec) api(now time.Time) storage.API {
	return storage.API{Identifier: strings.TrimSpace(sp.Identifier), Name: strings.TrimSpace(sp.Name), Scopes: sp.Scopes,
		AccessTokenLifespan: time.Duration(sp.AccessTokenLifespan) * time.Second, CreatedAt: now, UpdatedAt: now}
}

// CreateAPI registers an API.
func (s *Service) CreateAPI(ctx context.Context, a accounts.Actor, sp APISpec) (storage.API, error) {
	api := sp.api(s.Now().UTC())
	if err := validAPI(api); err != nil {
		return storage.API{}, err
	}
	if err := s.Store.CreateAPI(ctx, api); err != nil {
		return storage.API{}, fmt.Errorf("API %q: %w", api.Identifier, err)
	}
	return api, s.audit(ctx, a, storage.AuditEvent{Type: "api.created", Details: map[string]string{"identifier": api.Identifier}})
}

// ListAPIs lists every API by identifier.
func (s *Service) ListAPIs(ctx context.Context) ([]storage.API, error) { return s.Store.ListAPIs(ctx) }

// GetAPI returns the API or storage.ErrNotFound.
func (s *Service) GetAPI(ctx context.Context, identifier string) (storage.API, error) {
	a, err := s.Store.GetAPI(ctx, identifier)
	if err != nil {
		return storage.API{}, fmt.Errorf("API %q: %w", identifier, err)
	}
	return a, nil
}

// UpdateAPI replaces the API's name, scopes and lifespan.
func (s *Service) UpdateAPI(ctx context.Context, a accounts.Actor, identifier string, sp APISpec) (storage.API, error) {
	old, err := s.GetAPI(ctx, identifier)
	if err != nil {
		return storage.API{}, err
	}
	sp.Identifier = identifier
	api := sp.api(s.Now().UTC())
	api.CreatedAt = old.CreatedAt
	if err := validAPI(api); err != nil {
		return storage.API{}, err
	}
	if err := s.Store.UpdateAPI(ctx, api); err != nil {
		return storage.API{}, fmt.Errorf("API %q: %w", identifier, err)
	}
	return api, s.audit(ctx, a, storage.AuditEvent{Type: "api.updated", Details: map[string]string{"identifier": identifier}})
}

// DeleteAPI removes the API and takes it from every client granted it, so
// no token is issued for it afterwards.
func (s *Service) DeleteAPI(ctx context.Context, a accounts.Actor, identifier string) error {
	cs, err := s.Store.ListClients(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if !slices.Contains(c.APIs, identifier) {
			continue
		}
		if err := s.Store.UpdateClient(ctx, c.ID, func(c storage.Client) (storage.Client, error) {
			c.APIs = slices.DeleteFunc(slices.Clone(c.APIs), func(x string) bool { return x == identifier })
			if c.DefaultAPI == identifier {
				c.DefaultAPI = ""
			}
			c.UpdatedAt = s.Now().UTC()
			return c, nil
		}); err != nil {
			return err
		}
	}
	if err := s.Store.DeleteAPI(ctx, identifier); err != nil {
		return fmt.Errorf("API %q: %w", identifier, err)
	}
	return s.audit(ctx, a, storage.AuditEvent{Type: "api.deleted", Details: map[string]string{"identifier": identifier}})
}

// checkAPIs refuses granting a client an API that is not registered.
func (s *Service) checkAPIs(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if _, err := s.Store.GetAPI(ctx, id); errors.Is(err, storage.ErrNotFound) {
			return ErrInvalid.Newf("API %q not found.", id)
		} else if err != nil {
			return fmt.Errorf("API %q: %w", id, err)
		}
	}
	return nil
}

type apisAPI resource

// apiIdentifier is the path's id: the API identifier percent-encoded as
// one path segment (its slashes as %2F).
func apiIdentifier(r *http.Request) string { return r.PathValue("id") }

func (h apisAPI) createAPI(w http.ResponseWriter, r *http.Request) error {
	var body APISpec
	if err := decode(w, r, &body); err != nil {
		return err
	}
	a, err := h.svc.CreateAPI(r.Context(), h.actor(r), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ViewAPI(a))
	return nil
}

func (h apisAPI) listAPIs(w http.ResponseWriter, r *http.Request) error {
	as, err := h.svc.ListAPIs(r.Context())
	if err != nil {
		return err
	}
	page, err := paginate(r, as, func(a storage.API) string { return a.Identifier }, ViewAPI)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h apisAPI) getAPI(w http.ResponseWriter, r *http.Request) error {
	a, err := h.svc.GetAPI(r.Context(), apiIdentifier(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewAPI(a))
	return nil
}

func (h apisAPI) updateAPI(w http.ResponseWriter, r *http.Request) error {
	var body APISpec
	if err := decode(w, r, &body); err != nil {
		return err
	}
	a, err := h.svc.UpdateAPI(r.Context(), h.actor(r), apiIdentifier(r), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewAPI(a))
	return nil
}

func (h apisAPI) deleteAPI(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.DeleteAPI(r.Context(), h.actor(r), apiIdentifier(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

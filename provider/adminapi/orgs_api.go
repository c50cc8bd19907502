package adminapi

import (
	"fmt"
	"net/http"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
)

// orgsAPI serves organizations, their members and roles (createOrg ...
// deleteOrgRole).
type orgsAPI resource

func (h orgsAPI) createOrg(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name       string `json:"name"`
		RequireMFA bool   `json:"require_mfa"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	o, err := h.svc.CreateOrg(r.Context(), h.actor(r), body.Name, body.RequireMFA)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewOrg(o))
	return nil
}

func (h orgsAPI) listOrgs(w http.ResponseWriter, r *http.Request) error {
	os, err := h.svc.Store.ListOrgs(r.Context())
	if err != nil {
		return fmt.Errorf("list organizations: %w", err)
	}
	page, err := paginate(r, os, func(o storage.Organization) string { return timeKey(o.CreatedAt, o.ID) }, viewOrg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h orgsAPI) getOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := h.svc.GetOrg(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewOrg(o))
	return nil
}

func (h orgsAPI) updateOrg(w http.ResponseWriter, r *http.Request) error {
	var body OrgPatch
	if err := decode(w, r, &body); err != nil {
		return err
	}
	o, err := h.svc.UpdateOrg(r.Context(), h.actor(r), r.PathValue("id"), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewOrg(o))
	return nil
}

func (h orgsAPI) deleteOrg(w http.ResponseWriter, r *http.Request) error {
	// The same confirmation the CLI asks for: the organization's exact name.
	confirm := r.URL.Query().Get("confirm")
	if confirm == "" {
		return badRequest("confirm (the organization's exact name) is required.")
	}
	if err := h.svc.Orgs.Delete(r.Context(), h.actor(r), r.PathValue("id"), confirm); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h orgsAPI) listMembers(w http.ResponseWriter, r *http.Request) error {
	ms, err := h.svc.Members(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	page, err := paginate(r, ms, func(m storage.Membership) string { return m.UserID }, viewMember)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h orgsAPI) addMember(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		UserID string `json:"user_id"`
		Role   string `json:"role"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.UserID == "" || body.Role == "" {
		return badRequest("user_id and role are required.")
	}
	org := r.PathValue("id")
	if err := h.svc.Orgs.AddMember(r.Context(), h.actor(r), org, body.UserID, body.Role); err != nil {
		return err
	}
	return h.member(w, r, http.StatusCreated, org, body.UserID)
}

func (h orgsAPI) member(w http.ResponseWriter, r *http.Request, status int, org, user string) error {
	ms, err := h.svc.Members(r.Context(), org)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.UserID == user {
			writeJSON(w, status, viewMember(m))
			return nil
		}
	}
	return fmt.Errorf("member %q: %w", user, storage.ErrNotFound)
}

func (h orgsAPI) setMemberRole(w http.ResponseWriter, r *http.Request) error {
	var body MemberPatch
	if err := decode(w, r, &body); err != nil {
		return err
	}
	org, user := r.PathValue("id"), r.PathValue("user_id")
	if err := h.svc.UpdateMember(r.Context(), h.actor(r), org, user, body); err != nil {
		return err
	}
	return h.member(w, r, http.StatusOK, org, user)
}

func (h orgsAPI) removeMember(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.Orgs.RemoveMember(r.Context(), h.actor(r), r.PathValue("id"), r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RoleView is a role an organization offers.
type RoleView struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	BuiltIn     bool   `json:"built_in"`
}

// ViewRole is r for the API and CLI.
func ViewRole(r accounts.Role) RoleView {
	return RoleView{Name: r.Name, Description: r.Description, BuiltIn: r.BuiltIn}
}

func (h orgsAPI) listRoles(w http.ResponseWriter, r *http.Request) error {
	org := r.PathValue("id")
	if _, err := h.svc.GetOrg(r.Context(), org); err != nil {
		return err
	}
	roles, err := h.svc.Orgs.Roles(r.Context(), org)
	if err != nil {
		return err
	}
	out := List[RoleView]{Items: make([]RoleView, len(roles))}
	for i, ro := range roles {
		out.Items[i] = ViewRole(ro)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h orgsAPI) defineRole(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := h.svc.Orgs.DefineRole(r.Context(), h.actor(r), r.PathValue("id"), body.Name, body.Description); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, RoleView{Name: body.Name, Description: body.Description})
	return nil
}

func (h orgsAPI) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.Orgs.DeleteRole(r.Context(), h.actor(r), r.PathValue("id"), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

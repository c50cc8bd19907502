package scim

import (
	"net/http"

	"github.com/ostiary/ostiary/provider/provisioning"
)

var (
	groupWritable   = map[string]bool{"displayname": true, "members": true}
	groupMulti      = map[string]bool{"members": true}
	groupFilterable = map[string]bool{"id": true, "displayname": true, "externalid": true, "members": true, "members.value": true,
		"members.display": true}
)

// groupResource is the Group resource (RFC 7643 §4.2) of one role.
func (h *Handler) groupResource(org string, g provisioning.Group) map[string]any {
	members := make([]map[string]any, 0, len(g.Members))
	for _, m := range g.Members {
		members = append(members, map[string]any{"value": m.UserID, "display": m.Email, "type": "User",
			"$ref": h.location(org, "Users", m.UserID)})
	}
	res := map[string]any{
		"schemas":     []string{SchemaGroup},
		"id":          g.Role,
		"displayName": g.Role,
		"members":     members,
		"meta":        map[string]any{"resourceType": "Group", "location": h.location(org, "Groups", g.Role)},
	}
	setVersion(res)
	return res
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request, c call) error {
	q, err := listQuery(r, groupFilterable)
	if err != nil {
		return err
	}
	groups, err := h.Service.ListGroups(r.Context(), c.org)
	if err != nil {
		return err
	}
	res := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		res = append(res, h.groupResource(c.org, g))
	}
	writeJSON(w, http.StatusOK, q.answer(res))
	return nil
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, c call) error {
	q, err := listQuery(r, nil)
	if err != nil {
		return err
	}
	g, err := h.Service.GetGroup(r.Context(), c.org, r.PathValue("id"))
	if err != nil {
		return err
	}
	res := h.groupResource(c.org, g)
	if notModified(w, r, version(res)) {
		return nil
	}
	writeResource(w, http.StatusOK, q.project(res))
	return nil
}

// createGroup defines a role from a pushed group: its displayName is the
// role's name (lowercase letters, digits, - and _), and members given join
// it.
func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, c call) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	name, err := str(body, "displayname")
	if err != nil {
		return err
	}
	if name == "" {
		return invalid("invalidValue", "displayName, the role's name, is required.")
	}
	ids, err := memberIDs(body["members"])
	if err != nil {
		return err
	}
	g, err := h.Service.CreateGroup(r.Context(), c.actor, c.org, name)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		if g, err = h.Service.ChangeGroup(r.Context(), c.actor, c.org, name, ids, nil, false); err != nil {
			return err
		}
	}
	writeResource(w, http.StatusCreated, h.groupResource(c.org, g))
	return nil
}

// memberIDs reads a members list: objects whose value is a user id.
func memberIDs(v any) ([]string, error) {
	var ids []string
	for _, el := range asList(v) {
		m, ok := el.(map[string]any)
		if !ok {
			return nil, invalid("invalidValue", "members is a list of objects with a value.")
		}
		id, err := str(m, "value")
		if err != nil {
			return nil, err
		}
		if id == "" {
			return nil, invalid("invalidValue", "Each member has a value, the user's id.")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (h *Handler) currentGroup(r *http.Request, c call) (provisioning.Group, map[string]any, error) {
	g, err := h.Service.GetGroup(r.Context(), c.org, r.PathValue("id"))
	if err != nil {
		return g, nil, err
	}
	res := h.groupResource(c.org, g)
	return g, res, checkIfMatch(r, version(res))
}

// setMembers makes the group's members exactly ids; the name of a role
// cannot change.
func (h *Handler) setMembers(w http.ResponseWriter, r *http.Request, c call, g provisioning.Group, doc map[string]any) error {
	if name, err := str(doc, "displayname"); err != nil {
		return err
	} else if name != "" && name != g.Role {
		return invalid("mutability", "A group is a role: its displayName %q cannot change.", g.Role)
	}
	ids, err := memberIDs(doc["members"])
	if err != nil {
		return err
	}
	had := map[string]bool{}
	for _, m := range g.Members {
		had[m.UserID] = true
	}
	want := map[string]bool{}
	var add, remove []string
	for _, id := range ids {
		want[id] = true
		if !had[id] {
			add = append(add, id)
		}
	}
	for _, m := range g.Members {
		if !want[m.UserID] {
			remove = append(remove, m.UserID)
		}
	}
	g, err = h.Service.ChangeGroup(r.Context(), c.actor, c.org, g.Role, add, remove, false)
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, h.groupResource(c.org, g))
	return nil
}

func (h *Handler) replaceGroup(w http.ResponseWriter, r *http.Request, c call) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	g, _, err := h.currentGroup(r, c)
	if err != nil {
		return err
	}
	return h.setMembers(w, r, c, g, body)
}

func (h *Handler) patchGroup(w http.ResponseWriter, r *http.Request, c call) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	ops, err := parsePatch(body)
	if err != nil {
		return err
	}
	g, res, err := h.currentGroup(r, c)
	if err != nil {
		return err
	}
	all := generic(res)
	doc := map[string]any{"displayname": all["displayname"], "members": all["members"]}
	if err := applyPatch(doc, ops, groupWritable, groupMulti); err != nil {
		return err
	}
	return h.setMembers(w, r, c, g, doc)
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, c call) error {
	if _, _, err := h.currentGroup(r, c); err != nil {
		return err
	}
	if err := h.Service.DeleteGroup(r.Context(), c.actor, c.org, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

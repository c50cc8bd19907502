package scim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/provisioning"
	"github.com/ostiary/ostiary/storage"
)

// userAttrs are the User attributes the service keeps and filters on
// (lowercased): the writable ones and the read-only id, groups and meta.
var (
	userWritable   = map[string]bool{"username": true, "displayname": true, "name": true, "externalid": true, "active": true, "emails": true}
	userMulti      = map[string]bool{"emails": true}
	userFilterable = map[string]bool{"id": true, "username": true, "externalid": true, "displayname": true, "active": true,
		"emails": true, "emails.value": true, "emails.type": true, "emails.primary": true,
		"name.givenname": true, "name.familyname": true, "name.formatted": true, "name": true,
		"meta.created": true, "meta.lastmodified": true}
)

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// userResource is the User resource (RFC 7643 §4.1) of v.
func (h *Handler) userResource(org string, v provisioning.User) map[string]any {
	name := map[string]any{"formatted": v.Name}
	if v.GivenName != "" {
		name["givenName"] = v.GivenName
	}
	if v.FamilyName != "" {
		name["familyName"] = v.FamilyName
	}
	emails := make([]map[string]any, 0, len(v.Emails))
	for _, e := range v.Emails {
		em := map[string]any{"value": e.Value, "primary": e.Primary}
		if e.Type != "" {
			em["type"] = e.Type
		}
		emails = append(emails, em)
	}
	res := map[string]any{
		"schemas":  []string{SchemaUser},
		"id":       v.ID,
		"userName": v.Email,
		"name":     name,
		"active":   v.Active,
		"emails":   emails,
	}
	if v.Name != "" {
		res["displayName"] = v.Name
	}
	if v.ExternalID != "" {
		res["externalId"] = v.ExternalID
	}
	if v.Role != "" && v.Active {
		res["groups"] = []map[string]any{{"value": v.Role, "display": v.Role, "type": "direct",
			"$ref": h.location(org, "Groups", v.Role)}}
	}
	res["meta"] = map[string]any{"resourceType": "User", "created": timestamp(v.Created),
		"lastModified": timestamp(v.Modified), "location": h.location(org, "Users", v.ID)}
	setVersion(res)
	return res
}

// setVersion puts the resource's ETag in meta.version (RFC 7644 §3.14):
// a weak tag of the SHA-256 of its representation, so any change changes
// it.
func setVersion(res map[string]any) {
	b, _ := json.Marshal(res)
	sum := sha256.Sum256(b)
	res["meta"].(map[string]any)["version"] = `W/"` + hex.EncodeToString(sum[:12]) + `"`
}

func version(res map[string]any) string { return res["meta"].(map[string]any)["version"].(string) }

// userInput reads a User resource (lowercased names) as given to POST and
// PUT, or made by a PATCH. Attributes the service does not keep are
// ignored; read-only ones (id, meta, groups) too (RFC 7643 §2.2).
func userInput(m map[string]any) (provisioning.UserInput, error) {
	var in provisioning.UserInput
	var err error
	if in.Email, err = str(m, "username"); err != nil {
		return in, err
	}
	if in.Email == "" {
		return in, invalid("invalidValue", "userName, the user's email address, is required.")
	}
	if in.DisplayName, err = str(m, "displayname"); err != nil {
		return in, err
	}
	if in.ExternalID, err = str(m, "externalid"); err != nil {
		return in, err
	}
	switch name := m["name"].(type) {
	case nil:
	case map[string]any:
		if in.GivenName, err = str(name, "givenname"); err != nil {
			return in, err
		}
		if in.FamilyName, err = str(name, "familyname"); err != nil {
			return in, err
		}
		if in.DisplayName == "" {
			if in.DisplayName, err = str(name, "formatted"); err != nil {
				return in, err
			}
		}
	default:
		return in, invalid("invalidValue", "name is an object.")
	}
	in.Active = true
	if a, ok := m["active"]; ok && a != nil {
		if in.Active, err = boolean(a, "active"); err != nil {
			return in, err
		}
	}
	for _, el := range asList(m["emails"]) {
		e, ok := el.(map[string]any)
		if !ok {
			return in, invalid("invalidValue", "emails is a list of objects.")
		}
		var se storage.ScimEmail
		if se.Value, err = str(e, "value"); err != nil {
			return in, err
		}
		if se.Type, err = str(e, "type"); err != nil {
			return in, err
		}
		if p, ok := e["primary"]; ok && p != nil {
			if se.Primary, err = boolean(p, "emails.primary"); err != nil {
				return in, err
			}
		}
		in.Emails = append(in.Emails, se)
	}
	return in, nil
}

func str(m map[string]any, key string) (string, error) {
	switch v := m[key].(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(v), nil
	}
	return "", invalid("invalidValue", "%s is a string.", key)
}

// boolean reads a boolean, or the strings "True" and "False" in any case
// that Entra ID sends.
func boolean(v any, what string) (bool, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case string:
		if b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(v))); err == nil {
			return b, nil
		}
	}
	return false, invalid("invalidValue", "%s is true or false.", what)
}

// writable is the writable part of a User resource, lowercased, for a
// PATCH to change.
func writable(res map[string]any) map[string]any {
	all := generic(res)
	out := map[string]any{}
	for k := range userWritable {
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	return out
}

// checkIfMatch answers 412 when If-Match names another version (RFC 7644
// §3.14, RFC 9110 §13.1.1).
func checkIfMatch(r *http.Request, current string) error {
	im := r.Header.Get("If-Match")
	if im == "" || strings.TrimSpace(im) == "*" {
		return nil
	}
	for _, t := range strings.Split(im, ",") {
		if strings.TrimSpace(t) == current {
			return nil
		}
	}
	return &Error{Status: http.StatusPreconditionFailed, Detail: "The resource has changed: its version is not the one in If-Match."}
}

// notModified answers 304 when If-None-Match names the current version.
func notModified(w http.ResponseWriter, r *http.Request, current string) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		if t = strings.TrimSpace(t); t == current || t == "*" {
			w.Header().Set("ETag", current)
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

func writeResource(w http.ResponseWriter, status int, res map[string]any) {
	w.Header().Set("ETag", version(res))
	if status == http.StatusCreated {
		w.Header().Set("Location", res["meta"].(map[string]any)["location"].(string))
	}
	writeJSON(w, status, res)
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, c call) error {
	q, err := listQuery(r, userFilterable)
	if err != nil {
		return err
	}
	users, err := h.Service.ListUsers(r.Context(), c.org)
	if err != nil {
		return err
	}
	res := make([]map[string]any, 0, len(users))
	for _, u := range users {
		res = append(res, h.userResource(c.org, u))
	}
	writeJSON(w, http.StatusOK, q.answer(res))
	return nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, c call) error {
	q, err := listQuery(r, nil)
	if err != nil {
		return err
	}
	v, err := h.Service.GetUser(r.Context(), c.org, r.PathValue("id"))
	if err != nil {
		return err
	}
	res := h.userResource(c.org, v)
	if notModified(w, r, version(res)) {
		return nil
	}
	writeResource(w, http.StatusOK, q.project(res))
	return nil
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, c call) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	in, err := userInput(body)
	if err != nil {
		return err
	}
	v, err := h.Service.CreateUser(r.Context(), c.actor, c.org, in)
	if err != nil {
		return err
	}
	writeResource(w, http.StatusCreated, h.userResource(c.org, v))
	return nil
}

// matching is the user's resource once If-Match is checked against it.
func (h *Handler) matching(r *http.Request, c call, v provisioning.User) (map[string]any, error) {
	res := h.userResource(c.org, v)
	return res, checkIfMatch(r, version(res))
}

// replaceUser is PUT (RFC 7644 §3.5.1). The If-Match is checked, and the
// body read, against the user as the change's transaction finds them.
func (h *Handler) replaceUser(w http.ResponseWriter, r *http.Request, c call) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	v, err := h.Service.UpdateUser(r.Context(), c.actor, c.org, r.PathValue("id"), func(cur provisioning.User) (provisioning.UserInput, error) {
		res, err := h.matching(r, c, cur)
		if err != nil {
			return provisioning.UserInput{}, err
		}
		doc := maps.Clone(body)
		// A replacement that leaves active out keeps it: omitting it never
		// reactivates or deactivates anyone.
		if _, ok := doc["active"]; !ok {
			doc["active"] = res["active"]
		}
		return userInput(doc)
	})
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, h.userResource(c.org, v))
	return nil
}

// patchUser is PATCH (RFC 7644 §3.5.2): the operations apply to the user
// as the change's transaction finds them.
func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request, c call) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	ops, err := parsePatch(body)
	if err != nil {
		return err
	}
	v, err := h.Service.UpdateUser(r.Context(), c.actor, c.org, r.PathValue("id"), func(cur provisioning.User) (provisioning.UserInput, error) {
		res, err := h.matching(r, c, cur)
		if err != nil {
			return provisioning.UserInput{}, err
		}
		doc := writable(res)
		if err := applyPatch(doc, ops, userWritable, userMulti); err != nil {
			return provisioning.UserInput{}, err
		}
		return userInput(doc)
	})
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, h.userResource(c.org, v))
	return nil
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, c call) error {
	err := h.Service.DeleteUser(r.Context(), c.actor, c.org, r.PathValue("id"), func(cur provisioning.User) error {
		_, err := h.matching(r, c, cur)
		return err
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package scim

import (
	"net/http"
	"strings"
)

// The discovery endpoints (RFC 7644 §4) describe exactly what the
// service does.

func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request, c call) error {
	base := strings.TrimSuffix(h.Issuer, "/") + BasePath + "/" + c.org
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{SchemaSPConfig},
		"documentationUri": strings.TrimSuffix(h.Issuer, "/") + "/",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": MaxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "Organization SCIM token", "primary": true,
			"description": "The bearer token an owner or admin of the organization creates on its settings page (RFC 6750).",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	})
	return nil
}

func (h *Handler) resourceTypeDocs(org string) []map[string]any {
	base := strings.TrimSuffix(h.Issuer, "/") + BasePath + "/" + org
	return []map[string]any{
		{"schemas": []string{SchemaResourceType}, "id": "User", "name": "User", "endpoint": "/Users",
			"description": "A member of the organization", "schema": SchemaUser,
			"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/User"}},
		{"schemas": []string{SchemaResourceType}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "One of the organization's roles", "schema": SchemaGroup,
			"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/Group"}},
	}
}

func (h *Handler) resourceTypes(w http.ResponseWriter, r *http.Request, c call) error {
	docs := h.resourceTypeDocs(c.org)
	writeJSON(w, http.StatusOK, query{startIndex: 1, count: MaxResults}.answer(docs))
	return nil
}

func (h *Handler) resourceType(w http.ResponseWriter, r *http.Request, c call) error {
	for _, d := range h.resourceTypeDocs(c.org) {
		if d["id"] == r.PathValue("id") {
			writeJSON(w, http.StatusOK, d)
			return nil
		}
	}
	return &Error{Status: http.StatusNotFound, Detail: "No such resource type."}
}

// attr describes one attribute (RFC 7643 §7).
func attr(name, typ string, o attrOpts) map[string]any {
	a := map[string]any{"name": name, "type": typ, "multiValued": o.multi, "required": o.required,
		"caseExact": o.caseExact, "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
	if o.mutability != "" {
		a["mutability"] = o.mutability
	}
	if o.uniqueness != "" {
		a["uniqueness"] = o.uniqueness
	}
	if o.returned != "" {
		a["returned"] = o.returned
	}
	if o.sub != nil {
		a["subAttributes"] = o.sub
	}
	if o.refTypes != nil {
		a["referenceTypes"] = o.refTypes
	}
	if o.description != "" {
		a["description"] = o.description
	}
	return a
}

type attrOpts struct {
	multi, required, caseExact       bool
	mutability, uniqueness, returned string
	description                      string
	sub                              []map[string]any
	refTypes                         []string
}

func (h *Handler) schemaDocs(org string) []map[string]any {
	base := strings.TrimSuffix(h.Issuer, "/") + BasePath + "/" + org
	user := map[string]any{
		"schemas": []string{SchemaSchema}, "id": SchemaUser, "name": "User", "description": "A member of the organization",
		"attributes": []map[string]any{
			attr("userName", "string", attrOpts{required: true, uniqueness: "server", description: "The user's email address: the account's address"}),
			attr("name", "complex", attrOpts{sub: []map[string]any{
				attr("formatted", "string", attrOpts{}),
				attr("givenName", "string", attrOpts{}),
				attr("familyName", "string", attrOpts{}),
			}}),
			attr("displayName", "string", attrOpts{description: "The account's display name"}),
			attr("emails", "complex", attrOpts{multi: true, sub: []map[string]any{
				attr("value", "string", attrOpts{}),
				attr("type", "string", attrOpts{}),
				attr("primary", "boolean", attrOpts{}),
			}}),
			attr("active", "boolean", attrOpts{description: "False deactivates the user in the organization"}),
			attr("groups", "complex", attrOpts{multi: true, mutability: "readOnly", description: "The user's role in the organization",
				sub: []map[string]any{
					attr("value", "string", attrOpts{mutability: "readOnly"}),
					attr("$ref", "reference", attrOpts{mutability: "readOnly", refTypes: []string{"Group"}}),
					attr("display", "string", attrOpts{mutability: "readOnly"}),
					attr("type", "string", attrOpts{mutability: "readOnly"}),
				}}),
		},
		"meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + SchemaUser},
	}
	group := map[string]any{
		"schemas": []string{SchemaSchema}, "id": SchemaGroup, "name": "Group", "description": "One of the organization's roles",
		"attributes": []map[string]any{
			attr("displayName", "string", attrOpts{required: true, uniqueness: "server", mutability: "immutable",
				description: "The role's name"}),
			attr("members", "complex", attrOpts{multi: true, description: "The users who hold the role", sub: []map[string]any{
				attr("value", "string", attrOpts{caseExact: true, mutability: "immutable"}),
				attr("$ref", "reference", attrOpts{mutability: "immutable", refTypes: []string{"User"}}),
				attr("display", "string", attrOpts{mutability: "readOnly"}),
				attr("type", "string", attrOpts{mutability: "immutable"}),
			}}),
		},
		"meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + SchemaGroup},
	}
	return []map[string]any{user, group}
}

func (h *Handler) schemas(w http.ResponseWriter, r *http.Request, c call) error {
	writeJSON(w, http.StatusOK, query{startIndex: 1, count: MaxResults}.answer(h.schemaDocs(c.org)))
	return nil
}

func (h *Handler) schema(w http.ResponseWriter, r *http.Request, c call) error {
	for _, d := range h.schemaDocs(c.org) {
		if d["id"] == r.PathValue("id") {
			writeJSON(w, http.StatusOK, d)
			return nil
		}
	}
	return &Error{Status: http.StatusNotFound, Detail: "No such schema."}
}

package adminapi

import "net/http"

// route is one operation of the API. The table below is the single source
// of the API's routes: the mux is built from it, and tests compare it with
// openapi.yaml and with the CLI's parity table.
type route struct {
	Method string
	// Path is relative to BasePath.
	Path string
	// Op is the operationId in openapi.yaml.
	Op string
	// Public routes need no token (the API description only).
	Public bool
	handle func(h *Handler, w http.ResponseWriter, r *http.Request) error
}

func routes() []route {
	return []route{
		{"GET", "/openapi.yaml", "getOpenAPI", true, (*Handler).openapi},

		{"POST", "/clients", "createClient", false, (*Handler).createClient},
		{"GET", "/clients", "listClients", false, (*Handler).listClients},
		{"GET", "/clients/{id}", "getClient", false, (*Handler).getClient},
		{"PATCH", "/clients/{id}", "updateClient", false, (*Handler).updateClient},
		{"DELETE", "/clients/{id}", "deleteClient", false, (*Handler).deleteClient},
		{"POST", "/clients/{id}/rotate-secret", "rotateClientSecret", false, (*Handler).rotateClientSecret},

		{"GET", "/users", "listUsers", false, (*Handler).listUsers},
		{"GET", "/users/{id}", "getUser", false, (*Handler).getUser},
		{"DELETE", "/users/{id}", "deleteUser", false, (*Handler).deleteUser},
		{"POST", "/users/{id}/disable", "disableUser", false, (*Handler).disableUser},
		{"POST", "/users/{id}/enable", "enableUser", false, (*Handler).enableUser},
		{"POST", "/users/{id}/reset-mfa", "resetUserMFA", false, (*Handler).resetMFA},
		{"POST", "/users/{id}/end-sessions", "endUserSessions", false, (*Handler).endSessions},
		{"GET", "/users/{id}/sessions", "listUserSessions", false, (*Handler).listSessions},
		{"DELETE", "/users/{id}/sessions/{session_id}", "deleteUserSession", false, (*Handler).deleteSession},
		{"GET", "/users/{id}/consents", "listUserConsents", false, (*Handler).listConsents},
		{"DELETE", "/users/{id}/consents/{client_id}", "revokeUserConsent", false, (*Handler).revokeConsent},
		{"GET", "/users/{id}/tokens", "listUserTokens", false, (*Handler).listTokens},
		{"DELETE", "/users/{id}/tokens/{token_id}", "revokeUserToken", false, (*Handler).revokeToken},

		{"POST", "/orgs", "createOrg", false, (*Handler).createOrg},
		{"GET", "/orgs", "listOrgs", false, (*Handler).listOrgs},
		{"GET", "/orgs/{id}", "getOrg", false, (*Handler).getOrg},
		{"PATCH", "/orgs/{id}", "updateOrg", false, (*Handler).updateOrg},
		{"DELETE", "/orgs/{id}", "deleteOrg", false, (*Handler).deleteOrg},
		{"GET", "/orgs/{id}/members", "listOrgMembers", false, (*Handler).listMembers},
		{"POST", "/orgs/{id}/members", "addOrgMember", false, (*Handler).addMember},
		{"PATCH", "/orgs/{id}/members/{user_id}", "setOrgMemberRole", false, (*Handler).setMemberRole},
		{"DELETE", "/orgs/{id}/members/{user_id}", "removeOrgMember", false, (*Handler).removeMember},
		{"GET", "/orgs/{id}/roles", "listOrgRoles", false, (*Handler).listRoles},
		{"POST", "/orgs/{id}/roles", "defineOrgRole", false, (*Handler).defineRole},
		{"DELETE", "/orgs/{id}/roles/{name}", "deleteOrgRole", false, (*Handler).deleteRole},

		{"GET", "/orgs/{id}/sso", "getOrgSSO", false, (*Handler).getOrgSSO},
		{"PUT", "/orgs/{id}/sso", "setOrgSSO", false, (*Handler).setOrgSSO},
		{"DELETE", "/orgs/{id}/sso", "detachOrgSSO", false, (*Handler).detachOrgSSO},
		{"POST", "/orgs/{id}/domains", "addOrgDomain", false, (*Handler).addOrgDomain},
		{"POST", "/orgs/{id}/domains/{domain}/verify", "verifyOrgDomain", false, (*Handler).verifyOrgDomain},
		{"DELETE", "/orgs/{id}/domains/{domain}", "removeOrgDomain", false, (*Handler).removeOrgDomain},

		{"GET", "/connectors", "listConnectors", false, (*Handler).listConnectors},
		{"POST", "/connectors", "createConnector", false, (*Handler).createConnector},
		{"GET", "/connectors/{id}", "getConnector", false, (*Handler).getConnector},
		{"DELETE", "/connectors/{id}", "deleteConnector", false, (*Handler).deleteConnector},

		{"POST", "/dcr/tokens", "createDCRToken", false, (*Handler).createDCRToken},
		{"GET", "/dcr/tokens", "listDCRTokens", false, (*Handler).listDCRTokens},
		{"DELETE", "/dcr/tokens/{id}", "revokeDCRToken", false, (*Handler).revokeDCRToken},

		{"GET", "/keys", "listKeys", false, (*Handler).listKeys},
		{"POST", "/keys/rotate", "rotateKey", false, (*Handler).rotateKey},

		{"GET", "/audit-events", "listAuditEvents", false, (*Handler).listAudit},
	}
}

// Operation is one route as data, for the drift and parity tests.
type Operation struct {
	Method, Path, ID string
	// Public: no token needed, and no CLI counterpart (the API's own
	// description).
	Public bool
}

// Operations lists every route of the API.
func Operations() []Operation {
	rs := routes()
	out := make([]Operation, len(rs))
	for i, r := range rs {
		out[i] = Operation{Method: r.Method, Path: r.Path, ID: r.Op, Public: r.Public}
	}
	return out
}

package adminapi

import (
	"net/http"

	"github.com/ostiary/ostiary/provider/accounts"
)

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
	handle handleFunc
}

// handleFunc is what a route runs once the caller is authenticated: a
// method of Handler itself, or one of a resource handler's bound by on.
type handleFunc func(h *Handler, w http.ResponseWriter, r *http.Request) error

// resource is what every resource handler (clientsAPI, usersAPI, orgsAPI,
// ssoAPI, opsAPI, passkeysAPI) holds: the admin operations and who is calling.
type resource = struct {
	svc   *Service
	actor func(*http.Request) accounts.Actor
}

// on binds a method of a resource handler to the route, building the
// handler from the Handler's dependencies.
func on[R ~resource](method func(R, http.ResponseWriter, *http.Request) error) handleFunc {
	return func(h *Handler, w http.ResponseWriter, r *http.Request) error {
		return method(R{svc: h.Service, actor: h.actor}, w, r)
	}
}

func routes() []route {
	return []route{
		{"GET", "/openapi.yaml", "getOpenAPI", true, (*Handler).openapi},

		{"POST", "/clients", "createClient", false, on(clientsAPI.createClient)},
		{"GET", "/clients", "listClients", false, on(clientsAPI.listClients)},
		{"GET", "/clients/{id}", "getClient", false, on(clientsAPI.getClient)},
		{"PATCH", "/clients/{id}", "updateClient", false, on(clientsAPI.updateClient)},
		{"DELETE", "/clients/{id}", "deleteClient", false, on(clientsAPI.deleteClient)},
		{"POST", "/clients/{id}/rotate-secret", "rotateClientSecret", false, on(clientsAPI.rotateClientSecret)},
		{"POST", "/apis", "createAPI", false, on(apisAPI.createAPI)},
		{"GET", "/apis", "listAPIs", false, on(apisAPI.listAPIs)},
		{"GET", "/apis/{id}", "getAPI", false, on(apisAPI.getAPI)},
		{"PATCH", "/apis/{id}", "updateAPI", false, on(apisAPI.updateAPI)},
		{"DELETE", "/apis/{id}", "deleteAPI", false, on(apisAPI.deleteAPI)},

		{"GET", "/users", "listUsers", false, on(usersAPI.listUsers)},
		{"GET", "/users/{id}", "getUser", false, on(usersAPI.getUser)},
		{"PATCH", "/users/{id}", "updateUser", false, on(usersAPI.updateUser)},
		{"DELETE", "/users/{id}", "deleteUser", false, on(usersAPI.deleteUser)},
		{"POST", "/users/{id}/disable", "disableUser", false, on(usersAPI.disableUser)},
		{"POST", "/users/{id}/enable", "enableUser", false, on(usersAPI.enableUser)},
		{"POST", "/users/{id}/reset-mfa", "resetUserMFA", false, on(usersAPI.resetMFA)},
		{"POST", "/users/{id}/end-sessions", "endUserSessions", false, on(usersAPI.endSessions)},
		{"GET", "/users/{id}/sessions", "listUserSessions", false, on(usersAPI.listSessions)},
		{"DELETE", "/users/{id}/sessions/{session_id}", "deleteUserSession", false, on(usersAPI.deleteSession)},
		{"GET", "/users/{id}/consents", "listUserConsents", false, on(usersAPI.listConsents)},
		{"DELETE", "/users/{id}/consents/{client_id}", "revokeUserConsent", false, on(usersAPI.revokeConsent)},
		{"GET", "/users/{id}/tokens", "listUserTokens", false, on(usersAPI.listTokens)},
		{"DELETE", "/users/{id}/tokens/{token_id}", "revokeUserToken", false, on(usersAPI.revokeToken)},
		{"GET", "/users/{id}/passkeys", "listUserPasskeys", false, on(passkeysAPI.listPasskeys)},
		{"DELETE", "/users/{id}/passkeys/{passkey_id}", "removeUserPasskey", false, on(passkeysAPI.removePasskey)},

		{"POST", "/orgs", "createOrg", false, on(orgsAPI.createOrg)},
		{"GET", "/orgs", "listOrgs", false, on(orgsAPI.listOrgs)},
		{"GET", "/orgs/{id}", "getOrg", false, on(orgsAPI.getOrg)},
		{"PATCH", "/orgs/{id}", "updateOrg", false, on(orgsAPI.updateOrg)},
		{"DELETE", "/orgs/{id}", "deleteOrg", false, on(orgsAPI.deleteOrg)},
		{"GET", "/orgs/{id}/members", "listOrgMembers", false, on(orgsAPI.listMembers)},
		{"POST", "/orgs/{id}/members", "addOrgMember", false, on(orgsAPI.addMember)},
		{"PATCH", "/orgs/{id}/members/{user_id}", "setOrgMemberRole", false, on(orgsAPI.setMemberRole)},
		{"DELETE", "/orgs/{id}/members/{user_id}", "removeOrgMember", false, on(orgsAPI.removeMember)},
		{"GET", "/orgs/{id}/roles", "listOrgRoles", false, on(orgsAPI.listRoles)},
		{"POST", "/orgs/{id}/roles", "defineOrgRole", false, on(orgsAPI.defineRole)},
		{"DELETE", "/orgs/{id}/roles/{name}", "deleteOrgRole", false, on(orgsAPI.deleteRole)},

		{"GET", "/orgs/{id}/sso", "getOrgSSO", false, on(ssoAPI.getOrgSSO)},
		{"PUT", "/orgs/{id}/sso", "setOrgSSO", false, on(ssoAPI.setOrgSSO)},
		{"DELETE", "/orgs/{id}/sso", "detachOrgSSO", false, on(ssoAPI.detachOrgSSO)},
		{"POST", "/orgs/{id}/domains", "addOrgDomain", false, on(ssoAPI.addOrgDomain)},
		{"POST", "/orgs/{id}/domains/{domain}/verify", "verifyOrgDomain", false, on(ssoAPI.verifyOrgDomain)},
		{"DELETE", "/orgs/{id}/domains/{domain}", "removeOrgDomain", false, on(ssoAPI.removeOrgDomain)},

		{"GET", "/connectors", "listConnectors", false, on(ssoAPI.listConnectors)},
		{"POST", "/connectors", "createConnector", false, on(ssoAPI.createConnector)},
		{"GET", "/connectors/{id}", "getConnector", false, on(ssoAPI.getConnector)},
		{"DELETE", "/connectors/{id}", "deleteConnector", false, on(ssoAPI.deleteConnector)},

		{"POST", "/dcr/tokens", "createDCRToken", false, on(opsAPI.createDCRToken)},
		{"GET", "/dcr/tokens", "listDCRTokens", false, on(opsAPI.listDCRTokens)},
		{"DELETE", "/dcr/tokens/{id}", "revokeDCRToken", false, on(opsAPI.revokeDCRToken)},

		{"GET", "/keys", "listKeys", false, on(opsAPI.listKeys)},
		{"POST", "/keys/rotate", "rotateKey", false, on(opsAPI.rotateKey)},

		{"GET", "/audit-events", "listAuditEvents", false, on(opsAPI.listAudit)},
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

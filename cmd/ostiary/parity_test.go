package main

import (
	"testing"

	"github.com/ostiary/ostiary/provider/adminapi"
)

// apiCommands maps every admin API operation (operationId) to the CLI
// command doing the same through adminapi.Service or the accounts rules.
var apiCommands = map[string]string{
	"createClient":       "clients create",
	"listClients":        "clients list",
	"getClient":          "clients get",
	"updateClient":       "clients update",
	"deleteClient":       "clients delete",
	"rotateClientSecret": "clients rotate-secret",
	"createAPI":          "apis create",
	"listAPIs":           "apis list",
	"getAPI":             "apis get",
	"updateAPI":          "apis update",
	"deleteAPI":          "apis delete",
	"listUsers":          "users list",
	"getUser":            "users get",
	"updateUser":         "users set-attributes",
	"deleteUser":         "users delete",
	"disableUser":        "users disable",
	"enableUser":         "users enable",
	"resetUserMFA":       "users reset-mfa",
	"endUserSessions":    "users end-sessions",
	"listUserSessions":   "sessions list",
	"deleteUserSession":  "sessions delete",
	"listUserConsents":   "consents list",
	"revokeUserConsent":  "consents revoke",
	"listUserTokens":     "tokens list",
	"revokeUserToken":    "tokens revoke",
	"listUserPasskeys":   "passkeys list",
	"removeUserPasskey":  "passkeys remove",
	"createOrg":          "orgs create",
	"listOrgs":           "orgs list",
	"getOrg":             "orgs get",
	"updateOrg":          "orgs update",
	"deleteOrg":          "orgs delete",
	"listOrgMembers":     "orgs members",
	"addOrgMember":       "orgs add-member",
	"setOrgMemberRole":   "orgs set-role",
	"removeOrgMember":    "orgs remove-member",
	"listOrgRoles":       "orgs roles",
	"defineOrgRole":      "orgs add-role",
	"deleteOrgRole":      "orgs delete-role",
	"getOrgSSO":          "orgs sso-get",
	"setOrgSSO":          "orgs sso-set",
	"detachOrgSSO":       "orgs sso-detach",
	"addOrgDomain":       "orgs domains-add",
	"verifyOrgDomain":    "orgs domains-verify",
	"removeOrgDomain":    "orgs domains-remove",
	"listConnectors":     "connectors list",
	"createConnector":    "connectors create",
	"getConnector":       "connectors get",
	"deleteConnector":    "connectors delete",
	"createDCRToken":     "dcr token create",
	"listDCRTokens":      "dcr token list",
	"revokeDCRToken":     "dcr token revoke",
	"listKeys":           "keys list",
	"rotateKey":          "keys rotate",
	"listAuditEvents":    "audit list",
}

// TestCLIParity fails when an admin API route has no CLI command, when the
// table names a command the CLI does not have, or names an operation the
// API no longer has.
func TestCLIParity(t *testing.T) {
	t.Parallel()
	have := map[string]bool{}
	for _, c := range commands() {
		have[c.name+" "+c.sub] = true
	}
	ops := map[string]bool{}
	for _, op := range adminapi.Operations() {
		if op.Public {
			continue
		}
		ops[op.ID] = true
		cmd, ok := apiCommands[op.ID]
		if !ok {
			t.Errorf("API operation %s (%s %s) has no CLI command in apiCommands", op.ID, op.Method, op.Path)
			continue
		}
		if !have[cmd] {
			t.Errorf("API operation %s: CLI command %q does not exist", op.ID, cmd)
		}
	}
	for id := range apiCommands {
		if !ops[id] {
			t.Errorf("apiCommands names %s, which the API does not have", id)
		}
	}
}

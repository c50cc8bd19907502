package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// adminAPISSO is the connector and organization single sign-on part of the
// admin API flow, as automation with an admin client_credentials token
// runs it: a run-time connector created and read back without its secret,
// attached to an organization with a claimed domain the operator vouches
// for, refused deletion while attached, then taken apart again; the CLI
// sees the same settings, and every change is in the audit log under the
// client's name.
func adminAPISSO(t *testing.T, srv *server, token, clientID string) {
	t.Helper()
	base := srv.URL
	const secret = "upstream-client-secret-do-not-echo"
	connector := map[string]any{"id": "corp", "type": "oidc", "name": "Corp SSO", "issuer": "https://idp.corp.test",
		"client_id": "ostiary-at-corp", "client_secret": secret, "scopes": []string{"openid", "email", "profile"},
		"claims": map[string]string{"groups": "roles"}}
	status, _, body := adminAPI(t, base, "POST", "/connectors", token, connector)
	if status != http.StatusCreated || strings.Contains(string(body), secret) || strings.Contains(string(body), "client_secret") {
		t.Fatalf("create connector: %d %s", status, body)
	}
	var got struct {
		ID, Type, Name, Issuer, Source string
		ClientID                       string `json:"client_id"`
		Claims                         struct{ Groups string }
	}
	status, _, body = adminAPI(t, base, "GET", "/connectors/corp", token, nil)
	if json.Unmarshal(body, &got); status != http.StatusOK || got.ID != "corp" || got.Type != "oidc" || got.Name != "Corp SSO" ||
		got.Issuer != "https://idp.corp.test" || got.ClientID != "ostiary-at-corp" || got.Source != "database" ||
		got.Claims.Groups != "roles" || strings.Contains(string(body), secret) || strings.Contains(string(body), "client_secret") {
		t.Fatalf("get connector: %d %s", status, body)
	}
	if status, _, body = adminAPI(t, base, "GET", "/connectors", token, nil); status != http.StatusOK ||
		!strings.Contains(string(body), `"id": "corp"`) || strings.Contains(string(body), secret) {
		t.Fatalf("list connectors: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "POST", "/connectors", token, connector)
	wantError(t, "create the connector twice", status, body, http.StatusConflict, "conflict")
	status, _, body = adminAPI(t, base, "POST", "/connectors", token, map[string]any{"id": "bad", "type": "oidc", "name": "No secret",
		"issuer": "https://idp.test", "client_id": "x"})
	wantError(t, "connector without a secret", status, body, http.StatusBadRequest, "invalid_request")
	status, _, body = adminAPI(t, base, "GET", "/connectors/nope", token, nil)
	wantError(t, "unknown connector", status, body, http.StatusNotFound, "not_found")
	// The CLI reads the same connector, no more secret than the API.
	var cliConn map[string]any
	srv.cli("", &cliConn, "connectors", "get", "--id", "corp")
	if cliConn["client_id"] != "ostiary-at-corp" || cliConn["source"] != "database" || cliConn["client_secret"] != nil {
		t.Fatalf("connectors get: %v", cliConn)
	}

	var org struct{ ID string }
	status, _, body = adminAPI(t, base, "POST", "/orgs", token, map[string]any{"name": "Initech"})
	if json.Unmarshal(body, &org); status != http.StatusCreated || org.ID == "" {
		t.Fatalf("create org: %d %s", status, body)
	}
	sso := "/orgs/" + org.ID + "/sso"
	status, _, body = adminAPI(t, base, "PUT", sso, token, map[string]any{"connector": "nope"})
	wantError(t, "attach an unknown connector", status, body, http.StatusBadRequest, "invalid_request")
	status, _, body = adminAPI(t, base, "PUT", sso, token, map[string]any{"connector": "corp", "default_role": "owner"})
	wantError(t, "owner as the default role", status, body, http.StatusBadRequest, "invalid_request")
	status, _, body = adminAPI(t, base, "PUT", sso, token, map[string]any{"connector": "corp", "default_role": "member",
		"forbid_password": true, "group_roles": map[string]string{"eng": "admin"}})
	if status != http.StatusOK || !strings.Contains(string(body), `"connector": "corp"`) || !strings.Contains(string(body), `"eng": "admin"`) {
		t.Fatalf("set org SSO: %d %s", status, body)
	}
	var dom struct {
		Domain, TXTName, TXTValue string
		Verified                  bool
	}
	status, _, body = adminAPI(t, base, "POST", "/orgs/"+org.ID+"/domains", token, map[string]any{"domain": "Initech.TEST"})
	if json.Unmarshal(body, &dom); status != http.StatusCreated || dom.Domain != "initech.test" || dom.Verified ||
		!strings.Contains(string(body), `"txt_name": "_ostiary-challenge.initech.test"`) ||
		!strings.Contains(string(body), `"txt_value": "ostiary-domain-verification=`) {
		t.Fatalf("add domain: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "POST", "/orgs/"+org.ID+"/domains", token, map[string]any{"domain": "initech.test"})
	wantError(t, "claim the domain twice", status, body, http.StatusConflict, "conflict")
	status, _, body = adminAPI(t, base, "POST", "/orgs/"+org.ID+"/domains/initech.test/verify", token, map[string]any{"operator": true})
	if status != http.StatusOK || !strings.Contains(string(body), `"verified": true`) {
		t.Fatalf("verify domain as operator: %d %s", status, body)
	}
	var settings struct {
		Connector *struct {
			Connector      string
			DefaultRole    string `json:"default_role"`
			ForbidPassword bool   `json:"forbid_password"`
		}
		Domains []struct {
			Domain   string
			Verified bool
		}
	}
	status, _, body = adminAPI(t, base, "GET", sso, token, nil)
	if json.Unmarshal(body, &settings); status != http.StatusOK || settings.Connector == nil || settings.Connector.Connector != "corp" ||
		settings.Connector.DefaultRole != "member" || !settings.Connector.ForbidPassword ||
		len(settings.Domains) != 1 || settings.Domains[0].Domain != "initech.test" || !settings.Domains[0].Verified {
		t.Fatalf("get org SSO: %d %s", status, body)
	}
	// The CLI shows the same settings the API wrote.
	var cliSSO map[string]any
	srv.cli("", &cliSSO, "orgs", "sso-get", "--org", org.ID)
	if c, _ := cliSSO["connector"].(map[string]any); c["connector"] != "corp" || len(cliSSO["domains"].([]any)) != 1 {
		t.Fatalf("orgs sso-get: %v", cliSSO)
	}
	status, _, body = adminAPI(t, base, "DELETE", "/connectors/corp", token, nil)
	wantError(t, "delete an attached connector", status, body, http.StatusConflict, "conflict")

	// Taken apart again: the domain, the connector's attachment, the connector.
	if status, _, body = adminAPI(t, base, "DELETE", "/orgs/"+org.ID+"/domains/initech.test", token, nil); status != http.StatusNoContent {
		t.Fatalf("remove domain: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "DELETE", "/orgs/"+org.ID+"/domains/initech.test", token, nil)
	wantError(t, "remove the domain twice", status, body, http.StatusNotFound, "not_found")
	if status, _, body = adminAPI(t, base, "DELETE", sso, token, nil); status != http.StatusNoContent {
		t.Fatalf("detach connector: %d %s", status, body)
	}
	if status, _, body = adminAPI(t, base, "GET", sso, token, nil); status != http.StatusOK || !strings.Contains(string(body), `"connector": null`) {
		t.Fatalf("org SSO after detach: %d %s", status, body)
	}
	// The CLI's commands do the same through the same service, as @system.
	srv.cli("", nil, "orgs", "sso-set", "--org", org.ID, "--connector", "corp")
	srv.cli("", nil, "orgs", "domains-add", "--org", org.ID, "--domain", "initech.test")
	srv.cli("", nil, "orgs", "domains-verify", "--org", org.ID, "--domain", "initech.test", "--operator")
	srv.cli("", &cliSSO, "orgs", "sso-get", "--org", org.ID)
	if d := cliSSO["domains"].([]any); len(d) != 1 || d[0].(map[string]any)["verified"] != true || cliSSO["connector"] == nil {
		t.Fatalf("orgs sso-get after the CLI's changes: %v", cliSSO)
	}
	srv.cli("", nil, "orgs", "domains-remove", "--org", org.ID, "--domain", "initech.test")
	srv.cli("", nil, "orgs", "sso-detach", "--org", org.ID)
	srv.cli("", &cliSSO, "orgs", "sso-get", "--org", org.ID)
	if cliSSO["connector"] != nil || len(cliSSO["domains"].([]any)) != 0 {
		t.Fatalf("orgs sso-get after domains-remove and sso-detach: %v", cliSSO)
	}
	var cliEvents []map[string]any
	srv.cli("", &cliEvents, "audit", "list", "--actor", "@system", "--type", "org.sso_detached")
	if len(cliEvents) != 1 {
		t.Fatalf("audit of the CLI's sso-detach: %v", cliEvents)
	}
	if status, _, body = adminAPI(t, base, "DELETE", "/connectors/corp", token, nil); status != http.StatusNoContent {
		t.Fatalf("delete connector: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "GET", "/connectors/corp", token, nil)
	wantError(t, "deleted connector", status, body, http.StatusNotFound, "not_found")

	// Every change is audited, named after the API client.
	for _, typ := range []string{"connector.created", "org.sso_updated", "org.domain_added", "org.domain_verified",
		"org.domain_removed", "org.sso_detached", "connector.deleted"} {
		var events struct {
			Items []struct {
				ActorID string            `json:"actor_id"`
				Details map[string]string `json:"details"`
			}
		}
		status, _, body = adminAPI(t, base, "GET", "/audit-events?type="+typ+"&actor=client:"+clientID, token, nil)
		if json.Unmarshal(body, &events); status != http.StatusOK || len(events.Items) != 1 ||
			events.Items[0].ActorID != "client:"+clientID || strings.Contains(string(body), secret) {
			t.Fatalf("audit %s: %d %s", typ, status, body)
		}
	}
}

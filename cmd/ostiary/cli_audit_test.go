package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/oauth"
)

// operator is an admin API caller whose token is taken as valid.
type operator struct{}

func (operator) AdminPrincipal(context.Context, string) (oauth.Principal, error) {
	return oauth.Principal{Subject: "root", ClientID: "console", User: true}, nil
}

// auditLine is the one JSON line of stream that records an event of typ.
func auditLine(t *testing.T, stream, typ string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, l := range strings.Split(stream, "\n") {
		var line map[string]any
		if json.Unmarshal([]byte(l), &line) != nil || line["msg"] != "audit" {
			continue
		}
		if a, _ := line["audit"].(map[string]any); a["type"] == typ {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s audit line, got %d in:\n%s", typ, len(found), stream)
	}
	return found[0]
}

// TestUsersDeleteAuditsToTheLogStreamAsTheAdminAPI: a user deleted with
// the CLI is recorded on the JSON audit stream (standard error, as serve
// writes it with log.format json) in the same line as one deleted over the
// admin API; only who and whom differ.
func TestUsersDeleteAuditsToTheLogStreamAsTheAdminAPI(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.vars = map[string]string{"OSTIARY_LOG_FORMAT": "json"}
	pw := "correct horse battery staple\n"
	ada := decode[map[string]string](t, c.ok(pw, "users", "create", "--email", "ada@example.com", "--password-stdin", "--output", "json"))["id"]
	bob := decode[map[string]string](t, c.ok(pw, "users", "create", "--email", "bob@example.com", "--password-stdin", "--output", "json"))["id"]

	code, _, stderr := c.run("", "users", "delete", "--user", ada, "--yes")
	if code != 0 {
		t.Fatalf("users delete: exit %d\n%s", code, stderr)
	}
	fromCLI := auditLine(t, stderr, "user.deleted")

	// The admin API, wired by provider.NewServices as serve wires it.
	cfg, err := loadConfig("", c.env)
	if err != nil {
		t.Fatal(err)
	}
	system, _, err := cfg.systemSecrets()
	if err != nil {
		t.Fatal(err)
	}
	var stream bytes.Buffer
	pc := providerConfig(cfg, system)
	pc.AuditLog = auditLogger(cfg, &stream)
	s, err := provider.NewServices(pc, c.store(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	api := (&adminapi.Handler{Service: s.Admin, Auth: operator{}, Issuer: cfg.Issuer}).Handle()
	req := httptest.NewRequest(http.MethodDelete, adminapi.BasePath+"/users/"+bob, nil)
	req.Header.Set("Authorization", "Bearer t")
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		t.Fatalf("DELETE user: %d %s", rec.Code, rec.Body)
	}
	fromAPI := auditLine(t, stream.String(), "user.deleted")

	if a, b := slices.Sorted(maps.Keys(fromCLI)), slices.Sorted(maps.Keys(fromAPI)); !reflect.DeepEqual(a, b) {
		t.Errorf("line fields: CLI %v, API %v", a, b)
	}
	cliEvent, apiEvent := fromCLI["audit"].(map[string]any), fromAPI["audit"].(map[string]any)
	if cliEvent["actor_id"] != cliActor.ID || cliEvent["subject_id"] != ada {
		t.Errorf("CLI event = %v, want actor %s, subject %s", cliEvent, cliActor.ID, ada)
	}
	if apiEvent["actor_id"] != "root" || apiEvent["subject_id"] != bob {
		t.Errorf("API event = %v, want actor root, subject %s", apiEvent, bob)
	}
	// The API knows the caller's address; the rest is the same event.
	for _, k := range []string{"id", "time", "actor_id", "subject_id", "ip"} {
		delete(cliEvent, k)
		delete(apiEvent, k)
	}
	if !reflect.DeepEqual(cliEvent, apiEvent) {
		t.Errorf("CLI event %v, API event %v", cliEvent, apiEvent)
	}
}

// TestAuditLinesFollowTheLogFormat: with log.format text every line on
// standard error, the audit line included, is text (no JSON inside a text
// log); with json every line, the audit line included, is a JSON object.
func TestAuditLinesFollowTheLogFormat(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			c := newCLI(t)
			// info: the command's own lines are written too, not only the audit's.
			c.vars = map[string]string{"OSTIARY_LOG_FORMAT": format, "OSTIARY_LOG_LEVEL": "debug"}
			id := decode[map[string]string](t, c.ok("correct horse battery staple\n", "users", "create",
				"--email", "ada@example.com", "--password-stdin", "--output", "json"))["id"]
			code, _, stderr := c.run("", "users", "delete", "--user", id, "--yes")
			if code != 0 {
				t.Fatalf("users delete: exit %d\n%s", code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			var audits int
			for _, l := range lines {
				var obj map[string]any
				isJSON := json.Unmarshal([]byte(l), &obj) == nil
				if isJSON != (format == "json") || strings.Contains(l, `{"`) && format == "text" {
					t.Errorf("log.format %s, line %q", format, l)
				}
				switch format {
				case "json":
					if a, _ := obj["audit"].(map[string]any); obj["msg"] == "audit" && a["type"] == "user.deleted" && a["subject_id"] == id {
						audits++
					}
				case "text":
					if strings.Contains(l, " msg=audit ") && strings.Contains(l, " audit.type=user.deleted ") &&
						strings.Contains(l, " audit.subject_id="+id) && strings.HasPrefix(l, "time=") {
						audits++
					}
				}
			}
			if audits != 1 {
				t.Errorf("log.format %s: want one user.deleted audit line, got %d in:\n%s", format, audits, stderr)
			}
		})
	}
}

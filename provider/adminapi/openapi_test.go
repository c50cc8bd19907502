package adminapi

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type openAPIDoc struct {
	Paths map[string]map[string]yaml.Node `yaml:"paths"`
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

// TestOpenAPIMatchesRoutes fails when openapi.yaml and the route table
// disagree, either way: a route without documentation, or documentation of
// a route that does not exist.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	var doc openAPIDoc
	if err := yaml.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	documented := map[string]string{} // "METHOD path" -> operationId
	for path, item := range doc.Paths {
		for method, node := range item {
			if !slices.Contains(httpMethods, method) {
				continue // path-level parameters
			}
			var op struct {
				OperationID string         `yaml:"operationId"`
				Responses   map[string]any `yaml:"responses"`
			}
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			documented[strings.ToUpper(method)+" "+path] = op.OperationID
			if op.Responses["401"] == nil && method+" "+path != "get /openapi.yaml" {
				t.Errorf("%s %s: documents no 401 response", method, path)
			}
		}
	}
	served := map[string]string{}
	for _, op := range Operations() {
		served[op.Method+" "+op.Path] = op.ID
	}
	for k, id := range served {
		doc, ok := documented[k]
		switch {
		case !ok:
			t.Errorf("route %s (%s) is not in openapi.yaml", k, id)
		case doc != id:
			t.Errorf("route %s: operationId %q in openapi.yaml, %q in the route table", k, doc, id)
		}
	}
	for k := range documented {
		if _, ok := served[k]; !ok {
			t.Errorf("openapi.yaml documents %s, which the API does not serve", k)
		}
	}
}

// TestMuxServesEveryRoute asks the real mux for every route of the table
// (path parameters filled in) without a token: each must reach the
// authentication step (401), not fall through to 404 or 405, so the table
// is what the mux really has.
func TestMuxServesEveryRoute(t *testing.T) {
	t.Parallel()
	h := (&Handler{Issuer: "http://issuer.test"}).Handle()
	param := regexp.MustCompile(`\{[^}]+\}`)
	for _, op := range Operations() {
		path := BasePath + param.ReplaceAllString(op.Path, "x")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(op.Method, path, nil))
		want := http.StatusUnauthorized
		if op.Public {
			want = http.StatusOK
		}
		if rec.Code != want {
			t.Errorf("%s %s: status %d, want %d", op.Method, path, rec.Code, want)
		}
		if !op.Public && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s %s: no Bearer challenge", op.Method, path)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("PUT", BasePath+"/clients/x", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, PATCH, DELETE" ||
		!strings.Contains(rec.Body.String(), `"code": "invalid_request"`) {
		t.Errorf("wrong method: %d Allow %q %s", rec.Code, rec.Header().Get("Allow"), rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", BasePath+"/nothing-here", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"code": "not_found"`) {
		t.Errorf("unknown route: %d %s", rec.Code, rec.Body)
	}
}

package provider

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/provider/discovery"
	"github.com/ostiary/ostiary/provider/scim"
	"github.com/ostiary/ostiary/provider/textcheck"
	"github.com/ostiary/ostiary/provider/web/page"
)

// oauthJSONPaths answer errors as RFC 6749 §5.2 JSON; the rest of /oauth2
// (authorize, its resumption, logout) is seen in a browser.
var oauthJSONPaths = []string{discovery.PathToken, discovery.PathPushedAuthorize, discovery.PathIntrospect, discovery.PathRevoke,
	discovery.PathUserinfo, discovery.PathDeviceAuthorization}

// refuseText answers a request textcheck refused with a 400 in the shape
// of the surface it was sent to: the admin API's error body, the OAuth JSON
// error (invalid_request), or an error page.
func refuseText(base string, pages *page.Site, logger *slog.Logger) textcheck.Refuse {
	return func(w http.ResponseWriter, r *http.Request, where string) {
		logger.DebugContext(r.Context(), "request refused: not text", "part", where)
		msg := "The request's " + where + " is not valid UTF-8 text or contains a NUL character."
		path := strings.TrimPrefix(r.URL.Path, base)
		switch {
		case path == adminapi.BasePath || strings.HasPrefix(path, adminapi.BasePath+"/"):
			var b adminapi.ErrorBody
			b.Error.Code, b.Error.Message = adminapi.CodeInvalidRequest, msg
			writeJSON400(w, b)
		case path == scim.BasePath || strings.HasPrefix(path, scim.BasePath+"/"):
			scim.WriteInvalid(w, msg)
		case oauthJSON(path):
			writeJSON400(w, map[string]string{"error": "invalid_request", "error_description": msg})
		default:
			page.Headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				pages.RenderError(w, r, http.StatusBadRequest, "Invalid request", msg)
			})).ServeHTTP(w, r)
		}
	}
}

func oauthJSON(path string) bool {
	for _, p := range oauthJSONPaths {
		if path == p {
			return true
		}
	}
	return path == dcr.PathRegister || strings.HasPrefix(path, dcr.PathRegister+"/")
}

func writeJSON400(w http.ResponseWriter, body any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(body)
}

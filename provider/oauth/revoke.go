package oauth

import (
	"errors"
	"net/http"

	"github.com/ory/fosite"
)

// Revoke is the revocation endpoint (RFC 7009), POST /oauth2/revoke; OPTIONS
// answers CORS preflights. Revoking a refresh token ends its whole family
// with the access tokens issued from it; revoking an access token does the
// same for its grant (RFC 7009 §2.1 allows both). Unknown tokens get 200.
func (s *Server) Revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.acceptCORSPost(w, r) {
		return
	}
	if r.PostForm.Get("token") == "" {
		s.writeJSONError(ctx, w, r, fosite.ErrInvalidRequest.WithHint("The token parameter is missing."))
		return
	}
	err := s.provider.NewRevocationRequest(ctx, r)
	switch {
	case err == nil:
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	case errors.Is(err, fosite.ErrUnauthorizedClient):
		// The token belongs to another client. fosite answers 200 here;
		// RFC 7009 §2.1 says the request is refused with the cause.
		s.writeJSONError(ctx, w, r, fosite.ErrUnauthorizedClient.WithHint("The token was not issued to this client."))
	default:
		s.writeJSONError(ctx, w, r, err)
	}
}

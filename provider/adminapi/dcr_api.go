package adminapi

import (
	"net/http"
	"time"
)

// createDCRToken takes {"expires_in": seconds} (0: never expires; absent:
// 24 hours, as the CLI's default) and answers the token, the only time it
// is shown.
func (h opsAPI) createDCRToken(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ExpiresIn *int64 `json:"expires_in"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	lifetime := 24 * time.Hour
	if body.ExpiresIn != nil {
		if *body.ExpiresIn < 0 || *body.ExpiresIn > int64((100*365*24*time.Hour)/time.Second) {
			return badRequest("expires_in must be 0 (never) or a positive number of seconds.")
		}
		lifetime = time.Duration(*body.ExpiresIn) * time.Second
	}
	tok, v, err := h.svc.NewDCRToken(r.Context(), h.actor(r), lifetime)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		Token string `json:"initial_access_token"`
		DCRTokenView
	}{tok, v})
	return nil
}

func (h opsAPI) listDCRTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.svc.ListDCRTokens(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, List[DCRTokenView]{Items: ts})
	return nil
}

func (h opsAPI) revokeDCRToken(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.svc.RevokeDCRToken(r.Context(), h.actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package adminapi

import (
	"context"
	"net/http"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
)

// A user's personal access tokens, as their account page shows them:
// an administrator lists and revokes them (a leaked token, a departing
// user) through the same pat.Service rules, which audit the revoke.

// TokenView is a personal access token; never its secret or hash.
type TokenView struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	AMR        []string   `json:"amr"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
}

// ViewToken is p for the API and CLI.
func ViewToken(p storage.PAT) TokenView {
	return TokenView{ID: p.ID, UserID: p.UserID, Name: p.Name, Scopes: nonNil(p.Scopes), AMR: nonNil(p.AMR),
		CreatedAt: p.CreatedAt.UTC(), LastUsedAt: optTime(p.LastUsedAt), ExpiresAt: optTime(p.ExpiresAt)}
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// ListTokens lists the user's personal access tokens, newest first.
func (s *Service) ListTokens(ctx context.Context, userID string) ([]storage.PAT, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return nil, err
	}
	return s.Tokens.List(ctx, userID)
}

// RevokeToken revokes one of the user's tokens and the access tokens
// exchanged for it, returning how many of those it deactivated.
func (s *Service) RevokeToken(ctx context.Context, a accounts.Actor, userID, tokenID string) (int, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return 0, err
	}
	return s.Tokens.Revoke(ctx, a, userID, tokenID)
}

func (h usersAPI) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.svc.ListTokens(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	page, err := paginate(r, ts, func(p storage.PAT) string { return timeKey(p.CreatedAt, p.ID) }, ViewToken)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h usersAPI) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.svc.RevokeToken(r.Context(), h.actor(r), r.PathValue("id"), r.PathValue("token_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

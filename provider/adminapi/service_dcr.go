package adminapi

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/storage"
)

// DCRTokenView is an initial access token as listings show it: its id (a
// prefix of its hash), never the token.
type DCRTokenView struct {
	ID        string     `json:"id"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Expired   bool       `json:"expired"`
}

func dcrTokenView(t storage.InitialAccessToken, now time.Time) DCRTokenView {
	v := DCRTokenView{ID: dcr.TokenID(t), CreatedAt: t.CreatedAt.UTC()}
	if !t.ExpiresAt.IsZero() {
		exp := t.ExpiresAt.UTC()
		v.ExpiresAt, v.Expired = &exp, exp.Before(now)
	}
	return v
}

// NewDCRToken is a new initial access token for dynamic client
// registration (lifetime 0: it never expires) and its view. The token is
// returned only here.
func (s *Service) NewDCRToken(ctx context.Context, a accounts.Actor, lifetime time.Duration) (string, DCRTokenView, error) {
	if lifetime < 0 {
		return "", DCRTokenView{}, ErrInvalid.New("The lifetime must not be negative.")
	}
	now := s.Now().UTC()
	tok, rec, err := dcr.NewInitialAccessToken(ctx, s.Store, lifetime, now)
	if err != nil {
		return "", DCRTokenView{}, err
	}
	v := dcrTokenView(rec, now)
	details := map[string]string{"token_id": v.ID}
	if v.ExpiresAt != nil {
		details["expires_at"] = v.ExpiresAt.Format(time.RFC3339)
	}
	if err := s.audit(ctx, a, storage.AuditEvent{Type: "dcr.token_created", Details: details}); err != nil {
		return "", DCRTokenView{}, err
	}
	return tok, v, nil
}

// ListDCRTokens lists every initial access token, expired ones too.
func (s *Service) ListDCRTokens(ctx context.Context) ([]DCRTokenView, error) {
	ts, err := s.Store.ListInitialAccessTokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("list initial access tokens: %w", err)
	}
	now := s.Now().UTC()
	out := make([]DCRTokenView, len(ts))
	for i, t := range ts {
		out[i] = dcrTokenView(t, now)
	}
	return out, nil
}

// RevokeDCRToken ends the one initial access token whose id starts with id
// (at least six characters). Clients it registered stay.
func (s *Service) RevokeDCRToken(ctx context.Context, a accounts.Actor, id string) (string, error) {
	t, err := dcr.RevokeInitialAccessToken(ctx, s.Store, id)
	if err != nil {
		return "", err
	}
	tid := dcr.TokenID(t)
	return tid, s.audit(ctx, a, storage.AuditEvent{Type: "dcr.token_revoked", Details: map[string]string{"token_id": tid}})
}

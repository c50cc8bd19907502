package accounts

import (
	"context"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

// SetRequireMFA turns an organization's second-factor requirement on or
// off: with it on, a member without two-step verification in their session
// is sent to set it up before signing in to the organization. Unknown org
// wraps storage.ErrNotFound.
func (s *Service) SetRequireMFA(ctx context.Context, orgID string, on bool) (storage.Organization, error) {
	var out storage.Organization
	err := s.Store.UpdateOrg(ctx, orgID, func(o storage.Organization) (storage.Organization, error) {
		if o.RequireMFA != on {
			o.RequireMFA = on
			o.UpdatedAt = s.Now().UTC()
		}
		out = o
		return o, nil
	})
	if err != nil {
		return storage.Organization{}, fmt.Errorf("organization %q: %w", orgID, err)
	}
	return out, nil
}

package userio

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// Record is one line of the Ostiary export format.
type Record struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	EmailVerified bool      `json:"email_verified"`
	Disabled      bool      `json:"disabled"`
	Admin         bool      `json:"admin"`
	CreatedAt     time.Time `json:"created_at"`
	// PasswordHash is a PHC string (argon2id or bcrypt); empty for a user
	// without a password.
	PasswordHash string             `json:"password_hash"`
	Memberships  []MembershipRecord `json:"memberships"`
	// Attributes is the user's attributes object; absent for none.
	Attributes map[string]any `json:"attributes,omitempty"`
}

// MembershipRecord is a user's role in one organization.
type MembershipRecord struct {
	OrgID   string `json:"org_id"`
	OrgName string `json:"org_name"`
	Role    string `json:"role"`
	// Attributes is the membership's attributes object; absent for none.
	Attributes map[string]any `json:"attributes,omitempty"`
}

// ExportStore is what Export reads.
type ExportStore interface {
	ListUsers(ctx context.Context) ([]storage.User, error)
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
}

// Export writes every user as one JSON line, oldest first, and returns
// how many it wrote. The output holds password hashes: treat it as a secret.
func Export(ctx context.Context, st ExportStore, w io.Writer) (int, error) {
	users, err := st.ListUsers(ctx)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	enc := json.NewEncoder(w)
	for i, u := range users {
		ms, err := st.ListMembershipsByUser(ctx, u.ID)
		if err != nil {
			return i, fmt.Errorf("export %s: memberships: %w", u.ID, err)
		}
		rec := Record{ID: u.ID, Email: u.Email, Name: u.Name, EmailVerified: u.EmailVerified, Disabled: u.Disabled,
			Admin: u.Admin, CreatedAt: u.CreatedAt.UTC(), PasswordHash: u.PasswordHash, Memberships: []MembershipRecord{},
			Attributes: u.Attributes}
		for _, m := range ms {
			rec.Memberships = append(rec.Memberships, MembershipRecord{OrgID: m.OrgID, OrgName: m.OrgName, Role: m.Role,
				Attributes: m.Attributes})
		}
		if err := enc.Encode(rec); err != nil {
			return i, fmt.Errorf("export %s: %w", u.ID, err)
		}
	}
	return len(users), nil
}

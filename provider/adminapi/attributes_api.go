package adminapi

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/storage"
)

// AttributesPatch is the attributes part of a PATCH body: attributes is an
// RFC 7396 merge patch of the stored object (a null member removes that
// key, null for the whole removes them all), or, with replace_attributes,
// the whole new object.
type AttributesPatch struct {
	Attributes        json.RawMessage `json:"attributes,omitempty"`
	ReplaceAttributes bool            `json:"replace_attributes,omitempty"`
}

// change is the patch as an accounts.AttributeChange; ok is false when the
// body has no attributes.
func (p AttributesPatch) change() (accounts.AttributeChange, bool, error) {
	raw := bytes.TrimSpace(p.Attributes)
	if len(raw) == 0 {
		if p.ReplaceAttributes {
			return accounts.AttributeChange{}, false, ErrInvalid.New("replace_attributes needs attributes.")
		}
		return accounts.AttributeChange{}, false, nil
	}
	if string(raw) == "null" {
		return accounts.AttributeChange{Replace: true}, true, nil
	}
	m, err := attributes.Parse(raw)
	if err != nil {
		return accounts.AttributeChange{}, false, err
	}
	return accounts.AttributeChange{Value: m, Replace: p.ReplaceAttributes}, true, nil
}

// UserPatch changes a user; today only the attributes.
type UserPatch struct {
	AttributesPatch
}

// UpdateUser applies the patch to the user's attributes (accounts.Users
// rules: bounds, the instance schema, audited keys).
func (s *Service) UpdateUser(ctx context.Context, a accounts.Actor, id string, p UserPatch) (storage.User, error) {
	c, ok, err := p.change()
	if err != nil {
		return storage.User{}, err
	}
	if !ok {
		return storage.User{}, ErrInvalid.New("Nothing to change (attributes).")
	}
	return s.Users.SetAttributes(ctx, a, id, c)
}

// MemberPatch changes a membership: its role, its attributes, or both.
type MemberPatch struct {
	Role string `json:"role,omitempty"`
	AttributesPatch
}

// UpdateMember sets the role (the organization rules) and then the
// attributes (instance administrators only) of userID's membership.
func (s *Service) UpdateMember(ctx context.Context, a accounts.Actor, orgID, userID string, p MemberPatch) error {
	c, ok, err := p.change()
	if err != nil {
		return err
	}
	if p.Role == "" && !ok {
		return ErrInvalid.New("Nothing to change (role or attributes).")
	}
	if p.Role != "" {
		if err := s.Orgs.SetRole(ctx, a, orgID, userID, p.Role); err != nil {
			return err
		}
	}
	if ok {
		if _, err := s.Orgs.SetMemberAttributes(ctx, a, orgID, userID, c); err != nil {
			return err
		}
	}
	return nil
}

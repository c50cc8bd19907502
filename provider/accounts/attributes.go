package accounts

import (
	"context"
	"fmt"
	"strings"

	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/storage"
)

// AttributeChange is how an administrator changes an attributes object:
// an RFC 7396 merge patch (null removes a key, objects merge), or, with
// Replace, the whole new object.
type AttributeChange struct {
	Value   map[string]any
	Replace bool
}

func (c AttributeChange) apply(old map[string]any) map[string]any {
	if c.Replace {
		return attributes.Normalize(c.Value)
	}
	return attributes.Normalize(attributes.MergePatch(old, c.Value))
}

// attributeDetails is what an audit record says of a change: the keys,
// never the values.
func attributeDetails(keys []string) map[string]string {
	return map[string]string{"keys": strings.Join(keys, ",")}
}

// SetAttributes changes the user's attributes as an administrator: the
// bounds and the instance's user schema apply to the result, and a refusal
// changes nothing. Audited as user.attributes_changed (the keys changed);
// a change that changes nothing writes nothing.
func (p *Users) SetAttributes(ctx context.Context, actor Actor, userID string, c AttributeChange) (storage.User, error) {
	return p.setAttributes(ctx, actor, userID, func(old map[string]any) (map[string]any, error) { return c.apply(old), nil })
}

// EditableAttributes are the top-level keys a person may change in their
// own attributes (the instance setting attributes.editable).
func (p *Users) EditableAttributes() []string {
	if p.Attributes == nil {
		return nil
	}
	return p.Attributes.Editable
}

// SetOwnAttributes is the person's own change on the account page: values
// holds the editable keys (Policy.Editable) the person wants set; an
// editable key missing from values is removed; a key that is not editable
// is refused; the other attributes stay as the administrator set them.
func (p *Users) SetOwnAttributes(ctx context.Context, actor Actor, userID string, values map[string]any) (storage.User, error) {
	for k := range values {
		if !p.Attributes.IsEditable(k) {
			return storage.User{}, ErrInvalid.Newf("The attribute %q is not one you may change.", k)
		}
	}
	return p.setAttributes(ctx, actor, userID, func(old map[string]any) (map[string]any, error) {
		out := map[string]any{}
		for k, v := range old {
			if !p.Attributes.IsEditable(k) {
				out[k] = v
			}
		}
		for k, v := range values {
			if v != nil {
				out[k] = v
			}
		}
		return attributes.Normalize(out), nil
	})
}

func (p *Users) setAttributes(ctx context.Context, actor Actor, userID string, change func(map[string]any) (map[string]any, error)) (storage.User, error) {
	var out storage.User
	err := p.Store.InTx(ctx, func(ctx context.Context) error {
		var keys []string
		err := p.Store.UpdateUser(ctx, userID, func(u storage.User) (storage.User, error) {
			next, err := change(u.Attributes)
			if err != nil {
				return u, err
			}
			if err := p.Attributes.Check(attributes.User, next); err != nil {
				return u, err
			}
			keys = attributes.ChangedKeys(u.Attributes, next)
			if len(keys) > 0 {
				u.Attributes, u.UpdatedAt = next, p.Now().UTC()
			}
			out = u
			return u, nil
		})
		if err != nil {
			return fmt.Errorf("set attributes of %q: %w", userID, err)
		}
		if len(keys) == 0 {
			return nil
		}
		return p.audit(ctx, storage.AuditEvent{Type: "user.attributes_changed", ActorID: actor.ID, SubjectID: userID, IP: actor.IP,
			Details: attributeDetails(keys)})
	})
	if err != nil {
		return storage.User{}, err
	}
	return out, nil
}

// instanceAdmin refuses anyone but the operator and instance
// administrators: organization and membership attributes feed tokens, so
// an organization's own owners do not set them.
func (o *Organizations) instanceAdmin(ctx context.Context, actor Actor) error {
	if isOperator(actor.ID) {
		return nil
	}
	u, err := o.Store.GetUser(ctx, actor.ID)
	if err == nil && u.Admin && !u.Disabled {
		return nil
	}
	return ErrForbidden.New("Only instance administrators change attributes.")
}

// SetAttributes changes the organization's attributes (instance
// administrators only), checked against the bounds and the organization
// schema; audited as org.attributes_changed with the keys.
func (o *Organizations) SetAttributes(ctx context.Context, actor Actor, orgID string, c AttributeChange) (storage.Organization, error) {
	if err := o.instanceAdmin(ctx, actor); err != nil {
		return storage.Organization{}, err
	}
	var out storage.Organization
	err := o.Store.InTx(ctx, func(ctx context.Context) error {
		var keys []string
		err := o.Store.UpdateOrg(ctx, orgID, func(org storage.Organization) (storage.Organization, error) {
			next := c.apply(org.Attributes)
			if err := o.Attributes.Check(attributes.Org, next); err != nil {
				return org, err
			}
			keys = attributes.ChangedKeys(org.Attributes, next)
			if len(keys) > 0 {
				org.Attributes, org.UpdatedAt = next, o.Now().UTC()
			}
			out = org
			return org, nil
		})
		if err != nil {
			return fmt.Errorf("organization %q: %w", orgID, err)
		}
		if len(keys) == 0 {
			return nil
		}
		return o.audit(ctx, actor, "org.attributes_changed", orgID, "", attributeDetails(keys))
	})
	if err != nil {
		return storage.Organization{}, err
	}
	return out, nil
}

// SetMemberAttributes changes the attributes of userID's membership in
// orgID (instance administrators only), checked against the bounds and the
// membership schema; audited as membership.attributes_changed with the
// keys, the member as subject.
func (o *Organizations) SetMemberAttributes(ctx context.Context, actor Actor, orgID, userID string, c AttributeChange) (storage.Membership, error) {
	if err := o.instanceAdmin(ctx, actor); err != nil {
		return storage.Membership{}, err
	}
	var out storage.Membership
	err := o.Store.InTx(ctx, func(ctx context.Context) error {
		var keys []string
		err := o.Store.UpdateMembership(ctx, orgID, userID, func(m storage.Membership) (storage.Membership, error) {
			next := c.apply(m.Attributes)
			if err := o.Attributes.Check(attributes.Membership, next); err != nil {
				return m, err
			}
			keys = attributes.ChangedKeys(m.Attributes, next)
			m.Attributes = next
			out = m
			return m, nil
		})
		if err != nil {
			return fmt.Errorf("membership of %q in %q: %w", userID, orgID, err)
		}
		if len(keys) == 0 {
			return nil
		}
		return o.audit(ctx, actor, "membership.attributes_changed", orgID, userID, attributeDetails(keys))
	})
	if err != nil {
		return storage.Membership{}, err
	}
	return out, nil
}

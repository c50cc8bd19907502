package accounts

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/storage"
)

func attrPolicy(t *testing.T) *attributes.Policy {
	t.Helper()
	p, err := attributes.NewPolicy([]string{"nickname"}, map[attributes.Kind][]byte{
		attributes.User: []byte(`{"type":"object","properties":{"level":{"type":"integer"},"nickname":{"type":"string","maxLength":10}}}`),
		attributes.Org:  []byte(`{"type":"object","properties":{"plan":{"enum":["free","pro"]}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// keysAudit is the typ event whose details list exactly keys.
func (f *orgFixture) keysAudit(typ, keys string) storage.AuditEvent {
	f.t.Helper()
	evs, err := f.store.ListAudit(f.t.Context(), storage.AuditFilter{Type: typ})
	mustDo(f.t, "ListAudit", err)
	for _, e := range evs {
		if e.Details["keys"] == keys {
			return e
		}
	}
	f.t.Fatalf("no %s audit event with keys %q in %+v", typ, keys, evs)
	return storage.AuditEvent{}
}

func TestUserAttributesMergeReplaceAndAudit(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada := f.user("ada@example.com")
	p := f.people(nil)
	p.Attributes = attrPolicy(t)
	admin := Actor{ID: SystemActor}

	u, err := p.SetAttributes(ctx, admin, ada, AttributeChange{Value: map[string]any{"department": "Eng", "level": float64(2)}})
	mustDo(t, "SetAttributes", err)
	if u.Attributes["department"] != "Eng" {
		t.Fatalf("returned attributes = %v", u.Attributes)
	}
	// RFC 7396: null removes, others merge.
	_, err = p.SetAttributes(ctx, admin, ada, AttributeChange{Value: map[string]any{"level": nil, "site": "Paris"}})
	mustDo(t, "SetAttributes(patch)", err)
	got, _ := f.store.GetUser(ctx, ada)
	if want := map[string]any{"department": "Eng", "site": "Paris"}; !reflect.DeepEqual(got.Attributes, want) {
		t.Errorf("after merge patch = %v, want %v", got.Attributes, want)
	}
	e := f.keysAudit("user.attributes_changed", "level,site")
	if e.SubjectID != ada || strings.Contains(e.Details["keys"], "Paris") {
		t.Errorf("audit = %+v, want the keys level,site and no values", e)
	}
	_, err = p.SetAttributes(ctx, admin, ada, AttributeChange{Value: map[string]any{"x": "y"}, Replace: true})
	mustDo(t, "SetAttributes(replace)", err)
	got, _ = f.store.GetUser(ctx, ada)
	if !reflect.DeepEqual(got.Attributes, map[string]any{"x": "y"}) {
		t.Errorf("after replace = %v", got.Attributes)
	}
	// No change: no audit.
	n := f.auditCount("user.attributes_changed")
	_, err = p.SetAttributes(ctx, admin, ada, AttributeChange{Value: map[string]any{"x": "y"}})
	mustDo(t, "SetAttributes(same)", err)
	if f.auditCount("user.attributes_changed") != n {
		t.Error("an unchanged write was audited")
	}
}

func TestUserAttributesRefusalsChangeNothing(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada := f.user("ada@example.com")
	p := f.people(nil)
	p.Attributes = attrPolicy(t)
	admin := Actor{ID: SystemActor}
	_, err := p.SetAttributes(ctx, admin, ada, AttributeChange{Value: map[string]any{"level": float64(1)}})
	mustDo(t, "SetAttributes", err)
	before, _ := f.store.GetUser(ctx, ada)
	audits := f.auditCount("user.attributes_changed")

	var deep any = "x"
	for range attributes.MaxDepth + 1 {
		deep = map[string]any{"d": deep}
	}
	for name, v := range map[string]map[string]any{
		"schema": {"level": "high"},
		"size":   {"blob": strings.Repeat("x", attributes.MaxBytes)},
		"depth":  deep.(map[string]any),
	} {
		_, err := p.SetAttributes(ctx, admin, ada, AttributeChange{Value: v})
		if fault.KindOf(err) != fault.Invalid {
			t.Errorf("%s: SetAttributes = %v, want fault.Invalid", name, err)
		}
	}
	_, err = p.SetAttributes(ctx, admin, ada, AttributeChange{Value: map[string]any{"level": "high"}})
	if msg := fault.Message(err, ""); !strings.Contains(msg, "/level") {
		t.Errorf("schema refusal says %q, want the validator's message about /level", msg)
	}
	after, _ := f.store.GetUser(ctx, ada)
	if !reflect.DeepEqual(after, before) || f.auditCount("user.attributes_changed") != audits {
		t.Errorf("a refused write changed the user or the audit: %+v", after)
	}
}

func TestSetOwnAttributesOnlyEditableKeys(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada := f.user("ada@example.com")
	p := f.people(nil)
	p.Attributes = attrPolicy(t)
	_, err := p.SetAttributes(ctx, Actor{ID: SystemActor}, ada, AttributeChange{Value: map[string]any{"level": float64(3)}})
	mustDo(t, "SetAttributes", err)
	me := Actor{ID: ada}
	if _, err := p.SetOwnAttributes(ctx, me, ada, map[string]any{"level": float64(9)}); fault.KindOf(err) != fault.Invalid {
		t.Errorf("SetOwnAttributes(not editable) = %v, want refused", err)
	}
	if _, err := p.SetOwnAttributes(ctx, me, ada, map[string]any{"nickname": "far too long a nickname"}); fault.KindOf(err) != fault.Invalid {
		t.Errorf("SetOwnAttributes(schema) = %v, want refused", err)
	}
	_, err = p.SetOwnAttributes(ctx, me, ada, map[string]any{"nickname": "Ada"})
	mustDo(t, "SetOwnAttributes", err)
	got, _ := f.store.GetUser(ctx, ada)
	if want := map[string]any{"level": float64(3), "nickname": "Ada"}; !reflect.DeepEqual(got.Attributes, want) {
		t.Errorf("attributes = %v, want %v", got.Attributes, want)
	}
	if e := f.keysAudit("user.attributes_changed", "nickname"); e.ActorID != ada {
		t.Errorf("audit = %+v", e)
	}
	// Leaving the key out removes it; the administrator's keys stay.
	_, err = p.SetOwnAttributes(ctx, me, ada, nil)
	mustDo(t, "SetOwnAttributes(clear)", err)
	got, _ = f.store.GetUser(ctx, ada)
	if want := map[string]any{"level": float64(3)}; !reflect.DeepEqual(got.Attributes, want) {
		t.Errorf("attributes = %v, want %v", got.Attributes, want)
	}
}

func TestOrgAndMembershipAttributes(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	f.orgs.Attributes = attrPolicy(t)
	owner := f.user("owner@example.com")
	org, err := f.orgs.Create(ctx, Actor{ID: owner}, "Acme")
	mustDo(t, "Create", err)
	// The organization's own owner is not an instance administrator.
	if _, err := f.orgs.SetAttributes(ctx, Actor{ID: owner}, org.ID, AttributeChange{Value: map[string]any{"plan": "pro"}}); fault.KindOf(err) != fault.Forbidden {
		t.Errorf("SetAttributes by the owner = %v, want forbidden", err)
	}
	admin := Actor{ID: SystemActor}
	if _, err := f.orgs.SetAttributes(ctx, admin, org.ID, AttributeChange{Value: map[string]any{"plan": "gold"}}); fault.KindOf(err) != fault.Invalid {
		t.Errorf("SetAttributes(schema) = %v, want invalid", err)
	}
	o, err := f.orgs.SetAttributes(ctx, admin, org.ID, AttributeChange{Value: map[string]any{"plan": "pro"}})
	mustDo(t, "SetAttributes", err)
	if o.Attributes["plan"] != "pro" || f.keysAudit("org.attributes_changed", "plan").OrgID != org.ID {
		t.Errorf("org = %+v", o)
	}
	m, err := f.orgs.SetMemberAttributes(ctx, admin, org.ID, owner, AttributeChange{Value: map[string]any{"cost_center": "42"}})
	mustDo(t, "SetMemberAttributes", err)
	stored, _ := f.store.GetMembership(ctx, org.ID, owner)
	if m.Attributes["cost_center"] != "42" || stored.Attributes["cost_center"] != "42" || stored.Role != RoleOwner {
		t.Errorf("membership = %+v", stored)
	}
	e := f.keysAudit("membership.attributes_changed", "cost_center")
	if e.SubjectID != owner || e.OrgID != org.ID {
		t.Errorf("audit = %+v", e)
	}
	if _, err := f.orgs.SetMemberAttributes(ctx, admin, org.ID, "nobody", AttributeChange{Value: map[string]any{"a": "b"}}); err == nil {
		t.Error("SetMemberAttributes of a non-member succeeded")
	}
}

package userio

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// Export writes user and membership attributes; importing the export into
// an empty instance brings them back; attributes the instance schema
// refuses fail that row only.
func TestAttributesRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src := sqlitetest.Open(t)
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	userAttrs := map[string]any{"department": "Eng", "level": float64(3), "manager": map[string]any{"id": "u9"}}
	memberAttrs := map[string]any{"cost_center": "42"}
	if err := src.CreateUser(ctx, storage.User{ID: "ada", Email: "ada@example.com", Attributes: userAttrs, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := src.CreateOrg(ctx, storage.Organization{ID: "acme", Name: "Acme", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := src.AddMembership(ctx, storage.Membership{OrgID: "acme", UserID: "ada", Role: "member", Attributes: memberAttrs, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Export(ctx, src, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"attributes":{"department":"Eng"`) || !strings.Contains(buf.String(), `"cost_center":"42"`) {
		t.Fatalf("export lacks the attributes: %s", buf.String())
	}

	im, dst := newImporter(t)
	policy, err := attributes.NewPolicy(nil, map[attributes.Kind][]byte{
		attributes.User: []byte(`{"type":"object","properties":{"level":{"type":"integer"}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	im.Attributes = policy
	rows, err := Parse(FormatOstiary, strings.NewReader(buf.String()+
		`{"email":"bad@example.com","attributes":{"level":"high"}}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := im.Import(ctx, rows)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 1 || rep.Failed != 1 || !strings.Contains(rep.Errors[0].Err, "/level") {
		t.Fatalf("report = %+v", rep)
	}
	u, err := dst.GetUser(ctx, "ada")
	if err != nil || !reflect.DeepEqual(u.Attributes, userAttrs) {
		t.Fatalf("imported user attributes = %v, %v", u.Attributes, err)
	}
	ms, err := dst.ListMembershipsByUser(ctx, "ada")
	if err != nil || len(ms) != 1 || !reflect.DeepEqual(ms[0].Attributes, memberAttrs) {
		t.Fatalf("imported memberships = %+v, %v", ms, err)
	}
	if _, err := dst.GetUserByEmail(ctx, "bad@example.com"); err == nil {
		t.Error("the row the schema refused was imported")
	}
}

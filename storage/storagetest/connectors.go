package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var connectorTests = []subTest{
	{"Connectors/RoundTrip", testConnectorRoundTrip},
}

func testConnectorRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	b := storage.ConnectorRecord{ID: "b", Config: []byte(`{"id":"b","type":"github"}`), SealedSecret: []byte{1, 2, 3, 0, 255},
		CreatedAt: base.Truncate(time.Microsecond), UpdatedAt: at(time.Minute).Truncate(time.Microsecond)}
	a := storage.ConnectorRecord{ID: "a", Config: []byte(`{"id":"a","type":"oidc"}`), SealedSecret: []byte{9}}
	must(t, "CreateConnector(b)", s.CreateConnector(ctx, b))
	must(t, "CreateConnector(a)", s.CreateConnector(ctx, a))
	wantErr(t, "CreateConnector(taken id)", s.CreateConnector(ctx, storage.ConnectorRecord{ID: "a", Config: []byte("{}"), SealedSecret: []byte{1}}), storage.ErrAlreadyExists)
	list, err := s.ListConnectors(ctx)
	must(t, "ListConnectors", err)
	if len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" {
		t.Fatalf("ListConnectors = %+v", list)
	}
	if string(list[1].Config) != string(b.Config) || string(list[1].SealedSecret) != string(b.SealedSecret) ||
		!list[1].CreatedAt.Equal(b.CreatedAt) || !list[1].UpdatedAt.Equal(b.UpdatedAt) {
		t.Errorf("ListConnectors[1] = %+v, want %+v", list[1], b)
	}
	must(t, "DeleteConnector", s.DeleteConnector(ctx, "a"))
	wantErr(t, "DeleteConnector(again)", s.DeleteConnector(ctx, "a"), storage.ErrNotFound)
	list, err = s.ListConnectors(ctx)
	must(t, "ListConnectors after delete", err)
	if len(list) != 1 {
		t.Fatalf("after delete: %+v", list)
	}
}

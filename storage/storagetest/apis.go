package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var apiTests = []subTest{
	{"APIs/CRUD", testAPIs},
}

func testAPIs(t *testing.T, s storage.Store) {
	ctx := t.Context()
	_, err := s.GetAPI(ctx, "https://api.example/orders")
	wantErr(t, "GetAPI(none)", err, storage.ErrNotFound)
	orders := storage.API{
		Identifier: "https://api.example/orders",
		Name:       "Orders",
		Scopes: []storage.APIScope{
			{Name: "orders:read", Description: "See your orders"},
			{Name: "orders:write", Description: "Place and cancel orders"},
		},
		AccessTokenLifespan: 10 * time.Minute,
		CreatedAt:           base,
		UpdatedAt:           base,
	}
	billing := storage.API{Identifier: "urn:example:billing", Name: "Billing", Scopes: []storage.APIScope{}, CreatedAt: at(time.Second), UpdatedAt: at(time.Second)}
	must(t, "CreateAPI", s.CreateAPI(ctx, orders))
	must(t, "CreateAPI(billing)", s.CreateAPI(ctx, billing))
	wantErr(t, "CreateAPI(taken)", s.CreateAPI(ctx, orders), storage.ErrAlreadyExists)
	got, err := s.GetAPI(ctx, orders.Identifier)
	must(t, "GetAPI", err)
	equal(t, "GetAPI", got, orders)
	all, err := s.ListAPIs(ctx)
	must(t, "ListAPIs", err)
	equal(t, "ListAPIs", all, []storage.API{orders, billing})

	orders.Name = "Orders v2"
	orders.Scopes = orders.Scopes[:1]
	orders.AccessTokenLifespan = 0
	orders.UpdatedAt = at(time.Hour)
	must(t, "UpdateAPI", s.UpdateAPI(ctx, orders))
	got, err = s.GetAPI(ctx, orders.Identifier)
	must(t, "GetAPI(updated)", err)
	equal(t, "GetAPI(updated)", got, orders)
	wantErr(t, "UpdateAPI(unknown)", s.UpdateAPI(ctx, storage.API{Identifier: "urn:nope"}), storage.ErrNotFound)

	must(t, "DeleteAPI", s.DeleteAPI(ctx, orders.Identifier))
	wantErr(t, "DeleteAPI(again)", s.DeleteAPI(ctx, orders.Identifier), storage.ErrNotFound)
	_, err = s.GetAPI(ctx, orders.Identifier)
	wantErr(t, "GetAPI(deleted)", err, storage.ErrNotFound)
}

package keys_test

import (
	"context"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// BenchmarkSigning is the token hot path's key lookup with a warm cache.
func BenchmarkSigning(b *testing.B) {
	store, c := &memStore{}, newClock()
	m := newManager(b, store, c)
	ctx := context.Background()
	if err := m.Ensure(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.Signing(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignRS256 is one RS256 JWS with go-jose v4 on the managed key:
// the cost that dominates issuing a token.
func BenchmarkSignRS256(b *testing.B) {
	store, c := &memStore{}, newClock()
	m := newManager(b, store, c)
	ctx := context.Background()
	if err := m.Ensure(ctx); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"iss":"https://id.example.com","sub":"u1","aud":"c1","exp":1900000000,"iat":1899999000,"jti":"abc"}`)
	b.ReportAllocs()
	for b.Loop() {
		kid, key, err := m.Signing(ctx)
		if err != nil {
			b.Fatal(err)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		jws, err := signer.Sign(payload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.CompactSerialize(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJWKS is serving the key set document with a warm cache.
func BenchmarkJWKS(b *testing.B) {
	store, c := &memStore{}, newClock()
	m := newManager(b, store, c)
	ctx := context.Background()
	if err := m.Ensure(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.JWKS(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

package dpop_test

import (
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/provider/dpop"
	"github.com/ostiary/ostiary/provider/dpop/dpoptest"
)

// FuzzParse holds RFC 9449 §4.3's rules against any header value: Parse
// never panics, and a proof it accepts is a dpop+jwt compact JWS with an
// allowed algorithm, a public key and a thumbprint, and every required
// claim.
func FuzzParse(f *testing.F) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA} {
		k := dpoptest.NewKey(f, alg)
		f.Add(k.Proof(f, "POST", endpoint, dpoptest.Options{IssuedAt: time.Unix(1700000000, 0), AccessToken: "at", Nonce: "n"}))
	}
	for _, s := range []string{"", "a.b.c", "..", "eyJhbGciOiJub25lIn0.e30.", strings.Repeat(".", 3)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := dpop.Parse(raw)
		if err != nil {
			return
		}
		if strings.Count(raw, ".") != 2 || len(raw) > dpop.MaxSize {
			t.Fatalf("accepted %q, not a compact JWS within the size", raw)
		}
		switch p.Alg {
		case "ES256", "RS256", "EdDSA":
		default:
			t.Fatalf("accepted alg %q", p.Alg)
		}
		if !p.Key.IsPublic() || p.JKT == "" || p.JTI == "" || p.HTM == "" || p.HTU == "" {
			t.Fatalf("accepted an incomplete proof: %+v", p)
		}
	})
}

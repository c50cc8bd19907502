package pat

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/randtoken"
)

func TestNewHasPrefixAndHashes(t *testing.T) {
	t.Parallel()
	a, ha := New()
	b, _ := New()
	if a == b || !strings.HasPrefix(a, Prefix) || len(a) != len(Prefix)+43 {
		t.Fatalf("New() = %q, %q", a, b)
	}
	if !randtoken.Equal(ha, a) || !slices.Equal(Hash(a), ha) {
		t.Fatal("hash does not match the token")
	}
	if !Looks(a) {
		t.Fatalf("Looks(%q) = false", a)
	}
	for _, s := range []string{"", Prefix, a[:len(a)-1], a + "x", "ost_xyz_" + a[len(Prefix):], Prefix + strings.Repeat("!", 43)} {
		if Looks(s) {
			t.Errorf("Looks(%q) = true", s)
		}
	}
}

func TestCheckScopes(t *testing.T) {
	t.Parallel()
	offered := OfferedScopes([]string{"api:write", "offline_access", "email"}, []string{"api:read"})
	if want := []string{"openid", "profile", "email", "api:read", "api:write"}; !slices.Equal(offered, want) {
		t.Fatalf("OfferedScopes = %v, want %v", offered, want)
	}
	got, err := CheckScopes([]string{"api:read", "openid", "openid"}, offered)
	if err != nil || !slices.Equal(got, []string{"openid", "api:read"}) {
		t.Fatalf("CheckScopes = %v, %v", got, err)
	}
	for _, asked := range [][]string{nil, {"offline_access"}, {"openid", "admin"}} {
		if _, err := CheckScopes(asked, offered); !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckScopes(%v) = %v, want ErrInvalid", asked, err)
		}
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	if n, err := CheckName("  deploy script "); err != nil || n != "deploy script" {
		t.Fatalf("CheckName = %q, %v", n, err)
	}
	for _, n := range []string{"", "   ", strings.Repeat("x", MaxNameLen+1), "a\nb"} {
		if _, err := CheckName(n); !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckName(%q) = %v", n, err)
		}
	}
}

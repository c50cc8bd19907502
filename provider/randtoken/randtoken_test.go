package randtoken

import "testing"

func TestNewIsUniqueAndHashes(t *testing.T) {
	t.Parallel()
	a, b := New(), New()
	if a == b || len(a) != 43 {
		t.Fatalf("New() = %q, %q", a, b)
	}
	if !Equal(Hash(a), a) || Equal(Hash(a), b) || Equal(nil, a) {
		t.Fatal("Equal disagrees with Hash")
	}
	if id := ID(); len(id) != 26 || id == ID() {
		t.Fatalf("ID() = %q", id)
	}
}

package fault_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ostiary/ostiary/provider/fault"
)

var (
	errA = fault.Sentinel(fault.Invalid, "a: invalid")
	errB = fault.Sentinel(fault.Invalid, "b: invalid")
)

// A failure made from a sentinel is that sentinel's and no other's, keeps
// its kind and message through wrapping, and shows no cause.
func TestSentinelFailures(t *testing.T) {
	cause := errors.New("disk on fire")
	err := fmt.Errorf("context: %w", errA.Wrap(cause, "Give the thing a name."))
	if !errors.Is(err, errA) || errors.Is(err, errB) || !errors.Is(err, cause) {
		t.Fatalf("errors.Is: A %v, B %v, cause %v", errors.Is(err, errA), errors.Is(err, errB), errors.Is(err, cause))
	}
	if fault.KindOf(err) != fault.Invalid || fault.Message(err, "x") != "Give the thing a name." {
		t.Fatalf("kind %v message %q", fault.KindOf(err), fault.Message(err, "x"))
	}
	if got := err.Error(); got != "context: Give the thing a name. (disk on fire)" {
		t.Fatalf("Error() = %q", got)
	}
	if errA.Error() != "a: invalid" || !errors.Is(errA.New("x").New("y"), errA) {
		t.Fatal("a sentinel's own text or lineage changed")
	}
}

func TestKindlessAndLists(t *testing.T) {
	plain := errors.New("boom")
	if fault.KindOf(plain) != 0 || fault.Message(plain, "fallback") != "fallback" || fault.Details(plain) != nil {
		t.Fatal("a plain error counted as a failure")
	}
	if errA.NewList(nil) != nil {
		t.Fatal("no problems is a failure")
	}
	list := errA.NewList([]string{"name: required", "scope: bad"})
	if fault.Message(list, "") != "name: required; scope: bad" || !slices.Equal(fault.Details(list), []string{"name: required", "scope: bad"}) {
		t.Fatalf("list: %q %q", fault.Message(list, ""), fault.Details(list))
	}
	if d := fault.Details(fault.NotFoundf("No %s.", "thing")); !slices.Equal(d, []string{"No thing."}) || fault.KindOf(fault.Conflictf("x")) != fault.Conflict {
		t.Fatalf("details of one: %q", d)
	}
	for k, want := range map[fault.Kind]string{fault.Invalid: "invalid", fault.Forbidden: "forbidden", fault.NotFound: "not found", fault.Conflict: "conflict", 9: "fault.Kind(9)"} {
		if k.String() != want {
			t.Errorf("Kind(%d) = %q, want %q", k, k, want)
		}
	}
}

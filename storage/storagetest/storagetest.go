package storagetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

type subTest struct {
	name string
	run  func(t *testing.T, s storage.Store)
}

// Run runs the functional conformance suite: every method of every interface
// in storage.Store, its documented errors, expiry, cascades and transactions.
// Each subtest gets its own store from newStore, which must return a fresh,
// migrated, empty store; the subtests run in parallel, so newStore is called
// concurrently.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	groups := [][]subTest{
		clientTests,
		userTests,
		orgTests,
		attributeTests,
		sessionTests,
		authRequestTests,
		deviceGrantTests,
		dpopProofTests,
		samlAssertionTests,
		consentTests,
		tokenTests,
		keyTests,
		patTests,
		oneTimeTokenTests,
		pushedRequestTests,
		mailTests,
		auditTests,
		auditForwardTests,
		throttleTests,
		mfaTests,
		passkeyTests,
		registrationTests,
		identityTests,
		orgSSOTests,
		scimTests,
		apiTests,
		connectorTests,
		cleanupTests,
		leaseTests,
		txTests,
		storeTests,
	}
	for _, g := range groups {
		for _, st := range g {
			t.Run(st.name, func(t *testing.T) {
				t.Parallel()
				st.run(t, newStore(t))
			})
		}
	}
}

var storeTests = []subTest{
	{"Store/PingAndClose", testPingAndClose},
}

func testPingAndClose(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "Ping on a migrated store", s.Ping(ctx))
	must(t, "Close", s.Close())
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded; want an error")
	}
}

// base is the suite's reference instant. It carries nanoseconds and a
// non-UTC zone on purpose: stores keep microseconds and the instant only.
var base = time.Date(2031, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+2", 2*3600))

// at returns base shifted by d.
func at(d time.Duration) time.Time { return base.Add(d) }

var errBoom = errors.New("storagetest: fn failed on purpose")

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want errors.Is(err, %v)", what, err, target)
	}
}

// equal compares got and want after normalizing both: times truncated to
// microseconds in UTC (zero stays zero), empty slices and maps as nil.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	g, w := norm(got), norm(want)
	if reflect.DeepEqual(g, w) {
		return
	}
	var diffs []string
	diff(reflect.ValueOf(g), reflect.ValueOf(w), "", &diffs)
	if len(diffs) == 0 {
		diffs = append(diffs, fmt.Sprintf("got %+v, want %+v", g, w))
	}
	for _, d := range diffs {
		t.Errorf("%s: %s", what, d)
	}
}

// wantNilEmpty fails if any slice or map field of v is empty but not nil:
// reads return nil for none.
func wantNilEmpty(t *testing.T, what string, v any) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && !f.IsNil() && f.Len() == 0 {
			t.Errorf("%s: field %s is empty but not nil", what, rv.Type().Field(i).Name)
		}
	}
}

// sameTime compares two instants at microsecond precision.
func sameTime(a, b time.Time) bool {
	return normTime(a).Equal(normTime(b)) && a.IsZero() == b.IsZero()
}

func normTime(tm time.Time) time.Time {
	if tm.IsZero() {
		return time.Time{}
	}
	return tm.UTC().Truncate(time.Microsecond)
}

var timeType = reflect.TypeFor[time.Time]()

func norm[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	normValue(rv)
	return v
}

func normValue(v reflect.Value) {
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(normTime(v.Interface().(time.Time))))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				normValue(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		// Copy before normalizing elements so the caller's slice is untouched.
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := 0; i < c.Len(); i++ {
			normValue(c.Index(i))
		}
		v.Set(c)
	case reflect.Map:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
		}
	}
}

func diff(g, w reflect.Value, path string, out *[]string) {
	if g.Kind() == reflect.Struct && g.Type() != timeType {
		for i := 0; i < g.NumField(); i++ {
			if !g.Type().Field(i).IsExported() {
				continue
			}
			diff(g.Field(i), w.Field(i), path+"."+g.Type().Field(i).Name, out)
		}
		return
	}
	if g.Kind() == reflect.Slice && g.Len() == w.Len() && g.Type().Elem().Kind() == reflect.Struct {
		for i := 0; i < g.Len(); i++ {
			diff(g.Index(i), w.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
		return
	}
	if !reflect.DeepEqual(g.Interface(), w.Interface()) {
		*out = append(*out, fmt.Sprintf("%s = %s, want %s", path, show(g), show(w)))
	}
}

func show(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case []byte:
		if x != nil {
			return fmt.Sprintf("%q", x)
		}
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%#v", v.Interface())
}

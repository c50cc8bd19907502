package adminapi

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
)

// TestPaginateSurvivesChanges: an item removed before the next page is
// asked for neither shifts nor repeats the rest.
func TestPaginateSurvivesChanges(t *testing.T) {
	t.Parallel()
	items := []string{"e", "a", "d", "b", "c", "f"}
	page := func(items []string, cursor string) List[string] {
		q := url.Values{"limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		out, err := paginate(httptest.NewRequest("GET", "/x?"+q.Encode(), nil), slices.Clone(items),
			func(s string) string { return s }, func(s string) string { return s })
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	p1 := page(items, "")
	if fmt.Sprint(p1.Items) != "[a b]" || p1.NextCursor == "" {
		t.Fatalf("first page %+v", p1)
	}
	// "c" (next in line) and "a" (already seen) go away meanwhile.
	rest := slices.DeleteFunc(slices.Clone(items), func(s string) bool { return s == "c" || s == "a" })
	p2 := page(rest, p1.NextCursor)
	p3 := page(rest, p2.NextCursor)
	if fmt.Sprint(p2.Items) != "[d e]" || fmt.Sprint(p3.Items) != "[f]" || p3.NextCursor != "" {
		t.Fatalf("pages after a change: %+v %+v", p2, p3)
	}
	for _, bad := range []string{"limit=0", "limit=501", "limit=x", "cursor=%25%25"} {
		if _, err := paginate(httptest.NewRequest("GET", "/x?"+bad, nil), items, func(s string) string { return s }, func(s string) string { return s }); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

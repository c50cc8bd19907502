package adminapi

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
)

// Page limits.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// pageParams reads limit and cursor. The cursor is opaque to callers: it
// encodes the sort key of the last item returned.
func pageParams(r *http.Request) (limit int, after string, err error) {
	limit = DefaultLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return 0, "", badRequest("limit must be a whole number from 1 to " + strconv.Itoa(MaxLimit))
		}
		limit = n
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || len(b) == 0 {
			return 0, "", badRequest("cursor is not one this API returned")
		}
		after = string(b)
	}
	return limit, after, nil
}

func encodeCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// List is one page of a listing.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// paginate orders items by key (unique per item) and cuts the page after
// the cursor's key: items added or removed between pages neither repeat
// nor shift the rest.
func paginate[S, T any](r *http.Request, items []S, key func(S) string, view func(S) T) (List[T], error) {
	limit, after, err := pageParams(r)
	if err != nil {
		return List[T]{}, err
	}
	sort.SliceStable(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	start := sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	if after == "" {
		start = 0
	}
	end := min(start+limit, len(items))
	out := List[T]{Items: make([]T, 0, end-start)}
	for _, it := range items[start:end] {
		out.Items = append(out.Items, view(it))
	}
	if end < len(items) {
		out.NextCursor = encodeCursor(key(items[end-1]))
	}
	return out, nil
}

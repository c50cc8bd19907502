package scim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// query is a list request's filter, page and attribute selection (RFC
// 7644 §3.4.2, §3.9).
type query struct {
	filter     filter.Expression
	startIndex int
	count      int
	attributes []string
	excluded   []string
}

// listQuery reads the query parameters; filterable is what a filter may
// name (nil: no filter allowed).
func listQuery(r *http.Request, filterable map[string]bool) (query, error) {
	q := query{startIndex: 1, count: MaxResults}
	v := r.URL.Query()
	if f := v.Get("filter"); f != "" {
		if filterable == nil {
			return q, invalid("invalidFilter", "This endpoint takes no filter.")
		}
		e, err := parseFilter(f, filterable)
		if err != nil {
			return q, err
		}
		q.filter = e
	}
	if s := v.Get("startIndex"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, invalid("invalidValue", "startIndex is an integer.")
		}
		// §3.4.2.4: a value less than 1 is interpreted as 1.
		q.startIndex = max(n, 1)
	}
	if s := v.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, invalid("invalidValue", "count is an integer.")
		}
		// §3.4.2.4: a negative value is 0; more than the maximum is the maximum.
		q.count = min(max(n, 0), MaxResults)
	}
	q.attributes = splitAttrs(v.Get("attributes"))
	q.excluded = splitAttrs(v.Get("excludedAttributes"))
	return q, nil
}

func splitAttrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			// A full URI names an attribute of the core schema by its last part.
			if i := strings.LastIndex(a, ":"); i >= 0 {
				a = a[i+1:]
			}
			out = append(out, a)
		}
	}
	return out
}

// generic is res as decoded JSON with lowercased member names, what
// filters and patches work on.
func generic(res map[string]any) map[string]any {
	b, _ := json.Marshal(res)
	var v any
	_ = json.Unmarshal(b, &v)
	return lowerKeys(v).(map[string]any)
}

// answer is the ListResponse (§3.4.2) of the resources that match.
func (q query) answer(all []map[string]any) map[string]any {
	var hits []map[string]any
	for _, res := range all {
		if q.filter == nil || matches(q.filter, generic(res)) {
			hits = append(hits, res)
		}
	}
	page := []map[string]any{}
	if from := q.startIndex - 1; from < len(hits) {
		page = hits[from:min(len(hits), from+q.count)]
	}
	out := make([]map[string]any, len(page))
	for i, res := range page {
		out[i] = q.project(res)
	}
	return map[string]any{
		"schemas":      []string{SchemaList},
		"totalResults": len(hits),
		"startIndex":   q.startIndex,
		"itemsPerPage": len(out),
		"Resources":    out,
	}
}

// project keeps what attributes asks for, or drops what excludedAttributes
// names; schemas, id and meta are always returned (RFC 7643 §7, "always").
func (q query) project(res map[string]any) map[string]any {
	if len(q.attributes) == 0 && len(q.excluded) == 0 {
		return res
	}
	out := map[string]any{}
	for k, v := range res {
		lk := strings.ToLower(k)
		switch {
		case lk == "schemas" || lk == "id" || lk == "meta":
			out[k] = v
		case len(q.attributes) > 0:
			if selected(q.attributes, lk) {
				out[k] = v
			}
		case !selected(q.excluded, lk):
			out[k] = v
		}
	}
	return out
}

// selected reports whether attrs names attr itself or one of its
// sub-attributes (name.givenName selects name).
func selected(attrs []string, attr string) bool {
	for _, a := range attrs {
		if a == attr || strings.HasPrefix(a, attr+".") {
			return true
		}
	}
	return false
}

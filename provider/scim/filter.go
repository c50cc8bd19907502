package scim

import (
	"fmt"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// maxFilterLength bounds a filter or path: the real ones are short.
const maxFilterLength = 1024

// parseFilter parses a filter (RFC 7644 §3.4.2.2) and checks that every
// attribute it names is one of known (lowercased top-level names); a
// filter that does not parse or names another is invalidFilter.
func parseFilter(s string, known map[string]bool) (filter.Expression, error) {
	if len(s) > maxFilterLength {
		return nil, invalid("invalidFilter", "The filter is longer than %d characters.", maxFilterLength)
	}
	e, err := filter.ParseFilter([]byte(s))
	if err != nil || e == nil {
		return nil, invalid("invalidFilter", "The filter %q is not a SCIM filter (RFC 7644 §3.4.2.2).", s)
	}
	if err := checkAttrs(e, known, ""); err != nil {
		return nil, err
	}
	return e, nil
}

// checkAttrs refuses an attribute or operator the service does not filter
// on. Inside a value path (emails[type eq "work"]) the names are the
// sub-attributes of parent.
func checkAttrs(e filter.Expression, known map[string]bool, parent string) error {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		name := attrName(e.AttributePath)
		if parent != "" {
			name = parent + "." + name
		}
		if name == "" || !known[name] {
			return invalid("invalidFilter", "The filter names %q, which is not filterable here.", e.AttributePath.String())
		}
		switch e.Operator {
		case filter.EQ, filter.NE, filter.CO, filter.SW, filter.EW, filter.PR, filter.GT, filter.GE, filter.LT, filter.LE:
		default:
			return invalid("invalidFilter", "Unknown operator %q.", e.Operator)
		}
		return nil
	case *filter.LogicalExpression:
		if err := checkAttrs(e.Left, known, parent); err != nil {
			return err
		}
		return checkAttrs(e.Right, known, parent)
	case *filter.NotExpression:
		return checkAttrs(e.Expression, known, parent)
	case *filter.ValuePath:
		name := attrName(e.AttributePath)
		if parent != "" || !known[name] {
			return invalid("invalidFilter", "The filter names %q, which is not filterable here.", e.AttributePath.String())
		}
		return checkAttrs(e.ValueFilter, known, name)
	}
	return invalid("invalidFilter", "The filter is not supported.")
}

// attrName is the lowercased name of an attribute path, "name.givenname"
// for a sub-attribute; "" for a schema URI other than the core ones.
func attrName(p filter.AttributePath) string {
	if uri := p.URI(); uri != "" && !strings.EqualFold(uri, SchemaUser) && !strings.EqualFold(uri, SchemaGroup) {
		return ""
	}
	n := strings.ToLower(p.AttributeName)
	if sub := p.SubAttributeName(); sub != "" {
		n += "." + strings.ToLower(sub)
	}
	return n
}

// caseExact lists the attributes compared exactly (RFC 7643 §4.1, §8.7.1:
// id, externalId and references); every other string ignores case.
var caseExact = map[string]bool{"id": true, "externalid": true, "members": true, "members.value": true, "$ref": true}

// matches evaluates e on doc, a resource with lowercased member names.
func matches(e filter.Expression, doc map[string]any) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if strings.EqualFold(string(e.Operator), "and") {
			return matches(e.Left, doc) && matches(e.Right, doc)
		}
		return matches(e.Left, doc) || matches(e.Right, doc)
	case *filter.NotExpression:
		return !matches(e.Expression, doc)
	case *filter.ValuePath:
		for _, el := range asList(doc[strings.ToLower(e.AttributePath.AttributeName)]) {
			if m, ok := el.(map[string]any); ok && matches(e.ValueFilter, m) {
				return true
			}
		}
		return false
	case *filter.AttributeExpression:
		name := strings.ToLower(e.AttributePath.AttributeName)
		sub := strings.ToLower(e.AttributePath.SubAttributeName())
		exact := caseExact[name] || (sub != "" && caseExact[name+"."+sub])
		for _, v := range values(doc[name], sub) {
			if compare(v, e.Operator, e.CompareValue, exact) {
				return true
			}
		}
		return e.Operator == filter.NE && len(values(doc[name], sub)) == 0
	}
	return false
}

// values are the attribute's values to compare: a multi-valued attribute
// without a sub-attribute compares its elements' value (RFC 7644
// §3.4.2.2: "emails eq" is "emails.value eq").
func values(v any, sub string) []any {
	var out []any
	for _, el := range asList(v) {
		m, isMap := el.(map[string]any)
		switch {
		case sub != "" && isMap:
			if sv, ok := m[sub]; ok {
				out = append(out, sv)
			}
		case sub == "" && isMap:
			if sv, ok := m["value"]; ok {
				out = append(out, sv)
			}
		case sub == "":
			out = append(out, el)
		}
	}
	return out
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

func compare(v any, op filter.CompareOperator, want any, exact bool) bool {
	if op == filter.PR {
		s, isString := v.(string)
		return v != nil && (!isString || s != "")
	}
	switch v := v.(type) {
	case string:
		w, ok := want.(string)
		if !ok {
			return false
		}
		if !exact {
			v, w = strings.ToLower(v), strings.ToLower(w)
		}
		switch op {
		case filter.EQ:
			return v == w
		case filter.NE:
			return v != w
		case filter.CO:
			return strings.Contains(v, w)
		case filter.SW:
			return strings.HasPrefix(v, w)
		case filter.EW:
			return strings.HasSuffix(v, w)
		case filter.GT:
			return v > w
		case filter.GE:
			return v >= w
		case filter.LT:
			return v < w
		case filter.LE:
			return v <= w
		}
	case bool:
		w, ok := want.(bool)
		if !ok {
			return false
		}
		switch op {
		case filter.EQ:
			return v == w
		case filter.NE:
			return v != w
		}
	default:
		return op == filter.EQ && fmt.Sprint(v) == fmt.Sprint(want)
	}
	return false
}

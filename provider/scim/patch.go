package scim

import (
	"reflect"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// maxOperations bounds one PATCH request.
const maxOperations = 100

// patchOp is one operation of a PATCH request (RFC 7644 §3.5.2).
type patchOp struct {
	op    string // add, replace or remove
	path  string
	value any
}

// parsePatch reads the body of a PATCH request: a PatchOp message whose
// operations are add, replace or remove, in any letter case (Entra ID
// sends "Replace").
func parsePatch(body map[string]any) ([]patchOp, error) {
	if s, ok := body["schemas"]; ok {
		found := false
		for _, v := range asList(s) {
			if str, ok := v.(string); ok && strings.EqualFold(str, SchemaPatchOp) {
				found = true
			}
		}
		if !found {
			return nil, invalid("invalidSyntax", "A PATCH body has the schema %s.", SchemaPatchOp)
		}
	}
	list, ok := body["operations"].([]any)
	if !ok || len(list) == 0 {
		return nil, invalid("invalidSyntax", "A PATCH body has a list of Operations.")
	}
	if len(list) > maxOperations {
		return nil, invalid("tooMany", "At most %d operations in one PATCH.", maxOperations)
	}
	ops := make([]patchOp, 0, len(list))
	for _, raw := range list {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, invalid("invalidSyntax", "Each operation is an object.")
		}
		op, _ := m["op"].(string)
		op = strings.ToLower(op)
		if op != "add" && op != "replace" && op != "remove" {
			return nil, invalid("invalidSyntax", "The op %q is not add, replace or remove.", m["op"])
		}
		path, isString := m["path"].(string)
		if _, has := m["path"]; has && !isString {
			return nil, invalid("invalidPath", "path is a string.")
		}
		value, hasValue := m["value"]
		if op != "remove" && !hasValue {
			return nil, invalid("invalidValue", "The %s operation needs a value.", op)
		}
		if op == "remove" && path == "" {
			return nil, invalid("noTarget", "A remove operation needs a path.")
		}
		ops = append(ops, patchOp{op: op, path: path, value: value})
	}
	return ops, nil
}

// applyPatch applies the operations to doc, a resource of lowercased
// member names. Attributes not in known are left alone: the service does
// not keep them (an Entra ID or Okta mapping may send title or the
// enterprise extension), and ServiceProviderConfig lists what it keeps.
// multi names the multi-valued attributes.
func applyPatch(doc map[string]any, ops []patchOp, known, multi map[string]bool) error {
	for _, o := range ops {
		if o.path == "" {
			m, ok := o.value.(map[string]any)
			if !ok {
				return invalid("invalidValue", "Without a path, the value of %s is an object of attributes.", o.op)
			}
			for k, v := range m {
				if strings.Contains(k, ".") || strings.HasPrefix(k, "urn:") {
					// Entra ID sends {"name.givenName": "…"}.
					if err := applyPath(doc, o.op, k, v, known, multi); err != nil {
						return err
					}
					continue
				}
				if !known[k] {
					continue
				}
				setAttr(doc, o.op, k, v, multi[k])
			}
			continue
		}
		if err := applyPath(doc, o.op, o.path, o.value, known, multi); err != nil {
			return err
		}
	}
	return nil
}

func applyPath(doc map[string]any, op, raw string, value any, known, multi map[string]bool) error {
	if len(raw) > maxFilterLength {
		return invalid("invalidPath", "The path is longer than %d characters.", maxFilterLength)
	}
	p, err := filter.ParsePath([]byte(raw))
	if err != nil {
		return invalid("invalidPath", "The path %q is not a SCIM path (RFC 7644 §3.5.2).", raw)
	}
	name := attrName(p.AttributePath)
	if name == "" {
		return nil // another schema's attribute: not kept
	}
	attr, sub, _ := strings.Cut(name, ".")
	if !known[attr] {
		return nil
	}
	if p.ValueExpression != nil {
		if sub != "" || !multi[attr] {
			return invalid("invalidPath", "Only a multi-valued attribute takes a filter, as in emails[type eq \"work\"].value.")
		}
		return applyFiltered(doc, op, attr, p.ValueExpression, strings.ToLower(p.SubAttributeName()), value)
	}
	if sub == "" {
		setAttr(doc, op, attr, value, multi[attr])
		return nil
	}
	// A sub-attribute of a complex attribute (name.givenName).
	parent, _ := doc[attr].(map[string]any)
	if op == "remove" {
		if parent != nil {
			delete(parent, sub)
		}
		return nil
	}
	if parent == nil {
		if multi[attr] {
			return invalid("invalidPath", "Use a filter to change one value of %s.", attr)
		}
		parent = map[string]any{}
		doc[attr] = parent
	}
	parent[sub] = value
	return nil
}

// setAttr applies op to a whole attribute. Adding to a multi-valued one
// appends what is not there yet; replacing a complex one merges the
// sub-attributes given (RFC 7644 §3.5.2.1, §3.5.2.3). Removing with a
// value removes those values of a multi-valued attribute (Entra ID
// removes group members so).
func setAttr(doc map[string]any, op, attr string, value any, multi bool) {
	switch {
	case op == "remove" && multi && value != nil:
		keep := []any{}
		for _, el := range asList(doc[attr]) {
			if !containsValue(asList(value), el) {
				keep = append(keep, el)
			}
		}
		doc[attr] = keep
	case op == "remove":
		delete(doc, attr)
	case multi && op == "add":
		list := asList(doc[attr])
		for _, v := range asList(value) {
			if !containsValue(list, v) {
				list = append(list, v)
			}
		}
		doc[attr] = list
	case multi:
		doc[attr] = asList(value)
	default:
		old, oldIsMap := doc[attr].(map[string]any)
		nv, newIsMap := value.(map[string]any)
		if oldIsMap && newIsMap {
			for k, v := range nv {
				old[k] = v
			}
			return
		}
		doc[attr] = value
	}
}

// containsValue reports whether list has v: elements with a "value" are
// the same when their values are.
func containsValue(list []any, v any) bool {
	vm, vIsMap := v.(map[string]any)
	for _, el := range list {
		em, eIsMap := el.(map[string]any)
		if vIsMap && eIsMap {
			if a, ok := vm["value"]; ok {
				if b, ok := em["value"]; ok && reflect.DeepEqual(a, b) {
					return true
				}
				continue
			}
		}
		if reflect.DeepEqual(el, v) {
			return true
		}
	}
	return false
}

// applyFiltered applies op to the elements of a multi-valued attribute
// that match the filter, or to their sub-attribute. Setting a
// sub-attribute where no element matches an equality filter adds the
// element the filter describes (Entra ID replaces emails[type eq
// "work"].value on a user with no work address).
func applyFiltered(doc map[string]any, op, attr string, f filter.Expression, sub string, value any) error {
	list := asList(doc[attr])
	var out []any
	hit := false
	for _, el := range list {
		m, ok := el.(map[string]any)
		if !ok || !matches(f, m) {
			out = append(out, el)
			continue
		}
		hit = true
		switch {
		case op == "remove" && sub == "":
			continue
		case op == "remove":
			delete(m, sub)
		case sub != "":
			m[sub] = value
		default:
			if nv, ok := value.(map[string]any); ok {
				for k, v := range nv {
					m[k] = v
				}
			}
		}
		out = append(out, m)
	}
	if !hit {
		if op == "remove" {
			return nil
		}
		eq, ok := f.(*filter.AttributeExpression)
		if !ok || eq.Operator != filter.EQ || eq.AttributePath.SubAttributeName() != "" {
			return invalid("noTarget", "No value of %s matches the filter.", attr)
		}
		el := map[string]any{strings.ToLower(eq.AttributePath.AttributeName): eq.CompareValue}
		if sub != "" {
			el[sub] = value
		} else if nv, ok := value.(map[string]any); ok {
			for k, v := range nv {
				el[k] = v
			}
		} else {
			return invalid("invalidValue", "The value for %s is an object.", attr)
		}
		out = append(out, el)
	}
	if out == nil {
		out = []any{}
	}
	doc[attr] = out
	return nil
}

// Package attributes holds the rules of the JSON objects administrators
// (and, for the keys an administrator marks editable, the person
// themselves) set on users, organizations and memberships: a JSON object
// of bounded size and depth, changed by an RFC 7396 merge patch or
// replaced whole, and optionally validated by an instance JSON Schema
// (github.com/santhosh-tekuri/jsonschema/v6). Claim rules read them.
package attributes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ostiary/ostiary/provider/fault"
)

const (
	// MaxBytes bounds one object's JSON encoding.
	MaxBytes = 16 << 10
	// MaxDepth bounds nesting: the object itself is depth 1.
	MaxDepth = 8
)

// Kind names whose attributes a rule is about.
type Kind string

const (
	User       Kind = "user"
	Org        Kind = "organization"
	Membership Kind = "membership"
)

// Policy is the instance's attribute rules. The zero value checks size and
// depth only and lets a person edit nothing.
type Policy struct {
	// Editable lists the top-level keys of a user's attributes the user
	// may change on the account page.
	Editable []string
	schemas  map[Kind]*jsonschema.Schema
}

// NewPolicy compiles the given JSON Schema documents (nil or empty: none
// for that kind). A schema that does not compile is an error naming it.
func NewPolicy(editable []string, schemas map[Kind][]byte) (*Policy, error) {
	p := &Policy{Editable: slices.Clone(editable), schemas: map[Kind]*jsonschema.Schema{}}
	for _, k := range editable {
		if strings.TrimSpace(k) == "" {
			return nil, errors.New("attributes: an editable key is empty")
		}
	}
	for kind, doc := range schemas {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			return nil, fmt.Errorf("attributes: %s schema: %w", kind, err)
		}
		c := jsonschema.NewCompiler()
		// A fixed name keeps file paths out of the validator's messages.
		loc := string(kind) + "-attributes.json"
		if err := c.AddResource(loc, v); err != nil {
			return nil, fmt.Errorf("attributes: %s schema: %w", kind, err)
		}
		sch, err := c.Compile(loc)
		if err != nil {
			return nil, fmt.Errorf("attributes: %s schema: %w", kind, err)
		}
		p.schemas[kind] = sch
	}
	return p, nil
}

// HasSchema says whether kind's attributes are validated by a schema.
func (p *Policy) HasSchema(kind Kind) bool { return p != nil && p.schemas[kind] != nil }

// IsEditable says whether a person may change key of their own attributes.
func (p *Policy) IsEditable(key string) bool { return p != nil && slices.Contains(p.Editable, key) }

// Parse reads a JSON object (the text an administrator typed, or a
// request's member) within the size bound. Not an object, or too big, is
// a fault.Invalid saying so.
func Parse(text []byte) (map[string]any, error) {
	if len(text) > MaxBytes {
		return nil, fault.Invalidf("Attributes are at most %d bytes of JSON.", MaxBytes)
	}
	trimmed := bytes.TrimSpace(text)
	if len(trimmed) == 0 {
		return nil, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&v); err != nil {
		return nil, fault.Invalidf("Attributes are not valid JSON: %s.", jsonProblem(err))
	}
	if dec.More() {
		return nil, fault.Invalidf("Attributes are one JSON object; there is more after it.")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fault.Invalidf("Attributes are a JSON object ({…}).")
	}
	return m, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	return err.Error()
}

// MergePatch applies patch to target as RFC 7396 §2 says: a null member
// removes the key, an object member merges recursively, anything else
// replaces. target is not modified.
func MergePatch(target, patch map[string]any) map[string]any {
	out := maps.Clone(target)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range patch {
		if v == nil {
			delete(out, k)
			continue
		}
		if pv, ok := v.(map[string]any); ok {
			tv, _ := out[k].(map[string]any)
			out[k] = MergePatch(tv, pv)
			continue
		}
		out[k] = v
	}
	return out
}

// Check applies the bounds and kind's schema to m. A failure is a
// fault.Invalid with the reason (the validator's own message for a
// schema).
func (p *Policy) Check(kind Kind, m map[string]any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fault.Invalidf("Attributes cannot be stored as JSON.")
	}
	if len(b) > MaxBytes {
		return fault.Invalidf("Attributes are at most %d bytes of JSON; these are %d.", MaxBytes, len(b))
	}
	if d := depth(m); d > MaxDepth {
		return fault.Invalidf("Attributes nest at most %d levels deep; these nest %d.", MaxDepth, d)
	}
	if p == nil || p.schemas[kind] == nil {
		return nil
	}
	if m == nil {
		m = map[string]any{}
	}
	if err := p.schemas[kind].Validate(m); err != nil {
		return fault.Invalidf("The attributes do not match the instance's schema: %s", schemaProblem(err))
	}
	return nil
}

// schemaProblem is the validator's message without its first line (which
// names the schema file).
func schemaProblem(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(ve.Error()), "\n")
	if len(lines) > 1 {
		lines = lines[1:]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
	}
	return strings.Join(lines, "; ")
}

func depth(v any) int {
	switch t := v.(type) {
	case map[string]any:
		d := 0
		for _, x := range t {
			d = max(d, depth(x))
		}
		return d + 1
	case []any:
		d := 0
		for _, x := range t {
			d = max(d, depth(x))
		}
		return d + 1
	default:
		return 0
	}
}

// ChangedKeys lists, sorted, the top-level keys whose values differ
// between before and after (added, removed or changed): what an audit
// record names, never the values.
func ChangedKeys(before, after map[string]any) []string {
	var out []string
	for k, v := range after {
		if old, ok := before[k]; !ok || !reflect.DeepEqual(old, v) {
			out = append(out, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Normalize returns nil for an empty object, so that "none" reads back
// the same from both backends.
func Normalize(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// Format renders m as indented JSON for a textarea ("" for none).
func Format(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

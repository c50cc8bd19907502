package attributes

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/fault"
)

func TestParse(t *testing.T) {
	m, err := Parse([]byte(` {"department": "Eng", "level": 3} `))
	if err != nil || m["department"] != "Eng" || m["level"] != float64(3) {
		t.Fatalf("Parse = %v, %v", m, err)
	}
	if m, err := Parse([]byte("  ")); err != nil || m != nil {
		t.Errorf("Parse(blank) = %v, %v; want nil, nil", m, err)
	}
	for name, in := range map[string]string{
		"array":    `[1]`,
		"string":   `"x"`,
		"null":     `null`,
		"syntax":   `{"a":`,
		"trailing": `{} {}`,
		"too big":  `{"a":"` + strings.Repeat("x", MaxBytes) + `"}`,
	} {
		if _, err := Parse([]byte(in)); fault.KindOf(err) != fault.Invalid {
			t.Errorf("Parse(%s) = %v, want a fault.Invalid", name, err)
		}
	}
}

// RFC 7396 §3 and appendix A examples.
func TestMergePatch(t *testing.T) {
	target := map[string]any{"title": "Goodbye!", "author": map[string]any{"givenName": "John", "familyName": "Doe"},
		"tags": []any{"example", "sample"}, "content": "This will be unchanged"}
	patch := map[string]any{"title": "Hello!", "phoneNumber": "+01-123-456-7890",
		"author": map[string]any{"familyName": nil}, "tags": []any{"example"}}
	want := map[string]any{"title": "Hello!", "author": map[string]any{"givenName": "John"}, "tags": []any{"example"},
		"content": "This will be unchanged", "phoneNumber": "+01-123-456-7890"}
	got := MergePatch(target, patch)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergePatch = %v\nwant %v", got, want)
	}
	if target["title"] != "Goodbye!" {
		t.Error("MergePatch changed its target")
	}
	if got := MergePatch(nil, map[string]any{"a": map[string]any{"b": "c"}}); !reflect.DeepEqual(got, map[string]any{"a": map[string]any{"b": "c"}}) {
		t.Errorf("MergePatch(nil) = %v", got)
	}
}

func TestCheckBoundsAndSchema(t *testing.T) {
	var p *Policy
	if err := p.Check(User, map[string]any{"a": "b"}); err != nil {
		t.Errorf("nil policy Check = %v", err)
	}
	big := map[string]any{"a": strings.Repeat("x", MaxBytes)}
	if err := p.Check(User, big); fault.KindOf(err) != fault.Invalid {
		t.Errorf("Check(too big) = %v", err)
	}
	var deep any = "leaf"
	for range MaxDepth {
		deep = map[string]any{"n": deep}
	}
	if err := p.Check(User, deep.(map[string]any)); err != nil {
		t.Errorf("Check(depth %d) = %v, want ok", MaxDepth, err)
	}
	if err := p.Check(User, map[string]any{"n": deep}); fault.KindOf(err) != fault.Invalid {
		t.Errorf("Check(depth %d) = %v, want refused", MaxDepth+1, err)
	}

	p, err := NewPolicy([]string{"nickname"}, map[Kind][]byte{User: []byte(`{
		"type": "object",
		"properties": {"level": {"type": "integer", "minimum": 1}, "nickname": {"type": "string", "maxLength": 20}}
	}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasSchema(User) || p.HasSchema(Org) || !p.IsEditable("nickname") || p.IsEditable("level") {
		t.Error("policy settings not as given")
	}
	if err := p.Check(User, map[string]any{"level": float64(2)}); err != nil {
		t.Errorf("Check(valid) = %v", err)
	}
	err = p.Check(User, map[string]any{"level": "high"})
	if fault.KindOf(err) != fault.Invalid || !strings.Contains(fault.Message(err, ""), "/level") {
		t.Errorf("Check(invalid) = %v, want the validator's message naming /level", err)
	}
	if strings.Contains(fault.Message(err, ""), "attributes.json") {
		t.Errorf("message names the schema file: %v", err)
	}
	if err := p.Check(Org, map[string]any{"level": "high"}); err != nil {
		t.Errorf("Check(org without schema) = %v", err)
	}
	if _, err := NewPolicy(nil, map[Kind][]byte{User: []byte(`{"type": 12}`)}); err == nil {
		t.Error("NewPolicy accepted a schema that does not compile")
	}
}

func TestChangedKeys(t *testing.T) {
	got := ChangedKeys(map[string]any{"a": "1", "b": "2", "c": []any{"x"}}, map[string]any{"a": "1", "b": "3", "c": []any{"x"}, "d": true})
	if !reflect.DeepEqual(got, []string{"b", "d"}) {
		t.Errorf("ChangedKeys = %v", got)
	}
	if got := ChangedKeys(map[string]any{"a": "1"}, nil); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("ChangedKeys(removed) = %v", got)
	}
}

package scim

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestApplyPatch: the operations of RFC 7644 §3.5.2 on a user, in the
// forms Okta and Entra ID send them.
func TestApplyPatch(t *testing.T) {
	t.Parallel()
	user := func() map[string]any {
		return generic(map[string]any{"userName": "a@example.com", "active": true, "name": map[string]any{"givenName": "A", "familyName": "B"},
			"emails": []any{map[string]any{"value": "a@example.com", "type": "work", "primary": true},
				map[string]any{"value": "a@home.example", "type": "home"}}})
	}
	for _, c := range []struct {
		name, ops string
		check     func(doc map[string]any) bool
	}{
		{"Okta: replace without a path", `[{"op":"replace","value":{"active":false}}]`,
			func(d map[string]any) bool { return d["active"] == false }},
		{"Entra: capitalised, string boolean", `[{"op":"Replace","path":"active","value":"False"}]`,
			func(d map[string]any) bool { return d["active"] == "False" }},
		{"sub-attribute path (§3.5.2.3)", `[{"op":"replace","path":"name.givenName","value":"C"}]`,
			func(d map[string]any) bool {
				n := d["name"].(map[string]any)
				return n["givenname"] == "C" && n["familyname"] == "B"
			}},
		{"replace of a complex attribute merges (§3.5.2.3)", `[{"op":"replace","path":"name","value":{"givenName":"C"}}]`,
			func(d map[string]any) bool {
				n := d["name"].(map[string]any)
				return n["givenname"] == "C" && n["familyname"] == "B"
			}},
		{"value path filter", `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"n@example.com"}]`,
			func(d map[string]any) bool {
				e := d["emails"].([]any)
				return len(e) == 2 && e[0].(map[string]any)["value"] == "n@example.com" && e[1].(map[string]any)["value"] == "a@home.example"
			}},
		{"value path with no match adds the element", `[{"op":"add","path":"emails[type eq \"other\"].value","value":"o@example.com"}]`,
			func(d map[string]any) bool {
				e := d["emails"].([]any)
				return len(e) == 3 && e[2].(map[string]any)["type"] == "other" && e[2].(map[string]any)["value"] == "o@example.com"
			}},
		{"remove a filtered value (§3.5.2.2)", `[{"op":"remove","path":"emails[type eq \"home\"]"}]`,
			func(d map[string]any) bool { return len(d["emails"].([]any)) == 1 }},
		{"add to a multi-valued attribute appends (§3.5.2.1)", `[{"op":"add","path":"emails","value":[{"value":"x@example.com"}]}]`,
			func(d map[string]any) bool { return len(d["emails"].([]any)) == 3 }},
		{"add of an existing value is no duplicate", `[{"op":"add","path":"emails","value":[{"value":"a@example.com","type":"work","primary":true}]}]`,
			func(d map[string]any) bool { return len(d["emails"].([]any)) == 2 }},
		{"Entra: dotted names in a value object", `[{"op":"Add","value":{"name.familyName":"Z","displayName":"D"}}]`,
			func(d map[string]any) bool {
				return d["name"].(map[string]any)["familyname"] == "Z" && d["displayname"] == "D"
			}},
		{"attributes not kept are ignored", `[{"op":"replace","path":"title","value":"x"},{"op":"add","value":{"nickName":"n"}},
			{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"x"}]`,
			func(d map[string]any) bool { return reflect.DeepEqual(d, user()) }},
		{"core schema URI prefix", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName","value":"U"}]`,
			func(d map[string]any) bool { return d["name"].(map[string]any)["givenname"] == "U" }},
		{"remove an attribute", `[{"op":"remove","path":"name.familyName"}]`,
			func(d map[string]any) bool { _, ok := d["name"].(map[string]any)["familyname"]; return !ok }},
	} {
		var raw any
		if err := json.Unmarshal([]byte(`{"Operations":`+c.ops+`}`), &raw); err != nil {
			t.Fatal(err)
		}
		ops, err := parsePatch(lowerKeys(raw).(map[string]any))
		if err != nil {
			t.Errorf("%s: parse: %v", c.name, err)
			continue
		}
		doc := writable(user())
		if err := applyPatch(doc, ops, userWritable, userMulti); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !c.check(doc) {
			t.Errorf("%s: %v", c.name, doc)
		}
	}
}

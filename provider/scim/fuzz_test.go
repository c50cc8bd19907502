package scim

import (
	"encoding/json"
	"testing"
)

// FuzzPatchAndFilter feeds arbitrary PATCH bodies and filters to the
// parsers and the patch engine: whatever the input, the answer is a value
// or an *Error (a 4xx), never a panic, and a patched user either reads
// back as a valid input or is refused.
func FuzzPatchAndFilter(f *testing.F) {
	f.Add(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, `userName eq "a@b.c"`)
	f.Add(`{"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y.z"}]}`, `emails[type eq "work" and value co "@"]`)
	f.Add(`{"Operations":[{"op":"Add","path":"name.givenName","value":"A"},{"op":"Replace","path":"active","value":"False"}]}`, `externalId eq "1" or not (active eq true)`)
	f.Add(`{"Operations":[{"op":"remove","path":"members[value eq \"u1\"]"}]}`, `members eq "u1"`)
	f.Add(`{"Operations":[{"op":"Remove","path":"members","value":[{"value":"u1"}]}]}`, `emails.value sw "a" and meta.created gt "2020"`)
	f.Add(`{"Operations":[{"op":"add","value":{"name.familyName":"B","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"x"}}]}`, `name.givenName pr`)
	f.Fuzz(func(t *testing.T, body, expr string) {
		if e, err := parseFilter(expr, userFilterable); err == nil {
			matches(e, generic(map[string]any{"id": "1", "userName": "a@b.c", "emails": []any{map[string]any{"value": "a@b.c", "type": "work"}},
				"name": map[string]any{"givenName": "A"}, "active": true, "meta": map[string]any{"created": "2020-01-01T00:00:00Z"}}))
		} else if _, ok := err.(*Error); !ok {
			t.Fatalf("filter %q: %T %v", expr, err, err)
		}
		var v any
		if json.Unmarshal([]byte(body), &v) != nil {
			return
		}
		m, ok := lowerKeys(v).(map[string]any)
		if !ok {
			return
		}
		ops, err := parsePatch(m)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("parsePatch: %T %v", err, err)
			}
			return
		}
		doc := map[string]any{"username": "a@b.c", "name": map[string]any{"givenname": "A"}, "active": true,
			"emails": []any{map[string]any{"value": "a@b.c", "type": "work", "primary": true}}}
		if err := applyPatch(doc, ops, userWritable, userMulti); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("applyPatch: %T %v", err, err)
			}
			return
		}
		if _, err := userInput(doc); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("userInput: %T %v", err, err)
			}
		}
		group := map[string]any{"displayname": "member", "members": []any{map[string]any{"value": "u1"}}}
		if err := applyPatch(group, ops, groupWritable, groupMulti); err == nil {
			if _, err := memberIDs(group["members"]); err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("memberIDs: %T %v", err, err)
				}
			}
		}
	})
}

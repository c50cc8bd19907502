package adminapi

import (
	"encoding/json"
	"testing"

	"github.com/ostiary/ostiary/storage"
)

// TestPKCERequiredField: pkce_required absent is true; false sets the
// client's PKCEOptional, a patch flips it, and the view reports it (always
// true for a public client).
func TestPKCERequiredField(t *testing.T) {
	t.Parallel()
	var body clientCreate
	if err := json.Unmarshal([]byte(`{"client_name":"P"}`), &body); err != nil || body.spec().PKCEOptional {
		t.Fatalf("absent pkce_required: optional=%v %v", body.spec().PKCEOptional, err)
	}
	if err := json.Unmarshal([]byte(`{"client_name":"P","pkce_required":false}`), &body); err != nil || !body.spec().PKCEOptional {
		t.Fatalf("pkce_required=false: optional=%v %v", body.spec().PKCEOptional, err)
	}
	var patch ClientPatch
	if err := json.Unmarshal([]byte(`{"pkce_required":true}`), &patch); err != nil {
		t.Fatal(err)
	}
	c := patch.apply(storage.Client{PKCEOptional: true})
	if c.PKCEOptional || !ViewClient(c).PKCERequired {
		t.Fatalf("patch pkce_required=true: %+v", c)
	}
	if err := json.Unmarshal([]byte(`{"pkce_required":false}`), &patch); err != nil {
		t.Fatal(err)
	}
	if c = patch.apply(c); !c.PKCEOptional || ViewClient(c).PKCERequired {
		t.Fatalf("patch pkce_required=false: %+v", c)
	}
	if c = (ClientPatch{}).apply(c); !c.PKCEOptional {
		t.Fatal("an empty patch changed the switch")
	}
	if !ViewClient(storage.Client{Public: true, PKCEOptional: true}).PKCERequired {
		t.Fatal("a public client is shown as let off PKCE")
	}
}

// TestRequirePARField: require_pushed_authorization_requests (RFC 9126 §6)
// is taken on creation, patched, and shown.
func TestRequirePARField(t *testing.T) {
	t.Parallel()
	var body clientCreate
	if err := json.Unmarshal([]byte(`{"client_name":"P","require_pushed_authorization_requests":true}`), &body); err != nil || !body.spec().RequirePushedAuthorizationRequests {
		t.Fatalf("create: %+v %v", body.spec(), err)
	}
	var patch ClientPatch
	if err := json.Unmarshal([]byte(`{"require_pushed_authorization_requests":false}`), &patch); err != nil {
		t.Fatal(err)
	}
	if c := patch.apply(storage.Client{RequirePushedAuthorizationRequests: true}); c.RequirePushedAuthorizationRequests || ViewClient(c).RequirePAR {
		t.Fatalf("patch false: %+v", c)
	}
	if c := (ClientPatch{}).apply(storage.Client{RequirePushedAuthorizationRequests: true}); !ViewClient(c).RequirePAR {
		t.Fatalf("empty patch changed it: %+v", c)
	}
}

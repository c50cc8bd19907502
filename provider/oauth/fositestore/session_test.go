package fositestore

import "testing"

func TestSessionCloneKeepsType(t *testing.T) {
	t.Parallel()
	s := NewSession()
	s.Subject, s.OrgID, s.SID = "u1", "o1", "s1"
	s.IDTokenClaims().Extra = map[string]any{"a": "b"}
	c, ok := s.Clone().(*Session)
	if !ok || c.OrgID != "o1" || c.SID != "s1" || c.Subject != "u1" {
		t.Fatalf("clone %#v", c)
	}
	c.IDTokenClaims().Extra["a"] = "changed"
	c.OrgID = "o2"
	if s.IDTokenClaims().Extra["a"] != "b" || s.OrgID != "o1" {
		t.Error("clone shares state with the original")
	}
	// Fresh JWT claims on every call (ory/fosite#774).
	if s.GetJWTClaims() == s.GetJWTClaims() {
		t.Error("GetJWTClaims must build new claims each time")
	}
}

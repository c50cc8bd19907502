package signin

import "testing"

// TestDescribeStandardScopes: the consent and device pages describe every
// standard scope in plain words, groups and what profile now shows
// (preferred_username is the sign-in email) included.
func TestDescribeStandardScopes(t *testing.T) {
	t.Parallel()
	for scope, want := range map[string]string{
		"groups":  "See the organizations you belong to and your role in each",
		"profile": "See your name and your user name (the email address you sign in with)",
	} {
		if got, known := DescribeScope(scope); !known || got != want {
			t.Errorf("DescribeScope(%q) = %q, %v; want %q", scope, got, known, want)
		}
	}
	if got, known := DescribeScope("groups:all"); known || got != "groups:all" {
		t.Errorf("an unknown scope is described as %q, %v", got, known)
	}
}

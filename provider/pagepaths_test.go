package provider

import (
	"testing"

	"github.com/ostiary/ostiary/provider/discovery"
	"github.com/ostiary/ostiary/provider/oauth"
	"github.com/ostiary/ostiary/provider/web/signin"
)

// TestPagePathsAgree: the authorization endpoint and discovery name the
// sign-in pages by their own constants (they do not import the pages);
// these must be the paths web/signin serves.
func TestPagePathsAgree(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, theirs, ours string }{
		{"login", oauth.PathLogin, signin.PathLogin},
		{"organization", oauth.PathOrganization, signin.PathOrganization},
		{"consent", oauth.PathConsent, signin.PathConsent},
		{"end session", discovery.PathLogout, signin.PathEndSession},
		{"resume", oauth.PathResume, signin.PathResume},
	} {
		if c.theirs != c.ours {
			t.Errorf("%s: %q elsewhere, %q in web/signin", c.name, c.theirs, c.ours)
		}
	}
}

package grants

import (
	"testing"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/storage"
)

// TestLacksRequiredFactor: an organization that requires two-factor
// sign-in accepts a code or a passkey (RFC 8176 otp, hwk), with or without
// the password, and sessions stored before "mfa" was added.
func TestLacksRequiredFactor(t *testing.T) {
	strict := &storage.Membership{OrgRequireMFA: true}
	for _, tc := range []struct {
		amr  []string
		lack bool
	}{
		{[]string{"pwd"}, true},
		{[]string{"fed"}, true},
		{[]string{"pwd", "otp"}, false},
		{acr.WithFactor([]string{"pwd"}, "otp"), false},
		{acr.WithFactor([]string{"pwd"}, "hwk", "user"), false},
		{acr.Passkey(), false},
	} {
		if got := LacksRequiredFactor(strict, tc.amr); got != tc.lack {
			t.Errorf("LacksRequiredFactor(%v) = %v, want %v", tc.amr, got, tc.lack)
		}
		if LacksRequiredFactor(&storage.Membership{}, tc.amr) || LacksRequiredFactor(nil, tc.amr) {
			t.Errorf("a factor was required without the organization asking (%v)", tc.amr)
		}
	}
}

package acr

import (
	"slices"
	"testing"
)

func TestOfAndSatisfies(t *testing.T) {
	for _, tc := range []struct {
		amr  []string
		want string
	}{
		{nil, OneFactor},
		{[]string{"pwd"}, OneFactor},
		{[]string{"fed"}, OneFactor},
		// Sessions stored before "mfa" was added still count as two factors.
		{[]string{"pwd", "otp"}, TwoFactor},
		{[]string{"pwd", "otp", "mfa"}, TwoFactor},
		{[]string{"pwd", "hwk", "user", "mfa"}, PhishingResistant},
		{Passkey(), PhishingResistant},
	} {
		if got := Of(tc.amr); got != tc.want {
			t.Errorf("Of(%v) = %q, want %q", tc.amr, got, tc.want)
		}
		for i, c := range Supported {
			want := i <= slices.Index(Supported, tc.want)
			if got := Satisfies(tc.amr, c); got != want {
				t.Errorf("Satisfies(%v, %q) = %v, want %v", tc.amr, c, got, want)
			}
		}
	}
	if Satisfies(Passkey(), "urn:example:unknown") {
		t.Error("an unknown class was satisfied")
	}
}

func TestRequested(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   string
		ok     bool
	}{
		{nil, "", false},
		{[]string{"urn:example:gold"}, "", false},
		{[]string{"phr"}, PhishingResistant, true},
		// Meeting any listed class satisfies the request, so the weakest
		// known one is what to insist on (OIDC Core §3.1.2.1: in order of
		// preference, voluntary).
		{[]string{"phr", TwoFactor}, TwoFactor, true},
		{[]string{"urn:example:gold", TwoFactor}, TwoFactor, true},
	} {
		got, ok := Requested(tc.values)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Requested(%v) = %q, %v; want %q, %v", tc.values, got, ok, tc.want, tc.ok)
		}
	}
	if got := Stronger(OneFactor, PhishingResistant); got != PhishingResistant {
		t.Errorf("Stronger = %q", got)
	}
	if got := Stronger("", TwoFactor); got != TwoFactor {
		t.Errorf("Stronger(empty) = %q", got)
	}
}

func TestWithFactor(t *testing.T) {
	got := WithFactor([]string{"pwd"}, AMRHardwareKey, AMRUserPresence)
	if want := []string{"pwd", "hwk", "user", "mfa"}; !slices.Equal(got, want) {
		t.Errorf("WithFactor = %v, want %v", got, want)
	}
	if got := WithFactor([]string{"pwd", "otp", "mfa"}, AMROTP); len(got) != 3 {
		t.Errorf("WithFactor repeated a method: %v", got)
	}
}

package throttle

import (
	"testing"
	"time"
)

func TestDeviceCookie(t *testing.T) {
	t.Parallel()
	oldKey, newKey := []byte("the old device key, 32 bytes ..."), []byte("the new device key, 32 bytes ...")
	before := &Limiter{DeviceKeys: [][]byte{oldKey}}
	c, err := before.IssueDevice("Ann@Example.com")
	if err != nil || c == "" {
		t.Fatalf("IssueDevice = %q, %v", c, err)
	}
	// After a rotation of the system secret the old cookie still counts.
	after := &Limiter{DeviceKeys: [][]byte{newKey, oldKey}}
	dev := after.Device("ann@example.com", c)
	if dev == "" {
		t.Fatal("a cookie signed with the previous key is not accepted")
	}
	// One character changed inside the MAC, the length kept, so the cookie
	// still decodes and the comparison is what refuses it.
	i := len(c) - 5
	flip := byte('A')
	if c[i] == 'A' {
		flip = 'B'
	}
	tampered := c[:i] + string(flip) + c[i+1:]
	for name, tc := range map[string]struct {
		l             *Limiter
		email, cookie string
	}{
		"other account": {after, "bob@example.com", c},
		"dropped key":   {&Limiter{DeviceKeys: [][]byte{newKey}}, "ann@example.com", c},
		"tampered":      {after, "ann@example.com", tampered},
		"garbage":       {after, "ann@example.com", "not a cookie"},
		"empty":         {after, "ann@example.com", ""},
		"off":           {&Limiter{}, "ann@example.com", c},
	} {
		if got := tc.l.Device(tc.email, tc.cookie); got != "" {
			t.Errorf("%s: Device = %q, want none", name, got)
		}
	}
	if c2, _ := (&Limiter{}).IssueDevice("ann@example.com"); c2 != "" {
		t.Error("IssueDevice without keys issued a cookie")
	}

	// The device's failures do not touch the account's bucket.
	st := newMemStore()
	clk := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := withLimits(&Limiter{Store: st, Now: clk.now, DeviceKeys: [][]byte{newKey}})
	for range DefaultDeviceLimit {
		if _, limited, err := l.CheckDevice(t.Context(), "ann@example.com", "", dev); limited || err != nil {
			t.Fatalf("CheckDevice = %v, %v", limited, err)
		}
	}
	if n, _, _ := st.Peek(t.Context(), accountKey("ann@example.com"), clk.now()); n != 0 {
		t.Fatalf("the account's bucket counted %d device attempts", n)
	}
}

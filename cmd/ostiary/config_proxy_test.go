package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestTrustedProxiesConfig(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(writeFile(t, "server:\n  trusted_proxies: [10.0.0.0/8, 192.0.2.10, \"fd00::/8\", \"2001:db8::10\"]\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.10", "fd00::/8", "2001:db8::10"}
	if got := providerConfig(c, nil).TrustedProxies; !reflect.DeepEqual(got, want) {
		t.Fatalf("provider gets %q, want %q", got, want)
	}

	c, err = loadConfig(writeFile(t, "server:\n  trusted_proxies: [10.0.0.0/8]\n"), func(k string) string {
		if k == "OSTIARY_SERVER_TRUSTED_PROXIES" {
			return "172.16.0.0/12, 192.0.2.10"
		}
		return ""
	})
	if err != nil || !reflect.DeepEqual(c.Server.TrustedProxies, []string{"172.16.0.0/12", "192.0.2.10"}) {
		t.Fatalf("OSTIARY_SERVER_TRUSTED_PROXIES: %q %v", c.Server.TrustedProxies, err)
	}
}

func TestTrustedProxiesValidation(t *testing.T) {
	t.Parallel()
	_, err := loadConfig(writeFile(t, "server:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - proxy.internal\n    - 10.1.2.3/8\n    - \"\"\n"), noEnv)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`server.trusted_proxies[1]: trusted proxy "proxy.internal": not an IP address or CIDR`,
		`server.trusted_proxies[2]: trusted proxy "10.1.2.3/8": has host bits set; write 10.0.0.0/8`,
		`server.trusted_proxies[3]: trusted proxy "": not an IP address or CIDR`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "trusted_proxies[0]") {
		t.Errorf("a good entry is reported:\n%s", msg)
	}
	if _, err := loadConfig("", func(k string) string {
		if k == "OSTIARY_SERVER_TRUSTED_PROXIES" {
			return "10.0.0.0/8,,192.0.2.10"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "server.trusted_proxies[1]") {
		t.Errorf("an empty entry in OSTIARY_SERVER_TRUSTED_PROXIES: %v", err)
	}
}

package oauth

import (
	"net/http"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/outbound"
)

// withLifespans gives c the lifespans the binary runs with, where c names
// none: New takes no defaults, and the tests run as production does.
func withLifespans(c Config) Config {
	for _, d := range []struct {
		field *time.Duration
		v     time.Duration
	}{
		{&c.AccessTokenLifespan, DefaultAccessTokenLifespan},
		{&c.RefreshTokenLifespan, DefaultRefreshTokenLifespan},
		{&c.AuthorizeCodeLifespan, DefaultAuthorizeCodeLifespan},
		{&c.IDTokenLifespan, DefaultIDTokenLifespan},
		{&c.AuthRequestLifespan, DefaultAuthRequestLifespan},
		{&c.PATExchangeLifespan, DefaultPATExchangeLifespan},
		{&c.DeviceCodeLifespan, DefaultDeviceCodeLifespan},
		{&c.DevicePollInterval, DefaultDevicePollInterval},
		{&c.PushedRequestLifespan, DefaultPushedRequestLifespan},
	} {
		if *d.field == 0 {
			*d.field = d.v
		}
	}
	return c
}

// testEgress is the guarded client with the limits the binary runs with.
func testEgress(t *testing.T, g outbound.Guard) *http.Client {
	t.Helper()
	c, err := outbound.NewClient(outbound.Config{Guard: g, Timeout: outbound.DefaultTimeout,
		MaxBodyBytes: outbound.DefaultMaxBodyBytes, MaxRedirects: outbound.DefaultMaxRedirects})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

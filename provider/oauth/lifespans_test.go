package oauth

import "time"

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
	} {
		if *d.field == 0 {
			*d.field = d.v
		}
	}
	return c
}

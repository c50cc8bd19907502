package clients

import (
	"net/url"
	"strings"
)

// IsResourceURI reports whether raw may name a resource server, as an
// audience a client registers or a resource a token request asks for: an
// absolute URI without a fragment (RFC 8707 §2). Registration
// (provider/dcr) and the token requests (provider/oauth/tokens) apply this
// one rule.
func IsResourceURI(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.IsAbs() && u.Fragment == "" && !strings.Contains(raw, "#")
}

package discovery

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/ostiary/ostiary/provider/clients"
)

// CheckIssuer is the one check of an issuer identifier, for the
// configuration file, the provider and the protocol alike: an absolute URL
// without query or fragment (OpenID Connect Discovery 1.0 §3, RFC 8414 §2),
// https except on loopback, where development runs on http.
func CheckIssuer(issuer string) error {
	if issuer == "" {
		return errors.New("required")
	}
	u, err := url.Parse(issuer)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return fmt.Errorf("%q is not an absolute URL", issuer)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not have a query or fragment (OpenID Connect Discovery §3)", issuer)
	case u.Scheme != "https" && !(u.Scheme == "http" && clients.IsLoopback(u.Hostname())):
		return fmt.Errorf("%q must use https (http only on localhost)", issuer)
	}
	return nil
}

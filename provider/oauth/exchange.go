package oauth

import (
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/grants"
)

// Token exchange (RFC 8693) of a personal access token, or of an access or
// ID token this provider issued (impersonation, or delegation with an
// actor_token and the act claim), for a short-lived JWT access token:
// grants.PATExchange, a fosite token endpoint handler of
// our own composed with the others (server.go).
const (
	// GrantTypeTokenExchange is RFC 8693 §2.1's grant_type.
	GrantTypeTokenExchange = fositestore.GrantTypeTokenExchange
	// TokenTypeAccessToken is RFC 8693 §3's URI for an OAuth access token:
	// the only token type the exchange issues.
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
)

// PATStore is what the exchange and introspection read of personal access
// tokens.
type PATStore = grants.PATStore

package oauth

import (
	"context"

	"github.com/ostiary/ostiary/provider/oauth/tokens"
)

// IDTokenHint is what an ID token presented as id_token_hint says.
type IDTokenHint = tokens.IDTokenHint

// ErrInvalidIDTokenHint is returned (wrapped) by VerifyIDTokenHint.
var ErrInvalidIDTokenHint = tokens.ErrInvalidIDTokenHint

// VerifyIDTokenHint checks an ID token this provider issued: RS256 by a
// published key (also one rotated out of signing), our issuer, a subject,
// and not an access token. An expired token is accepted.
func (s *Server) VerifyIDTokenHint(ctx context.Context, raw string) (IDTokenHint, error) {
	return s.signer.VerifyIDTokenHint(ctx, s.cfg.Issuer, raw)
}

package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/dpop"
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
)

// TokenTypeDPoP is the token_type of a DPoP-bound access token (RFC 9449 §5).
const TokenTypeDPoP = "DPoP"

// errInvalidDPoPProof is RFC 9449 §5's error for a token request whose
// proof is missing where required, or fails a check of §4.3.
var errInvalidDPoPProof = &fosite.RFC6749Error{
	ErrorField:       "invalid_dpop_proof",
	DescriptionField: "The DPoP proof is invalid.",
	CodeField:        http.StatusBadRequest,
}

// errUseDPoPNonce is RFC 9449 §8's error: retry with the DPoP-Nonce header's nonce.
var errUseDPoPNonce = &fosite.RFC6749Error{
	ErrorField:       "use_dpop_nonce",
	DescriptionField: "The DPoP proof must carry the nonce of the DPoP-Nonce header.",
	CodeField:        http.StatusBadRequest,
}

// NonceHeader carries the server's DPoP nonce (RFC 9449 §8.1).
const NonceHeader = "DPoP-Nonce"

// offerNonce puts the current nonce on the response, when nonces are on:
// on the use_dpop_nonce error and on every other answer, so a client
// always holds a fresh one (§8.2).
func (s *Server) offerNonce(w http.ResponseWriter) {
	if n := s.dpop.Nonces; n != nil {
		w.Header().Set(NonceHeader, n.Current(s.now()))
	}
}

// checkProof verifies the request's DPoP header for url (RFC 9449 §4.3),
// binding it to accessToken and jkt when those are set. A request without
// the header returns nil, nil. A refused proof is invalid_dpop_proof with
// the check that failed as its hint; a store failure is returned as is.
func (s *Server) checkProof(ctx context.Context, r *http.Request, url, accessToken, jkt string) (*dpop.Proof, error) {
	vals := r.Header.Values(dpop.Header)
	if len(vals) == 0 {
		return nil, nil
	}
	p, err := s.dpop.Verify(ctx, vals, dpop.Request{Method: r.Method, URL: url, AccessToken: accessToken, JKT: jkt})
	if errors.Is(err, dpop.ErrInvalidProof) {
		return nil, errInvalidDPoPProof.WithHint(proofHint(err))
	}
	if errors.Is(err, dpop.ErrUseNonce) {
		return nil, errUseDPoPNonce
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// proofHint is the check that failed, for the client to read.
func proofHint(err error) string {
	msg := strings.TrimPrefix(err.Error(), dpop.ErrInvalidProof.Error()+": ")
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

// bindToProof applies RFC 9449 §5 to a token request fosite validated,
// before any token is made: a refresh token of a public client that was
// bound to a key needs a proof by that key (§5.0: otherwise invalid_grant,
// or invalid_dpop_proof without a proof); a client registered with
// dpop_bound_access_tokens must send a proof (§5.2). The new tokens are
// bound to the proof's key (cnf.jkt, §6.1), or to none without a proof;
// the refresh token, issued with the same session, keeps that binding.
func bindToProof(ar fosite.AccessRequester, proof *dpop.Proof) error {
	sess, ok := ar.GetSession().(*fositestore.Session)
	if !ok {
		return fosite.ErrServerError.WithDebug("token request without our session")
	}
	client := ar.GetClient()
	if ar.GetGrantTypes().ExactOne("refresh_token") && client.IsPublic() && sess.DPoPJKT != "" {
		if proof == nil {
			return errInvalidDPoPProof.WithHint("The refresh token is bound to a DPoP key: send a DPoP proof signed by it.")
		}
		if proof.JKT != sess.DPoPJKT {
			return fosite.ErrInvalidGrant.WithHint("The refresh token is bound to another DPoP key.")
		}
	}
	if proof == nil && requiresDPoP(client) {
		return errInvalidDPoPProof.WithHint("This client must send a DPoP proof (dpop_bound_access_tokens).")
	}
	sess.DPoPJKT = ""
	if proof != nil {
		sess.DPoPJKT = proof.JKT
	}
	return nil
}

// proofRequired refuses, before fosite reads the grant, a request without a
// proof from a client named by client_id or HTTP Basic that must send one:
// fosite would use up the code's PKCE record before bindToProof refuses
// it. Other clients (private_key_jwt) are refused by bindToProof.
func (s *Server) proofRequired(ctx context.Context, r *http.Request) error {
	id := r.PostForm.Get("client_id")
	if user, _, ok := r.BasicAuth(); ok {
		if u, err := url.QueryUnescape(user); err == nil {
			id = u
		}
	}
	if id == "" {
		return nil
	}
	c, err := s.clients.Get(ctx, id)
	if err != nil {
		return nil // client authentication answers for an unknown client
	}
	if requiresDPoP(c) {
		return errInvalidDPoPProof.WithHint("This client must send a DPoP proof (dpop_bound_access_tokens).")
	}
	return nil
}

// requiresDPoP reports the client's dpop_bound_access_tokens (RFC 9449 §5.2).
func requiresDPoP(c fosite.Client) bool {
	dc, ok := c.(interface{ DPoPBoundAccessTokens() bool })
	return ok && dc.DPoPBoundAccessTokens()
}

// Package dpop checks DPoP proofs (RFC 9449): the `DPoP` request header's
// JWT that shows the client holds the private key a token is bound to.
//
// [Parse] checks one proof by itself (§4.2, §4.3 steps 2–7: a compact JWS
// of typ dpop+jwt, an allowed asymmetric alg, a public jwk header whose key
// verifies the signature, the required claims); [Verifier.Verify] then
// checks it against the request (htm, htu, iat window, ath, the expected
// key) and remembers its jti so a replay to any replica is refused (§11.1).
// The key's RFC 7638 thumbprint is the proof's [Proof.JKT], the value a
// bound token carries as cnf.jkt.
package dpop

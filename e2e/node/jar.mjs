// A relying party on openid-client v6 sending a signed request object
// (RFC 9101) by value, driven by e2e/node_test.go:
//
//   1. generates an ES256 key pair (jose) and prints {"jwk": ...}, its
//      public key, for the test to publish at the client's jwks_uri; then
//      waits for one line on stdin: {"client_id": ..., "client_secret": ...};
//   2. discovery of ISSUER, then buildAuthorizationUrlWithJAR at its
//      defaults (typ oauth-authz-req+jwt, iss, aud, exp, jti, PKCE S256,
//      state, nonce); prints {"authorization_url": ...} and waits for the
//      callback URL on stdin;
//   3. exchanges the code (authorizationCodeGrant, client_secret_post),
//      which checks state, iss, the ID token's claims and the nonce;
//   4. prints {"claims": ..., "scope": ...}.
//
// Discovery (with the one setting that is not a default,
// allowInsecureRequests) and the JSON lines are lib.mjs's.
import * as client from 'openid-client';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { discover, emit, readLine, run } from './lib.mjs';

const { REDIRECT_URI } = process.env;

async function main() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  emit({ jwk: { ...jwk, kid, use: 'sig', alg: 'ES256' } });
  const { client_id: clientID, client_secret: clientSecret } = JSON.parse(await readLine('the client'));

  const { config, meta } = await discover(clientID, clientSecret);
  if (!meta.request_parameter_supported) {
    throw new Error('discovery says request_parameter_supported is not true');
  }

  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationURL = await client.buildAuthorizationUrlWithJAR(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }, { key: privateKey, kid });
  emit({ authorization_url: authorizationURL.href });

  const callback = await readLine('the callback URL');
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  emit({ claims: tokens.claims(), scope: tokens.scope, token_type: tokens.token_type });
}

run(main);

// A relying party on openid-client v6 at its defaults (client_secret_post,
// PKCE S256, state, nonce, RFC 9207 iss checks), driven by e2e/node_test.go:
//
//   1. discovery of ISSUER, then a pushed authorization request
//      (buildAuthorizationUrlWithPAR, RFC 9126);
//   2. prints {"authorization_url": ...} and waits for one line on stdin:
//      the callback URL the browser was sent to;
//   3. exchanges the code (authorizationCodeGrant), which checks state, iss,
//      the ID token's claims and the nonce, and verifies the ID token's
//      signature against the discovered JWKS;
//   4. prints {"claims": ..., "scope": ...}.
//
// Discovery (with the one setting that is not a default,
// allowInsecureRequests) and the JSON lines are lib.mjs's.
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { discover, emit, readLine, run } from './lib.mjs';

const { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;

async function main() {
  const { config, meta } = await discover(CLIENT_ID, CLIENT_SECRET);
  if (!meta.pushed_authorization_request_endpoint) {
    throw new Error('discovery lists no pushed_authorization_request_endpoint');
  }

  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationURL = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  emit({ authorization_url: authorizationURL.href, pushed_authorization_request_endpoint: meta.pushed_authorization_request_endpoint });

  const callback = await readLine('the callback URL');

  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const { payload } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(meta.jwks_uri)), {
    issuer: meta.issuer,
    audience: CLIENT_ID,
  });
  const claims = tokens.claims();
  if (claims.sub !== payload.sub) {
    throw new Error('claims() and the verified ID token disagree');
  }
  emit({ claims, scope: tokens.scope, token_type: tokens.token_type });
}

run(main);

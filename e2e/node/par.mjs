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
// The one setting that is not a default: allowInsecureRequests, since the
// test server listens on plain http on loopback.
import { createInterface } from 'node:readline';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function main() {
  const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, {
    execute: [client.allowInsecureRequests],
  });
  const meta = config.serverMetadata();
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

  const callback = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin });
    rl.once('line', (line) => { resolve(line.trim()); rl.close(); });
    rl.once('close', () => reject(new Error('stdin closed before the callback URL')));
  });

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

main().then(() => process.exit(0), (err) => {
  emit({ error: String(err && err.stack ? err.stack : err), code: err && err.code, cause: err && err.cause && String(err.cause.error || err.cause) });
  process.exit(1);
});

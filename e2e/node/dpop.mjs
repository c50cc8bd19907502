// A public relying party on openid-client v6 using DPoP (RFC 9449), driven
// by e2e/node_test.go:
//
//   1. discovery of ISSUER (token endpoint auth none), then a plain
//      authorization URL (PKCE S256, state, nonce); prints
//      {"authorization_url": ...} and waits for the callback URL on stdin;
//   2. a fresh key pair (randomDPoPKeyPair) and its handle (getDPoPHandle);
//      the code is redeemed with that handle (authorizationCodeGrant), so
//      the tokens are bound to the key;
//   3. checks the access token (a JWT, verified against the discovered
//      JWKS) carries cnf.jkt equal to the key's thumbprint (jose);
//   4. calls userinfo with fetchProtectedResource and the same handle;
//   5. prints {"token_type": ..., "jkt": ..., "cnf": ..., "userinfo": ...}.
//
// Discovery (with the one setting that is not a default,
// allowInsecureRequests) and the JSON lines are lib.mjs's.
import * as client from 'openid-client';
import { calculateJwkThumbprint, createRemoteJWKSet, exportJWK, jwtVerify } from 'jose';
import { discover, emit, readLine, run } from './lib.mjs';

const { CLIENT_ID, REDIRECT_URI } = process.env;

async function main() {
  const { config, meta } = await discover(CLIENT_ID, undefined, client.None());
  if (!(meta.dpop_signing_alg_values_supported || []).includes('ES256')) {
    throw new Error(`dpop_signing_alg_values_supported ${JSON.stringify(meta.dpop_signing_alg_values_supported)}`);
  }

  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationURL = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  emit({ authorization_url: authorizationURL.href });

  const callback = await readLine('the callback URL');

  const keyPair = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, keyPair);
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  }, undefined, { DPoP });

  const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
  const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(meta.jwks_uri)), {
    issuer: meta.issuer,
    typ: 'at+jwt',
  });
  if (!payload.cnf || payload.cnf.jkt !== jkt) {
    throw new Error(`access token cnf ${JSON.stringify(payload.cnf)}, want jkt ${jkt}`);
  }

  const response = await client.fetchProtectedResource(config, tokens.access_token,
    new URL(meta.userinfo_endpoint), 'GET', undefined, undefined, { DPoP });
  if (response.status !== 200) {
    throw new Error(`userinfo: ${response.status} ${response.headers.get('www-authenticate')} ${await response.text()}`);
  }
  const userinfo = await response.json();
  emit({ token_type: tokens.token_type, jkt, cnf: payload.cnf, userinfo, sub: tokens.claims().sub });
}

run(main);

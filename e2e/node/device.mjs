// A device (RFC 8628) on openid-client v6 at its defaults, driven by
// e2e/node_test.go:
//
//   1. discovery of ISSUER, then initiateDeviceAuthorization for a public
//      client (no secret: token_endpoint_auth_method none);
//   2. prints the device authorization response (verification_uri_complete
//      and user_code, for the browser to approve);
//   3. pollDeviceAuthorizationGrant at the server's interval until the user
//      approves; openid-client checks the ID token's claims, and its
//      signature is verified against the discovered JWKS with jose;
//   4. prints {"claims": ..., "scope": ..., "refresh_token": bool}.
//
// Discovery (with the one setting that is not a default,
// allowInsecureRequests) and the JSON lines are lib.mjs's.
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { discover, emit, run } from './lib.mjs';

const { CLIENT_ID } = process.env;

async function main() {
  const { config, meta } = await discover(CLIENT_ID);
  if (!meta.device_authorization_endpoint) {
    throw new Error('discovery lists no device_authorization_endpoint');
  }

  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid profile email offline_access' });
  emit({
    device_authorization_endpoint: meta.device_authorization_endpoint,
    verification_uri: da.verification_uri,
    verification_uri_complete: da.verification_uri_complete,
    user_code: da.user_code,
    interval: da.interval,
    expires_in: da.expires_in,
  });

  const tokens = await client.pollDeviceAuthorizationGrant(config, da);
  if (!tokens.id_token) {
    throw new Error('no ID token');
  }
  const { payload } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(meta.jwks_uri)), {
    issuer: meta.issuer,
    audience: CLIENT_ID,
  });
  const claims = tokens.claims();
  if (claims.sub !== payload.sub) {
    throw new Error('claims() and the verified ID token disagree');
  }
  emit({ claims, scope: tokens.scope, token_type: tokens.token_type, refresh_token: Boolean(tokens.refresh_token) });
}

run(main);

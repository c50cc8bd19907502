// A backend on openid-client v6 exchanging a user's access token (RFC 8693),
// driven by e2e/node_test.go:
//
//   1. discovery of ISSUER; the client authenticates at its default
//      (client_secret_post);
//   2. genericGrantRequest with grant_type token-exchange, subject_token =
//      SUBJECT_TOKEN (an access token), audience = AUDIENCE;
//   3. the issued access token is verified with jose against the
//      discovered JWKS, for the issuer and AUDIENCE;
//   4. prints {"issued_token_type": ..., "token_type": ..., "payload": ...}.
//
// Discovery (with the one setting that is not a default,
// allowInsecureRequests) and the JSON lines are lib.mjs's.
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { discover, emit, run } from './lib.mjs';

const { CLIENT_ID, CLIENT_SECRET, SUBJECT_TOKEN, AUDIENCE } = process.env;

async function main() {
  const { config, meta } = await discover(CLIENT_ID, CLIENT_SECRET);
  if (!(meta.grant_types_supported || []).includes('urn:ietf:params:oauth:grant-type:token-exchange')) {
    throw new Error('discovery lists no token-exchange grant');
  }

  const tokens = await client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
    subject_token: SUBJECT_TOKEN,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    audience: AUDIENCE,
  });
  const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(meta.jwks_uri)), {
    issuer: meta.issuer,
    audience: AUDIENCE,
  });
  emit({ issued_token_type: tokens.issued_token_type, token_type: tokens.token_type, payload, typ: protectedHeader.typ });
}

run(main);

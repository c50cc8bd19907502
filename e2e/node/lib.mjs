// What every script in e2e/node shares: discovery of ISSUER, JSON lines
// to the Go test on stdout, lines from it on stdin, and the exit.
//
// The one setting that is not a default: allowInsecureRequests, since the
// test server listens on plain http on loopback.
import { createInterface } from 'node:readline';
import * as client from 'openid-client';

// emit prints one JSON line for the Go test (nodeScript.next).
export function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

let stdin;
// readLine waits for the next line the Go test sends (nodeScript.send).
export async function readLine(what) {
  stdin ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const { value, done } = await stdin.next();
  if (done) throw new Error(`stdin closed before ${what}`);
  return value.trim();
}

// discover runs openid-client's discovery of ISSUER for the client and
// returns the configuration and the server's metadata.
export async function discover(clientID, clientSecret, clientAuth) {
  const config = await client.discovery(new URL(process.env.ISSUER), clientID, clientSecret, clientAuth, {
    execute: [client.allowInsecureRequests],
  });
  return { config, meta: config.serverMetadata() };
}

// run runs main and exits: 0 once it has answered, 1 after printing
// {"error": ...} for the Go test.
export function run(main) {
  main().then(() => process.exit(0), (err) => {
    emit({ error: String(err && err.stack ? err.stack : err), code: err && err.code, cause: err && err.cause && String(err.cause.error || err.cause) });
    process.exit(1);
  });
}

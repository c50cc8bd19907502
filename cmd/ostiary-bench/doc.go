// Command ostiary-bench is a load tool for a real `ostiary serve` process. It
// starts the server on a free loopback port over SQLite or PostgreSQL, sets up
// a user and a first-party confidential client through the admin CLI, signs in
// once over HTTP, and then drives each token-endpoint and metadata scenario at
// a fixed concurrency for a fixed duration. For every scenario it reports
// throughput, p50/p99 latency, errors, and the server's CPU-seconds per 1,000
// requests (from /proc/<pid>/stat), also expressed as a multiple of the CPU
// cost of one RS256 signature measured in this process just before and just
// after the scenario, so results from different machines (and from a busy
// machine) can be compared. -alg ES256 or EdDSA runs the server with
// tokens.access_token_alg and the client's ID tokens in that alg, to compare
// the token endpoint's cost with RS256's.
//
// All traffic goes to 127.0.0.1; the HTTP transport refuses anything else.
package main

// Package backchannel sends OpenID Connect Back-Channel Logout 1.0 logout
// tokens: when a browser session ends, every client that signed in through
// it and registered a backchannel_logout_uri gets a signed logout token by a
// direct POST, so it can end its own session for that user.
//
// Delivery happens in the background with retries; ending a session never
// waits for a client.
package backchannel

// Package device is the page of the device authorization grant (RFC 8628
// §3.3): GET and POST /device, the verification URI a device shows (also
// reached by verification_uri_complete, /device?user_code=...). The person
// signs in first (page.Site.SignedIn sends them to the login page and
// back), enters or confirms the code shown on the device, sees which
// application asks and for what, picks an organization when they have
// several, and approves or denies. Wrong codes are rate-limited per user
// and per address (throttle.Guesses); the rules of the decision are
// provider/oauth's (Devices).
package device

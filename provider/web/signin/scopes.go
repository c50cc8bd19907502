package signin

// DescribeScope is what the consent page says a scope lets the client do;
// known is false for a scope it has no words for (shown as the scope
// itself). The device page (web/device) says the same.
func DescribeScope(s string) (text string, known bool) { return describeScope(s) }

// LogoURL keeps a client's logo URL only if it is https, as the consent
// page does (the CSP allows images from https only).
func LogoURL(s string) string { return httpsURL(s) }

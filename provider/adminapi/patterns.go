package adminapi

// Patterns lists the API's routes as "METHOD /path", the path relative to
// BasePath with its {wildcards}: for tests that must reach every route
// through the assembled server.
func Patterns() []string {
	var out []string
	for _, r := range routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

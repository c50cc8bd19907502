package oauth

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ostiary/ostiary/provider/randtoken"
	webpage "github.com/ostiary/ostiary/provider/web/page"
)

// formPostPage is the OAuth 2.0 Form Post Response Mode (§2) page: a form
// of hidden fields posted to the redirect URI by a script that carries this
// response's nonce, with a visible button for browsers without scripts.
var formPostPage = template.Must(template.New("form_post").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Returning to the application</title></head>
<body>
<form method="post" action="{{.Action}}">
{{- range $k, $vs := .Params}}{{range $vs}}
<input type="hidden" name="{{$k}}" value="{{.}}">
{{- end}}{{end}}
<noscript><p>Scripts are off in this browser. Continue to return to the application.</p></noscript>
<button type="submit">Continue</button>
</form>
<script nonce="{{.Nonce}}">document.forms[0].submit();</script>
</body>
</html>
`))

// writeFormPost answers with the auto-submitting form. The page gets its
// own CSP: the pages' form-action 'self' and script ban would leave the
// browser on a blank page; this one allows only the nonce'd script and a
// form posting to the redirect URI's origin.
func writeFormPost(w http.ResponseWriter, redirect *url.URL, params url.Values) {
	nonce := randtoken.New()
	var buf bytes.Buffer
	data := struct {
		Action, Nonce string
		Params        url.Values
	}{redirect.String(), nonce, params}
	if err := formPostPage.Execute(&buf, data); err != nil {
		// The template and its data are ours: this cannot fail at run time.
		http.Error(w, "server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Pragma", "no-cache")
	// The pages' headers, with a policy of its own: the one script (the
	// nonce's) submits the form, and the form may go only to the redirect
	// URI's origin.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; form-action "+
		formActionSource(redirect)+"; frame-ancestors 'none'; base-uri 'none'")
	webpage.SetHeaders(h)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// formActionSource is the CSP source matching the redirect URI
// (webpage.CSPSource): its origin, or its scheme for a private-use scheme.
// The URI was validated against the client's registration; anything that
// would not make a clean source gives 'none', never policy syntax.
func formActionSource(u *url.URL) string {
	if src := webpage.CSPSource(u.String()); src != "" {
		return src
	}
	return "'none'"
}

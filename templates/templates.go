// Package templates holds the html/template files of the server-rendered
// pages and the mails, embedded. layout.html defines the page around a "content" block
// that each other file defines; provider/web/page parses them once at start.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed *.html mail/*.txt mail/*.html
var files embed.FS

// FS is the template files, by name at its root; the mail templates are
// under mail/ (see Mail).
var FS fs.FS = files

// Mail is the mail templates: NAME.txt (text/template, with the subject in
// {{define "subject"}}) and NAME.html (html/template), by name at its root.
var Mail, _ = fs.Sub(files, "mail")

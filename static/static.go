// Package static holds the pages' stylesheet, images and passkey script, embedded so the
// binary serves them without files on disk.
package static

import (
	"embed"
	"io/fs"
)

//go:embed *.css *.svg *.js
var files embed.FS

// FS is the static files, by name at its root (ostiary.css, logo.svg).
var FS fs.FS = files

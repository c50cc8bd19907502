// Package templates holds the html/template files of the server-rendered
// pages, embedded. layout.html defines the page around a "content" block
// that each other file defines; provider/web parses them once at start.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed *.html mail/*
var files embed.FS

// FS is the template files, by name at its root.
var FS fs.FS = files

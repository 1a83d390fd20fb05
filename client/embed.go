// Package client embeds the browser client, so that the server binary serves it and one file
// deploys the game. The JavaScript itself is in src/; see README.md at the repository root.
//
// The msgpack library is embedded from node_modules, where npm installs it from package.json
// and its lock file: run `npm ci` in this folder before building (the Makefile does).
package client

import (
	"embed"
	"io/fs"
)

//go:embed index.html style.css src/*.js
var static embed.FS

//go:embed node_modules/@msgpack/msgpack/dist.esm/*.mjs node_modules/@msgpack/msgpack/dist.esm/utils/*.mjs
var vendor embed.FS

// Static holds the page: index.html, style.css and src/.
func Static() fs.FS { return static }

// Msgpack holds the ES module build of @msgpack/msgpack, served at /vendor/msgpack/.
func Msgpack() fs.FS {
	sub, err := fs.Sub(vendor, "node_modules/@msgpack/msgpack/dist.esm")
	if err != nil {
		panic(err) // the path is fixed above; embedding would have failed first
	}
	return sub
}

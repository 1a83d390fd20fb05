// Package assets holds the game data that the server embeds into its binary: maps, for now.
// It holds no code beyond what hands the data out.
package assets

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed maps/*.txt
var maps embed.FS

// DefaultMap is the name of the map the server loads when none is chosen.
const DefaultMap = "courtyard"

// Map returns the source text of the embedded map called name (its file name without ".txt").
func Map(name string) ([]byte, error) {
	b, err := fs.ReadFile(maps, "maps/"+name+".txt")
	if err != nil {
		return nil, fmt.Errorf("assets: map %q: %w", name, err)
	}
	return b, nil
}

// MapNames lists the embedded maps.
func MapNames() []string {
	entries, _ := fs.ReadDir(maps, "maps")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if n := e.Name(); len(n) > 4 && n[len(n)-4:] == ".txt" {
			names = append(names, n[:len(n)-4])
		}
	}
	return names
}

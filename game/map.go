package game

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tickwire/tickwire/assets"
)

// Tile characters of a map block.
const (
	TileFloor = '.'
	TileWall  = '#'
	TileSpawn = 'S'
)

// Map is a block of square tiles, parsed from the text format in assets/maps. An arena is
// made by repeating the block to fill its size (see Arena).
type Map struct {
	Name     string
	TileSize float64 // world units per tile
	Cols     int
	Rows     int
	Tiles    string // Cols*Rows tile characters, row-major, top row first
}

// ParseMap reads the text map format:
//
//	# comments before the separator
//	name: Courtyard
//	tile: 40
//	---
//	..S..#..
//	........
//
// Every grid row must have the same length; only '#', '.' and 'S' may appear, and the block
// must hold at least one spawn point.
func ParseMap(src []byte) (*Map, error) {
	m := &Map{TileSize: 40}
	sc := bufio.NewScanner(bytes.NewReader(src))
	line, inGrid := 0, false
	var grid strings.Builder
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), " \t\r")
		if !inGrid {
			switch {
			case text == "---":
				inGrid = true
			case text == "" || strings.HasPrefix(text, "#"):
			default:
				if err := m.setHeader(text); err != nil {
					return nil, fmt.Errorf("game: map line %d: %w", line, err)
				}
			}
			continue
		}
		if text == "" {
			continue
		}
		if m.Cols == 0 {
			m.Cols = len(text)
		}
		if len(text) != m.Cols {
			return nil, fmt.Errorf("game: map line %d: row has %d tiles, want %d like the first row", line, len(text), m.Cols)
		}
		for i := 0; i < len(text); i++ {
			if c := text[i]; c != TileFloor && c != TileWall && c != TileSpawn {
				return nil, fmt.Errorf("game: map line %d column %d: unknown tile %q (want '#', '.' or 'S')", line, i+1, c)
			}
		}
		grid.WriteString(text)
		m.Rows++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("game: map: %w", err)
	}
	if !inGrid || m.Rows == 0 {
		return nil, errors.New("game: map has no tile grid (a line \"---\" followed by rows)")
	}
	m.Tiles = grid.String()
	if !strings.ContainsRune(m.Tiles, TileSpawn) {
		return nil, errors.New("game: map has no spawn point 'S'")
	}
	return m, nil
}

// LoadMap parses the map embedded in assets under name (assets.DefaultMap, say).
func LoadMap(name string) (*Map, error) {
	src, err := assets.Map(name)
	if err != nil {
		return nil, err
	}
	m, err := ParseMap(src)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", name, err)
	}
	return m, nil
}

func (m *Map) setHeader(text string) error {
	key, value, ok := strings.Cut(text, ":")
	if !ok {
		return fmt.Errorf("want \"key: value\" or \"---\", got %q", text)
	}
	value = strings.TrimSpace(value)
	switch strings.TrimSpace(key) {
	case "name":
		m.Name = value
	case "tile":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || !(f >= 8 && f <= 1024) {
			return fmt.Errorf("tile: want a size from 8 to 1024 units, got %q", value)
		}
		m.TileSize = f
	default:
		return fmt.Errorf("unknown key %q (want name or tile)", key)
	}
	return nil
}

// Width and Height are the size of one block in world units.
func (m *Map) Width() float64  { return float64(m.Cols) * m.TileSize }
func (m *Map) Height() float64 { return float64(m.Rows) * m.TileSize }

// Arena is a map block repeated over a rectangle [0,W) x [0,H); everything outside is wall.
// W and H are whole numbers of tiles, so the arena's edge runs along tile edges.
type Arena struct {
	Map    *Map
	W, H   float64
	cols   int // tiles across the whole arena
	rows   int
	spawns []Vec // centres of every spawn tile in the arena
}

// NewArena covers a w x h rectangle with copies of m, rounded up to whole tiles. A size of
// zero means one block.
func NewArena(m *Map, w, h float64) *Arena {
	if w <= 0 {
		w = m.Width()
	}
	if h <= 0 {
		h = m.Height()
	}
	ts := m.TileSize
	a := &Arena{Map: m}
	a.cols = int(math.Ceil(w / ts))
	a.rows = int(math.Ceil(h / ts))
	a.W, a.H = float64(a.cols)*ts, float64(a.rows)*ts
	for ty := 0; ty < a.rows; ty++ {
		for tx := 0; tx < a.cols; tx++ {
			if a.tile(tx, ty) == TileSpawn {
				a.spawns = append(a.spawns, Vec{(float64(tx) + 0.5) * ts, (float64(ty) + 0.5) * ts})
			}
		}
	}
	return a
}

// tile returns the tile at tile coordinates (tx, ty) of the arena.
func (a *Arena) tile(tx, ty int) byte {
	if tx < 0 || ty < 0 || tx >= a.cols || ty >= a.rows {
		return TileWall
	}
	m := a.Map
	return m.Tiles[(ty%m.Rows)*m.Cols+tx%m.Cols]
}

// wallAt reports whether tile (tx, ty) blocks movement; tiles outside the arena do.
func (a *Arena) wallAt(tx, ty int) bool { return a.tile(tx, ty) == TileWall }

// IsWall reports whether the point p is inside a wall or outside the arena.
func (a *Arena) IsWall(p Vec) bool {
	if !(p.X >= 0 && p.Y >= 0 && p.X < a.W && p.Y < a.H) {
		return true
	}
	ts := a.Map.TileSize
	return a.wallAt(int(p.X/ts), int(p.Y/ts))
}

// Spawns returns the centres of the arena's spawn tiles. The caller must not modify it.
func (a *Arena) Spawns() []Vec { return a.spawns }

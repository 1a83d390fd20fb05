package netcode

import (
	"math/bits"
	"slices"
	"sync/atomic"

	"github.com/tickwire/tickwire/game"
)

// Interest management: each client sees the entities inside its area of interest, a circle
// around its player (or any point, for a spectator). An entity becomes visible within Enter
// of the focus and stays visible until it is farther than Leave, so that an entity moving
// along the edge does not flicker in and out. The client's own player is always visible.

// DefaultViewRadius is the radius within which entities become visible, in world units.
const DefaultViewRadius = 700

// leaveFactor sets the leave radius from the enter radius.
const leaveFactor = 1.15

// EntityIndex finds entities by position. The snapshot encoder builds one per tick, shared by
// every client's interest query.
type EntityIndex struct {
	grid *game.Grid
	pos  []game.Vec
	ids  []uint32
	// layout rises whenever an id moves to another index (someone joined or left), so that
	// per-client bitsets over indices from an earlier tick can tell they no longer apply.
	layout  uint64
	lastIDs []uint32
}

// reset indexes n entities over a w x h arena with cells of the given size.
func (x *EntityIndex) reset(w, h, cell float64, n int) {
	if x.grid == nil {
		x.grid = game.NewGrid(w, h, cell)
	}
	x.grid.Reset(n)
	x.lastIDs = append(x.lastIDs[:0], x.ids...)
	x.pos, x.ids = x.pos[:0], x.ids[:0]
}

// layouts numbers index layouts across every EntityIndex, so that a layout number is never
// shared by two indexes.
var layouts atomic.Uint64

// done finishes an index after the adds: it notes whether the layout changed.
func (x *EntityIndex) done() {
	if x.layout == 0 || !slices.Equal(x.ids, x.lastIDs) {
		x.layout = layouts.Add(1)
	}
}

func (x *EntityIndex) add(id uint32, p game.Vec) {
	x.grid.Insert(int32(len(x.ids)), p)
	x.ids = append(x.ids, id)
	x.pos = append(x.pos, p)
}

// Interest is one client's area of interest and the set it currently sees. Owned by the
// room goroutine; its methods allocate nothing once its slices have grown.
type Interest struct {
	Enter, Leave float64  // radii; Leave > Enter
	visible      []uint32 // ids, sorted
	index        []int32  // the index in the EntityIndex of each visible id, or -1
	marks        []uint64 // a bit per EntityIndex entry, set if visible at the last Update
	layout       uint64   // the EntityIndex layout marks refers to
	prev         []uint64 // scratch: the previous marks
	scratch      []int32
}

// NewInterest returns an Interest with the given enter radius.
func NewInterest(radius float64) *Interest {
	return &Interest{Enter: radius, Leave: radius * leaveFactor}
}

// Visible returns the ids the client sees, sorted. Valid until the next Update.
func (in *Interest) Visible() []uint32 { return in.visible }

// Update recomputes the visible set around focus from the entities in x, keeping self (0
// for none) whatever its distance. Index then gives each visible entity's place in x.
func (in *Interest) Update(x *EntityIndex, focus game.Vec, self uint32) []uint32 {
	r := game.Vec{X: in.Leave, Y: in.Leave}
	in.scratch = x.grid.Query(focus.Sub(r), focus.Add(r), in.scratch[:0])
	enter2, leave2 := in.Enter*in.Enter, in.Leave*in.Leave
	// The index holds entities in id order, so marking indices in a bitset and reading the
	// bits back in order gives the visible set sorted, without sorting.
	// Was an entity visible before? A bit test when the index layout is unchanged since the
	// last Update; a search of the visible ids otherwise.
	in.prev, in.marks = in.marks, in.prev
	samePlaces := in.layout == x.layout && len(in.prev) > 0
	in.layout = x.layout
	wasVisible := func(i int32, id uint32) bool {
		if samePlaces {
			return in.prev[i>>6]&(1<<(i&63)) != 0
		}
		return containsSorted(in.visible, id)
	}
	words := (len(x.ids) + 63) / 64
	if cap(in.marks) < words {
		in.marks = make([]uint64, words)
	}
	marks := in.marks[:words]
	clear(marks)
	in.marks = marks
	selfSeen := self == 0
	for _, i := range in.scratch {
		id := x.ids[i]
		d := x.pos[i].Sub(focus)
		d2 := d.Dot(d)
		if id == self || d2 <= enter2 || d2 <= leave2 && wasVisible(i, id) {
			marks[i>>6] |= 1 << (i & 63)
			selfSeen = selfSeen || id == self
		}
	}
	in.visible, in.index = in.visible[:0], in.index[:0]
	selfAt := -1 // where self goes if it was not indexed near its own focus
	if !selfSeen {
		selfAt = 0
	}
	for w, bitsLeft := range marks {
		for bitsLeft != 0 {
			i := int32(w<<6 + bits.TrailingZeros64(bitsLeft))
			bitsLeft &= bitsLeft - 1
			if selfAt >= 0 && x.ids[i] > self {
				in.visible, in.index = append(in.visible, self), append(in.index, -1)
				selfAt = -1
			}
			in.visible = append(in.visible, x.ids[i])
			in.index = append(in.index, i)
		}
	}
	if selfAt >= 0 {
		in.visible, in.index = append(in.visible, self), append(in.index, -1)
	}
	return in.visible
}

// Index returns, for each id of the last Update, its index in the EntityIndex, or -1.
func (in *Interest) Index() []int32 { return in.index }

// Reset forgets what the client saw: the next Update starts from nothing.
func (in *Interest) Reset() {
	in.visible = in.visible[:0]
	clear(in.marks)
}

func containsSorted(s []uint32, id uint32) bool {
	_, ok := slices.BinarySearch(s, id)
	return ok
}

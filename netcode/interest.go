package netcode

import (
	"math"
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
//
// Entities are numbered in id order (their index). The index also keeps them sorted by grid
// cell, cells in row-major order, so that the entities of a run of cells along a row lie next
// to each other in memory: a query walks a few contiguous spans, one per row of cells,
// each trimmed to the circle, rather than chasing lists cell by cell.
type EntityIndex struct {
	cell       float64
	perCell    float64 // 1/cell
	cols, rows int
	start      []int32     // cell c's entities are byCell[start[c]:start[c+1]]
	byCell     []cellEntry // entities sorted by cell
	cellOf     []int32     // scratch: each entity's cell, by index

	pos []game.Vec
	ids []uint32

	// layout numbers the assignment of ids to indices: it changes when an id moves to another
	// index (entities joined or left). remap turns an index of the previous layout
	// (prevLayout) into this one's, -1 for an entity that is gone, so that a client's marks
	// from the previous tick can follow.
	layout, prevLayout uint64
	lastIDs            []uint32
	remap              []int32
}

// cellEntry is an entity as a query reads it: where it is and its index.
type cellEntry struct {
	x, y float64
	i    int32
}

// reset starts indexing up to n entities over a w x h arena with cells of the given size.
func (x *EntityIndex) reset(w, h, cell float64, n int) {
	if x.cell != cell || x.cols != gridSpan(w, cell) || x.rows != gridSpan(h, cell) {
		x.cell, x.perCell, x.cols, x.rows = cell, 1/cell, gridSpan(w, cell), gridSpan(h, cell)
		x.start = make([]int32, x.cols*x.rows+1)
	}
	x.lastIDs = append(x.lastIDs[:0], x.ids...)
	x.pos, x.ids = x.pos[:0], x.ids[:0]
	x.byCell = slices.Grow(x.byCell[:0], n)
	x.cellOf = slices.Grow(x.cellOf[:0], n)
}

func gridSpan(length, cell float64) int { return max(1, int(math.Ceil(length/cell))) }

// add indexes the next entity. Ids must come in increasing order.
func (x *EntityIndex) add(id uint32, p game.Vec) {
	x.ids = append(x.ids, id)
	x.pos = append(x.pos, p)
}

// layouts numbers index layouts across every EntityIndex, so that a layout number is never
// shared by two indexes.
var layouts atomic.Uint64

// done finishes an index after the adds: it sorts the entities by cell (a counting sort) and
// notes whether the layout changed.
func (x *EntityIndex) done() {
	clear(x.start)
	x.cellOf = x.cellOf[:len(x.ids)]
	for i, p := range x.pos {
		c := x.col(p.X) + x.row(p.Y)*x.cols
		x.cellOf[i] = int32(c)
		x.start[c+1]++
	}
	for c := 1; c < len(x.start); c++ {
		x.start[c] += x.start[c-1]
	}
	x.byCell = x.byCell[:len(x.ids)]
	for i, p := range x.pos {
		c := x.cellOf[i]
		// start[c] is used as the fill point of cell c, so that afterwards start[c] is where
		// cell c+1 begins; shifting the starts back one cell below restores them.
		x.byCell[x.start[c]] = cellEntry{x: p.X, y: p.Y, i: int32(i)}
		x.start[c]++
	}
	copy(x.start[1:], x.start[:len(x.start)-1])
	x.start[0] = 0

	if x.layout != 0 && slices.Equal(x.ids, x.lastIDs) {
		return
	}
	// A new layout: map the previous one's indices onto it, by a merge of the sorted ids.
	x.prevLayout, x.layout = x.layout, layouts.Add(1)
	x.remap = slices.Grow(x.remap[:0], len(x.lastIDs))[:len(x.lastIDs)]
	j := 0
	for k, id := range x.lastIDs {
		for j < len(x.ids) && x.ids[j] < id {
			j++
		}
		if j < len(x.ids) && x.ids[j] == id {
			x.remap[k] = int32(j)
		} else {
			x.remap[k] = -1
		}
	}
}

func (x *EntityIndex) col(v float64) int { return min(max(int(v*x.perCell), 0), x.cols-1) }
func (x *EntityIndex) row(v float64) int { return min(max(int(v*x.perCell), 0), x.rows-1) }

// Interest is one client's area of interest and the set it currently sees. Owned by the
// room goroutine; its methods allocate nothing once its slices have grown.
type Interest struct {
	Enter, Leave float64  // radii; Leave > Enter
	visible      []uint32 // ids, sorted
	index        []int32  // the index in the EntityIndex of each visible id, or -1
	marks        []uint64 // a bit per EntityIndex entry, set if visible at the last Update
	layout       uint64   // the EntityIndex layout marks refers to
	spare        []uint64 // scratch: the previous marks, the next Update's
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
	words := (len(x.ids) + 63) / 64
	// Was an entity visible before? A bit test in the marks of the last Update, carried over to
	// this layout if it changed since; a search of the visible ids if the last Update was
	// longer ago than the layout before this one.
	old := in.marks
	var prev []uint64
	bySearch, sameLayout := false, in.layout == x.layout
	switch {
	case sameLayout:
		prev = old
	case in.layout == x.prevLayout && in.layout != 0:
		prev = grownClear(old, words) // the old marks are carried by index, not needed as such
		for _, i := range in.index {
			if i >= 0 {
				if j := x.remap[i]; j >= 0 {
					prev[j>>6] |= 1 << (j & 63)
				}
			}
		}
	default:
		bySearch = true
		prev = old
	}
	marks := grownClear(in.spare, words)
	in.marks, in.spare, in.layout = marks, prev, x.layout

	// Mark what is visible now: walk the cells that the leave circle touches, a span of
	// contiguous cells per row, trimmed to the circle's width in that row.
	enter2, leave2 := in.Enter*in.Enter, in.Leave*in.Leave
	if len(x.ids) > 0 {
		r0, r1 := x.row(focus.Y-in.Leave), x.row(focus.Y+in.Leave)
		for r := r0; r <= r1; r++ {
			// The row's nearest y to the focus gives the circle's widest extent in it.
			// The edge rows also hold whatever lies beyond the arena's edge.
			top, bottom := float64(r)*x.cell, float64(r+1)*x.cell
			if r == 0 {
				top = math.Inf(-1)
			}
			if r == x.rows-1 {
				bottom = math.Inf(1)
			}
			dy := max(top-focus.Y, focus.Y-bottom, 0)
			if dy > in.Leave {
				continue
			}
			half := math.Sqrt(max(leave2-dy*dy, 0))
			span := x.byCell[x.start[r*x.cols+x.col(focus.X-half)]:x.start[r*x.cols+x.col(focus.X+half)+1]]
			if bySearch {
				markSearched(span, focus, enter2, leave2, marks, in.visible, x.ids)
			} else {
				markSpan(span, focus, enter2, leave2, marks, prev)
			}
		}
	}
	// Self, wherever it is.
	selfIndexed := false
	if self != 0 {
		if k, ok := slices.BinarySearch(x.ids, self); ok {
			selfIndexed = true
			marks[k>>6] |= 1 << (k & 63)
		}
	}
	if sameLayout && slices.Equal(marks, prev) {
		return in.visible // the same entities at the same indices: most ticks, for players
	}
	visible, index := collect(marks, x.ids, in.visible[:0], in.index[:0])
	if self != 0 && !selfIndexed {
		k, _ := slices.BinarySearch(visible, self)
		visible, index = slices.Insert(visible, k, self), slices.Insert(index, k, -1)
	}
	in.visible, in.index = visible, index
	return visible
}

// markSpan marks the entities of span that are visible from focus: inside the enter radius,
// or inside the leave radius and visible before (in prev).
func markSpan(span []cellEntry, focus game.Vec, enter2, leave2 float64, marks, prev []uint64) {
	for _, e := range span {
		ex, ey := e.x-focus.X, e.y-focus.Y
		d2 := ex*ex + ey*ey
		if d2 <= enter2 || d2 <= leave2 && prev[e.i>>6]&(1<<(e.i&63)) != 0 {
			marks[e.i>>6] |= 1 << (e.i & 63)
		}
	}
}

// markSearched is markSpan for a client whose marks are too old: what was visible before is
// searched for in its visible ids.
func markSearched(span []cellEntry, focus game.Vec, enter2, leave2 float64, marks []uint64, visible, ids []uint32) {
	for _, e := range span {
		ex, ey := e.x-focus.X, e.y-focus.Y
		d2 := ex*ex + ey*ey
		if d2 <= enter2 || d2 <= leave2 && containsSorted(visible, ids[e.i]) {
			marks[e.i>>6] |= 1 << (e.i & 63)
		}
	}
}

// collect appends the marked entities' ids and indices. The index holds entities in id
// order, so reading the bits back in order gives the ids sorted, without sorting.
func collect(marks []uint64, ids, visible []uint32, index []int32) ([]uint32, []int32) {
	n := 0
	for _, w := range marks {
		n += bits.OnesCount64(w)
	}
	visible, index = slices.Grow(visible, n)[:n], slices.Grow(index, n)[:n]
	k := 0
	for w, bitsLeft := range marks {
		for bitsLeft != 0 && k < n {
			i := int32(w<<6 + bits.TrailingZeros64(bitsLeft))
			bitsLeft &= bitsLeft - 1
			visible[k], index[k] = ids[i], i
			k++
		}
	}
	return visible, index
}

// grownClear returns s with n zeroed words, reusing its array when it is large enough.
func grownClear(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// Index returns, for each id of the last Update, its index in the EntityIndex, or -1.
func (in *Interest) Index() []int32 { return in.index }

// Reset forgets what the client saw: the next Update starts from nothing.
func (in *Interest) Reset() {
	in.visible, in.index = in.visible[:0], in.index[:0]
	clear(in.marks)
	in.layout = 0
}

func containsSorted(s []uint32, id uint32) bool {
	_, ok := slices.BinarySearch(s, id)
	return ok
}

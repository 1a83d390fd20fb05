package netcode

import (
	"math"
	"math/bits"
	"slices"

	"github.com/tickwire/tickwire/game"
)

// Bullets' interest. Bullets fly straight, so a client computes where a bullet is from where
// and when it appeared (see BulletQ), and a snapshot sends a bullet once, then names it among
// the removed when it ends. Which bullets a client gets follows from that: those whose flight
// passes through its area of interest. When a bullet appears, each client looks at where it
// will fly, from where it is to where its range runs out, and takes it if that passes within
// its view radius of its focus; it keeps it until it ends. The client then draws the bullets
// that fly into view as they come, from the edge, and sends nothing about them in between.
//
// A client that starts watching (or reconnects), and one whose focus jumped (a respawn, a
// spectator moving on), looks at every bullet in flight in the same way: what is left of each
// flight.
//
// This costs a client little: a look at the few bullets that appeared since its last snapshot
// near it, which a grid over their flights finds without looking at the others, and a pass
// over the handful it has, to move them to their places this tick and drop the ones that
// ended.

// bulletView is what one client sees of the bullets.
type bulletView struct {
	radius  float64
	visible []uint32 // ids, sorted
	index   []int32  // each visible bullet's place in the tick's flights (and bullets)
	// tick is the tick visible is for (0: never); lastID the newest bullet id then, focus the
	// client's focus then. next and nextIndex are scratch for merging.
	tick      uint32
	lastID    uint32
	focus     game.Vec
	next      []uint32
	nextIndex []int32
}

func (bv *bulletView) setRadius(radius float64) { bv.radius = radius }

// reset forgets what the client saw.
func (bv *bulletView) reset() {
	bv.visible, bv.index = bv.visible[:0], bv.index[:0]
	bv.tick = 0
}

// flights is a tick's bullets as their interest reads them, in id order: each one's flight,
// and how the bullets changed since the previous tick.
type flights struct {
	tick, prevTick uint32
	ids            []uint32
	// Each bullet's flight twice: its bounding box, which turns most clients away at a glance,
	// and the segment, for those it does not. The boxes sit apart, 32 bytes each, so that a
	// look along them (take's, fresh's) reads one contiguous run.
	boxes []box
	paths []flight
	// remap turns a bullet's place in the previous tick's flights (lastIDs) into its place in
	// this one's, -1 for one that ended. Bullets from firstNew on appeared since the previous
	// tick, whose newest bullet was prevMaxID; maxID is this tick's (ids only grow).
	lastIDs          []uint32
	remap            []int32
	firstNew         int
	prevMaxID, maxID uint32
	// fresh finds, among the new bullets (from firstNew on), those whose boxes come near a
	// client: nearly every client looks at the new bullets every tick, and at no others.
	fresh grid
}

// box is the rectangle from lo to hi.
type box struct {
	lo, hi game.Vec
}

// meets reports whether boxes b and c overlap (or touch).
func (b *box) meets(c *box) bool {
	return b.lo.X <= c.hi.X && b.hi.X >= c.lo.X && b.lo.Y <= c.hi.Y && b.hi.Y >= c.lo.Y
}

// boxSlack widens each flight's box on every side. The box is only a filter in front of the
// exact test (flight.passes): it must never turn away a flight that the test would take, as
// the rounding of the two comparisons might at the very edge. A thousandth of a unit is far
// more than either rounds.
const boxSlack = 1.0 / 1024

// flight is the segment a bullet will fly: from, from+along; inv is 1/|along|² (0 for a
// bullet that does not move).
type flight struct {
	from, along game.Vec
	inv         float64
}

// passes reports whether flight fl passes within r of p, through the point of the segment
// nearest p: at t along it, clamped to the segment.
func (fl *flight) passes(p game.Vec, r float64) bool {
	w := p.Sub(fl.from)
	t := w.Dot(fl.along) * fl.inv
	if t < 0 {
		t = 0
	} else if t > 1 {
		t = 1
	}
	d := w.Sub(fl.along.Scale(t))
	return d.Dot(d) <= r*r
}

// begin starts the flights of tick.
func (f *flights) begin(tick uint32) {
	f.prevTick, f.tick = f.tick, tick
	f.lastIDs, f.ids = f.ids, f.lastIDs[:0]
	f.boxes, f.paths = f.boxes[:0], f.paths[:0]
	f.prevMaxID = f.maxID
}

// add adds the next bullet (ids rising), which flies from from to to.
func (f *flights) add(id uint32, from, to game.Vec) {
	along := to.Sub(from)
	inv := 0.0
	if l2 := along.Dot(along); l2 > 0 {
		inv = 1 / l2
	}
	f.ids = append(f.ids, id)
	f.boxes = append(f.boxes, box{
		lo: game.Vec{X: min(from.X, to.X) - boxSlack, Y: min(from.Y, to.Y) - boxSlack},
		hi: game.Vec{X: max(from.X, to.X) + boxSlack, Y: max(from.Y, to.Y) + boxSlack},
	})
	f.paths = append(f.paths, flight{from: from, along: along, inv: inv})
}

// done notes what changed since the previous tick and indexes the new bullets.
func (f *flights) done() {
	f.remap = remapIDs(f.remap, f.lastIDs, f.ids)
	f.firstNew = f.after(f.prevMaxID)
	if n := len(f.ids); n > 0 {
		f.maxID = max(f.maxID, f.ids[n-1])
	}
	f.fresh.build(f.boxes[f.firstNew:])
}

// after returns the place of the first bullet newer than id.
func (f *flights) after(id uint32) int {
	k, found := slices.BinarySearch(f.ids, id)
	if found {
		k++
	}
	return k
}

// seen returns the bullets the client of bv sees this tick from focus, and their places in
// the tick's bullets.
func (f *flights) seen(bv *bulletView, focus game.Vec) ([]uint32, []int32) {
	if bv.tick == f.tick && bv.tick != 0 {
		return bv.visible, bv.index // again this tick
	}
	// What it saw that still flies.
	switch bv.tick {
	case 0:
		bv.visible, bv.index = bv.visible[:0], bv.index[:0]
	case f.prevTick:
		f.follow(bv)
	default: // it missed ticks
		f.find(bv)
	}

	f.take(bv, focus, f.lookFrom(bv, focus))
	return bv.visible, bv.index
}

// lookFrom returns the place of the first bullet the client of bv, with its focus at focus,
// looks at this tick: those that appeared since it last looked, or every one if it starts
// watching or its focus jumped.
func (f *flights) lookFrom(bv *bulletView, focus game.Vec) int {
	if moved := focus.Sub(bv.focus); bv.tick == 0 || moved.Dot(moved) > jumpLimit*jumpLimit {
		return 0
	}
	if bv.lastID != f.prevMaxID {
		return f.after(bv.lastID)
	}
	return f.firstNew
}

// take adds to what the client of bv has the bullets from place from on whose flight passes
// within its radius of focus, and notes that it has looked this tick.
func (f *flights) take(bv *bulletView, focus game.Vec, from int) {
	r := game.Vec{X: bv.radius, Y: bv.radius}
	view := box{lo: focus.Sub(r), hi: focus.Add(r)}
	if from == f.firstNew { // all newer than those it has, and new this tick: the common case
		f.takeFresh(bv, focus, &view)
	} else { // it starts, jumped or missed ticks
		f.merge(bv, from, focus, &view)
	}
	bv.tick, bv.lastID, bv.focus = f.tick, f.maxID, focus
}

// followsFresh reports whether seen, for the client of bv with its focus at focus, would only
// follow what it saw the tick before and take bullets new this tick: the common case, for
// which followFresh does the same.
func (f *flights) followsFresh(bv *bulletView, focus game.Vec) bool {
	return bv.tick != 0 && bv.tick == f.prevTick && bv.tick != f.tick && f.lookFrom(bv, focus) == f.firstNew
}

// followFresh is seen for a client that followsFresh and whose baseline is what it saw the
// tick before: in the same pass as it drops the bullets that ended, it appends them to
// removed, and mixes the others into sum (as bulletEntries would). It returns how many it
// kept; those after them in bv.visible are the bullets it took, new this tick.
func (f *flights) followFresh(bv *bulletView, focus game.Vec, removed []uint32, sum checksum) (int, []uint32, checksum) {
	// One loop, with a branch for the bullets that ended: few, and measured faster than
	// follow's branchless loop followed by a loop of the checksum's. Room for them is made
	// before it: an append in the loop, with its call to grow, left the compiler too few
	// registers, and it kept the loop's state in memory.
	remap, visible := f.remap, bv.visible
	index := bv.index[:len(visible)]
	removed = slices.Grow(removed, len(index))
	ended := removed[len(removed) : len(removed)+len(index)]
	n, e := 0, 0
	for k, i := range index {
		id, j := visible[k], remap[i]
		if j < 0 {
			ended[e] = id
			e++
			continue
		}
		visible[n], index[n] = id, j
		n++
		sum = mix(sum, id)
	}
	bv.visible, bv.index = visible[:n], index[:n]
	f.take(bv, focus, f.firstNew)
	return n, removed[:len(removed)+e], sum
}

// follow moves what the client of bv saw at the previous tick to this tick's places, through
// remap, and drops the bullets that ended. Up to the first that ended, only the places change;
// from there on each bullet moves down over those that ended before it, without a branch: a
// bullet that ended (its place -1) is written like the others, and the next overwrites it.
func (f *flights) follow(bv *bulletView) {
	remap, index := f.remap, bv.index
	k := remapUntilEnded(index, remap)
	if k == len(index) {
		return
	}
	visible, n := bv.visible[:len(index)], k
	for ; k < len(index); k++ {
		j := remap[index[k]]
		visible[n], index[n] = visible[k], j
		n += int(j>>31) + 1 // 0 if it ended, else 1
	}
	bv.visible, bv.index = visible[:n], index[:n]
}

// remapUntilEnded replaces each place in index by remap's, up to the first whose remap is -1,
// and returns how many it replaced.
func remapUntilEnded(index, remap []int32) int {
	for k, i := range index {
		j := remap[i]
		if j < 0 {
			return k
		}
		index[k] = j
	}
	return len(index)
}

// find finds what the client of bv saw, at some tick before the previous one, among this
// tick's bullets, and drops the bullets that ended.
func (f *flights) find(bv *bulletView) {
	n := 0
	for _, id := range bv.visible {
		if j, ok := slices.BinarySearch(f.ids, id); ok {
			bv.visible[n], bv.index[n] = id, int32(j)
			n++
		}
	}
	bv.visible, bv.index = bv.visible[:n], bv.index[:n]
}

// takeFresh appends to what the client of bv has the bullets new this tick whose flight
// passes within its radius of focus (view is its view square), as merge does from firstNew;
// but it tests only the few that fresh finds near the view. Those are nearly all the boxes
// that meet the view, and most of the flights pass: testing the boxes too would save little.
func (f *flights) takeFresh(bv *bulletView, focus game.Vec, view *box) {
	for w := range f.fresh.words {
		for near := f.fresh.near(view, w); near != 0; near &= near - 1 {
			i := f.firstNew + w*64 + bits.TrailingZeros64(near)
			if f.paths[i].passes(focus, bv.radius) {
				bv.add(f.ids[i], i)
			}
		}
	}
}

// add appends bullet id, at place i, to what the client sees.
func (bv *bulletView) add(id uint32, i int) {
	bv.visible, bv.index = append(bv.visible, id), append(bv.index, int32(i))
}

// merge adds to what the client of bv has the bullets from place from on whose flight passes
// within its radius of focus (view is its view square), keeping the ids in order.
func (f *flights) merge(bv *bulletView, from int, focus game.Vec, view *box) {
	next, nextIndex := bv.next[:0], bv.nextIndex[:0]
	k := 0
	for i := from; i < len(f.ids); i++ {
		id := f.ids[i]
		for k < len(bv.visible) && bv.visible[k] < id {
			next, nextIndex = append(next, bv.visible[k]), append(nextIndex, bv.index[k])
			k++
		}
		has := k < len(bv.visible) && bv.visible[k] == id
		if has {
			k++
		}
		if has || f.boxes[i].meets(view) && f.paths[i].passes(focus, bv.radius) {
			next, nextIndex = append(next, id), append(nextIndex, int32(i))
		}
	}
	next, nextIndex = append(next, bv.visible[k:]...), append(nextIndex, bv.index[k:]...)
	bv.visible, bv.next = next, bv.visible
	bv.index, bv.nextIndex = nextIndex, bv.index
}

// grid finds, among some boxes (a tick's new bullets'), those near a view, without looking at
// each. Along each axis the boxes' extent is cut into at most gridCells cells, and for each
// cell a bit set (a bit for each box, in order) says which boxes begin in that cell or
// before, and another which end in it or after. The boxes that overlap the cells from c0 to
// c1 are then those that begin by c1 and end from c0: two sets ANDed, whatever the view's
// size. The two axes together leave the boxes whose cells overlap the view's, in order: all
// those that meet the view, and a few more (cells are coarser than boxes).
type grid struct {
	x, y  gridAxis
	words int // uint64s in a bit set
}

// gridCells is the most cells a grid cuts an axis into. A view then reaches at most a cell
// beyond itself on either side; more cells would cost building them and no view anything.
const gridCells = 64

// gridAxis is a grid's cells along one axis, numbered from 0 to last: a coordinate x lies in
// cell (x-origin)*scale, the ones outside in the first or last (top is last, as a float).
// begun and ended hold a bit set for each cell.
type gridAxis struct {
	origin, scale, top float64
	last               int
	begun, ended       []uint64
}

// build indexes boxes.
func (g *grid) build(boxes []box) {
	g.words = (len(boxes) + 63) / 64
	g.x.build(boxes, g.words, func(b *box) (float64, float64) { return b.lo.X, b.hi.X })
	g.y.build(boxes, g.words, func(b *box) (float64, float64) { return b.lo.Y, b.hi.Y })
}

// build indexes boxes along the axis whose extent of each box span returns, with bit sets of
// the given words.
func (a *gridAxis) build(boxes []box, words int, span func(*box) (lo, hi float64)) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range boxes {
		l, h := span(&boxes[i])
		lo, hi = min(lo, l), max(hi, h)
	}
	a.origin, a.scale, a.last = lo, 0, 0
	if hi > lo {
		a.scale, a.last = gridCells/(hi-lo), gridCells-1
	}
	a.top = float64(a.last)
	n := (a.last + 1) * words
	a.begun, a.ended = resized(a.begun, n), resized(a.ended, n)
	clear(a.begun)
	clear(a.ended)
	for i := range boxes {
		l, h := span(&boxes[i])
		w, bit := i/64, uint64(1)<<(i%64)
		a.begun[a.cell(l)*words+w] |= bit
		a.ended[a.cell(h)*words+w] |= bit
	}
	// Each cell's sets so far hold the boxes that begin or end in it; make them cumulative.
	for k := words; k < n; k++ {
		a.begun[k] |= a.begun[k-words]
	}
	for k := n - words - 1; k >= 0; k-- {
		a.ended[k] |= a.ended[k+words]
	}
}

// cell returns the cell of coordinate x.
func (a *gridAxis) cell(x float64) int {
	switch c := (x - a.origin) * a.scale; {
	case c >= a.top:
		return a.last
	case c >= 0:
		return int(c)
	}
	return 0 // before the first, or NaN
}

// near returns word w of the set of boxes whose cells overlap those of view.
func (g *grid) near(view *box, w int) uint64 {
	x0, x1 := g.x.cell(view.lo.X)*g.words+w, g.x.cell(view.hi.X)*g.words+w
	y0, y1 := g.y.cell(view.lo.Y)*g.words+w, g.y.cell(view.hi.Y)*g.words+w
	return g.x.begun[x1] & g.x.ended[x0] & g.y.begun[y1] & g.y.ended[y0]
}

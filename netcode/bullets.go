package netcode

import (
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
// This costs a client little: a look at the few bullets that appeared since its last
// snapshot, most of them turned away by a box around their flight, and a pass over the
// handful it has to drop the ones that ended.

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
	paths          []flight
	// remap turns a bullet's place in the previous tick's flights (lastIDs) into its place in
	// this one's, -1 for one that ended. Bullets from firstNew on appeared since the previous
	// tick, whose newest bullet was prevMaxID; maxID is this tick's (ids only grow).
	lastIDs          []uint32
	remap            []int32
	firstNew         int
	prevMaxID, maxID uint32
}

// flight is the segment a bullet will fly: from, from+along; inv is 1/|along|² (0 for a
// bullet that does not move), lo and hi the corners of the segment's bounding box.
type flight struct {
	from, along game.Vec
	inv         float64
	lo, hi      game.Vec
}

// begin starts the flights of tick.
func (f *flights) begin(tick uint32) {
	f.prevTick, f.tick = f.tick, tick
	f.lastIDs, f.ids = f.ids, f.lastIDs[:0]
	f.paths = f.paths[:0]
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
	f.paths = append(f.paths, flight{
		from: from, along: along, inv: inv,
		lo: game.Vec{X: min(from.X, to.X), Y: min(from.Y, to.Y)},
		hi: game.Vec{X: max(from.X, to.X), Y: max(from.Y, to.Y)},
	})
}

// done notes what changed since the previous tick, by a merge of the sorted ids.
func (f *flights) done() {
	f.remap = slices.Grow(f.remap[:0], len(f.lastIDs))[:len(f.lastIDs)]
	j := 0
	for k, id := range f.lastIDs {
		for j < len(f.ids) && f.ids[j] < id {
			j++
		}
		f.remap[k] = -1
		if j < len(f.ids) && f.ids[j] == id {
			f.remap[k] = int32(j)
		}
	}
	f.firstNew = f.after(f.prevMaxID)
	if n := len(f.ids); n > 0 {
		f.maxID = max(f.maxID, f.ids[n-1])
	}
}

// after returns the place of the first bullet newer than id.
func (f *flights) after(id uint32) int {
	k, found := slices.BinarySearch(f.ids, id)
	if found {
		k++
	}
	return k
}

// passes reports whether bullet i's flight passes within r of p.
func (f *flights) passes(i int, p game.Vec, r float64) bool {
	fl := &f.paths[i]
	if p.X < fl.lo.X-r || p.X > fl.hi.X+r || p.Y < fl.lo.Y-r || p.Y > fl.hi.Y+r {
		return false
	}
	w := p.Sub(fl.from)
	t := min(max(w.Dot(fl.along)*fl.inv, 0), 1)
	d := w.Sub(fl.along.Scale(t))
	return d.Dot(d) <= r*r
}

// seen returns the bullets the client of bv sees this tick from focus, and their places in
// the tick's bullets.
func (f *flights) seen(bv *bulletView, focus game.Vec) ([]uint32, []int32) {
	if bv.tick == f.tick && bv.tick != 0 {
		return bv.visible, bv.index // again this tick
	}
	// What it saw that still flies.
	n := 0
	switch bv.tick {
	case 0:
	case f.prevTick:
		for k, i := range bv.index {
			if j := f.remap[i]; j >= 0 {
				bv.visible[n], bv.index[n] = bv.visible[k], j
				n++
			}
		}
	default: // it missed ticks
		for _, id := range bv.visible {
			if j, ok := slices.BinarySearch(f.ids, id); ok {
				bv.visible[n], bv.index[n] = id, int32(j)
				n++
			}
		}
	}
	bv.visible, bv.index = bv.visible[:n], bv.index[:n]

	// The bullets to look at: those that appeared since, or every one if the client starts
	// watching or its focus jumped.
	from := 0
	if moved := focus.Sub(bv.focus); bv.tick != 0 && moved.Dot(moved) <= jumpLimit*jumpLimit {
		from = f.firstNew
		if bv.lastID != f.prevMaxID {
			from = f.after(bv.lastID)
		}
	}
	if n == 0 || from == len(f.ids) || bv.visible[n-1] < f.ids[from] {
		for i := from; i < len(f.ids); i++ { // all newer than those it has
			if f.passes(i, focus, bv.radius) {
				bv.visible, bv.index = append(bv.visible, f.ids[i]), append(bv.index, int32(i))
			}
		}
	} else {
		f.merge(bv, from, focus)
	}
	bv.tick, bv.lastID, bv.focus = f.tick, f.maxID, focus
	return bv.visible, bv.index
}

// merge adds to what the client of bv has the bullets from place from on whose flight passes
// through its view, keeping the ids in order.
func (f *flights) merge(bv *bulletView, from int, focus game.Vec) {
	next, nextIndex := bv.next[:0], bv.nextIndex[:0]
	k := 0
	for i := from; i < len(f.ids); i++ {
		id := f.ids[i]
		for k < len(bv.visible) && bv.visible[k] < id {
			next, nextIndex = append(next, bv.visible[k]), append(nextIndex, bv.index[k])
			k++
		}
		if k < len(bv.visible) && bv.visible[k] == id || f.passes(i, focus, bv.radius) {
			next, nextIndex = append(next, id), append(nextIndex, int32(i))
			if k < len(bv.visible) && bv.visible[k] == id {
				k++
			}
		}
	}
	next, nextIndex = append(next, bv.visible[k:]...), append(nextIndex, bv.index[k:]...)
	bv.visible, bv.next = next, bv.visible
	bv.index, bv.nextIndex = nextIndex, bv.index
}

package netcode

import (
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/tickwire/tickwire/game"
)

// Interest management: each client sees the entities inside its area of interest, a circle
// around its player (or any point, for a spectator). An entity becomes visible within Enter
// of the focus and stays visible until it is farther than Leave, so that an entity moving
// along the edge does not flicker in and out. The client's own player is always visible.
//
// Players are found from each client's side, by an Interest that keeps candidates from tick
// to tick (below). Bullets, many, fast and short-lived, are found from the bullets' side, for
// every client at once (bullets.go).

// DefaultViewRadius is the radius within which entities become visible, in world units.
const DefaultViewRadius = 700

// leaveFactor sets the leave radius from the enter radius.
const leaveFactor = 1.15

// cellGrid sorts points by grid cell, cells in row-major order, so that the points of a run of
// cells along a row lie next to each other in memory: a query walks a few contiguous spans,
// one per row of cells, each trimmed to the circle, rather than chasing lists cell by cell.
type cellGrid struct {
	cell       float64
	perCell    float64 // 1/cell
	cols, rows int
	start      []int32     // cell c's points are byCell[start[c]:start[c+1]]
	byCell     []cellEntry // points sorted by cell
	cellOf     []int32     // scratch: each point's cell
}

// cellEntry is a point as a query reads it: where it is and its number.
type cellEntry struct {
	x, y float64
	i    int32
}

// sort sorts points pos (numbered by their place in pos) over a w x h arena into cells of the
// given size, by a counting sort. (Its loops work on locals, which the compiler keeps in
// registers, rather than on g's fields, which it reloads after every store.)
func (g *cellGrid) sort(w, h, cell float64, pos []game.Vec) {
	if g.cell != cell || g.cols != gridSpan(w, cell) || g.rows != gridSpan(h, cell) {
		g.cell, g.perCell, g.cols, g.rows = cell, 1/cell, gridSpan(w, cell), gridSpan(h, cell)
		g.start = make([]int32, g.cols*g.rows+1)
	}
	start := g.start
	clear(start)
	cellOf := resized(g.cellOf, len(pos))
	g.cellOf = cellOf
	for i, p := range pos {
		c := g.col(p.X) + g.row(p.Y)*g.cols
		cellOf[i] = int32(c)
		start[c+1]++
	}
	for c := 1; c < len(start); c++ {
		start[c] += start[c-1]
	}
	byCell := resized(g.byCell, len(pos))
	g.byCell = byCell
	for i, c := range cellOf {
		// start[c] is used as the fill point of cell c, so that afterwards start[c] is where
		// cell c+1 begins; shifting the starts back one cell below restores them.
		p := pos[i]
		byCell[start[c]] = cellEntry{x: p.X, y: p.Y, i: int32(i)}
		start[c]++
	}
	copy(start[1:], start[:len(start)-1])
	start[0] = 0
}

func gridSpan(length, cell float64) int { return max(1, int(math.Ceil(length/cell))) }

func (g *cellGrid) col(v float64) int { return min(max(int(v*g.perCell), 0), g.cols-1) }
func (g *cellGrid) row(v float64) int { return min(max(int(v*g.perCell), 0), g.rows-1) }

// rows returns the rows of cells within r of y.
func (g *cellGrid) rowsWithin(y, r float64) (int, int) { return g.row(y - r), g.row(y + r) }

// span returns the points of row r in the cells that the circle of radius r (r2 = r*r)
// around c touches: those of the row's cells within the circle's width in the row.
func (g *cellGrid) span(row int, c game.Vec, r, r2 float64) []cellEntry {
	// The row's nearest y to the center gives the circle's widest extent in it. The edge
	// rows also hold whatever lies beyond the arena's edge.
	top, bottom := float64(row)*g.cell, float64(row+1)*g.cell
	if row == 0 {
		top = math.Inf(-1)
	}
	if row == g.rows-1 {
		bottom = math.Inf(1)
	}
	dy := max(top-c.Y, c.Y-bottom, 0)
	if dy > r {
		return nil
	}
	half := math.Sqrt(max(r2-dy*dy, 0))
	return g.byCell[g.start[row*g.cols+g.col(c.X-half)]:g.start[row*g.cols+g.col(c.X+half)+1]]
}

// EntityIndex finds entities by position. The snapshot encoder builds one per tick, shared by
// every client's interest query. Entities are numbered in id order (their index); the grid
// numbers them the same.
type EntityIndex struct {
	cellGrid
	pos []game.Vec
	ids []uint32

	// layout numbers the assignment of ids to indices: it changes when an id moves to another
	// index (entities joined or left). remap turns an index of the previous layout
	// (prevLayout) into this one's, -1 for an entity that is gone, so that what a client knew
	// of the previous tick can follow.
	layout, prevLayout uint64
	lastIDs            []uint32
	remap              []int32

	// Motion since the previous build, for the Interests that keep candidates from build to
	// build. gen numbers the builds (prevGen is the one before), never shared between indexes.
	// drift adds up, build after build, the farthest any entity moved, leaving out those that
	// jumped: moved farther than jumpLimit or joined. jumped lists those by index, and
	// jumpedFrom where each was before (far away, for one that joined).
	gen, prevGen uint64
	drift        float64
	jumped       []int32
	jumpedFrom   []game.Vec
	lastPos      []game.Vec
}

// jumpLimit is the farthest an entity may move in one build without being listed as jumped.
// Players run 7.25 units a tick; a respawn jumps.
const jumpLimit = 64

// nowhere is where an entity that joined was before: farther than any reach.
var nowhere = game.Vec{X: math.Inf(1), Y: math.Inf(1)}

// reset starts indexing entities. The last build's lists become the previous ones, and
// theirs are reused.
func (x *EntityIndex) reset() {
	x.lastIDs, x.ids = x.ids, x.lastIDs[:0]
	x.lastPos, x.pos = x.pos, x.lastPos[:0]
}

// add indexes the next entity. Ids must come in increasing order.
func (x *EntityIndex) add(id uint32, p game.Vec) {
	x.ids = append(x.ids, id)
	x.pos = append(x.pos, p)
}

// layouts and builds number index layouts and builds across every EntityIndex, so that a
// number is never shared by two indexes.
var layouts, builds atomic.Uint64

// done finishes an index over a w x h arena with cells of the given size, after the adds: it
// sorts the entities by cell, notes how far they moved and whether the layout changed.
func (x *EntityIndex) done(w, h, cell float64) {
	x.sort(w, h, cell, x.pos)
	if x.motion() && x.layout != 0 {
		return
	}
	// A new layout: map the previous one's indices onto it.
	x.prevLayout, x.layout = x.layout, layouts.Add(1)
	x.remap = remapIDs(x.remap, x.lastIDs, x.ids)
}

// remapIDs sets remap, resized, to the place in ids of each of lastIDs, -1 for one that is
// not there, by a merge of the two sorted lists.
func remapIDs(remap []int32, lastIDs, ids []uint32) []int32 {
	remap = resized(remap, len(lastIDs))
	j := 0
	for k, id := range lastIDs {
		for j < len(ids) && ids[j] < id {
			j++
		}
		remap[k] = -1
		if j < len(ids) && ids[j] == id {
			remap[k] = int32(j)
		}
	}
	return remap
}

// motion notes how far each entity moved since the last build, and which jumped or joined,
// and reports whether the ids are the last build's (the layout is the same).
//
// An entity's previous position is found by a merge of the sorted ids. But the ids are
// usually the same, at the same indices: a first loop compares each id with the one at its
// own index and goes on to the merge, from where it stopped, only at the first that differs.
func (x *EntityIndex) motion() (same bool) {
	x.prevGen, x.gen = x.gen, builds.Add(1)
	x.jumped, x.jumpedFrom = x.jumped[:0], x.jumpedFrom[:0]
	ids, pos := x.ids, x.pos[:len(x.ids)]
	lastIDs, lastPos := x.lastIDs, x.lastPos[:len(x.lastIDs)]
	farthest := 0.0 // squared: farthest's square root is the drift
	n := min(len(ids), len(lastIDs))
	j := 0
	for ; j < n && ids[j] == lastIDs[j]; j++ {
		d := pos[j].Sub(lastPos[j])
		// d2 is not NaN, nor -0, when it passes: > is max.
		if d2 := d.X*d.X + d.Y*d.Y; d2 <= jumpLimit*jumpLimit {
			if d2 > farthest {
				farthest = d2
			}
		} else {
			x.jumped, x.jumpedFrom = append(x.jumped, int32(j)), append(x.jumpedFrom, lastPos[j])
		}
	}
	same = j == len(ids) && j == len(lastIDs)
	for k := j; j < len(ids); j++ { // the ids before j are the same: those before k are below ids[j]
		id := ids[j]
		for k < len(lastIDs) && lastIDs[k] < id {
			k++
		}
		from := nowhere
		if k < len(lastIDs) && lastIDs[k] == id {
			from = lastPos[k]
			d := pos[j].Sub(from)
			if d2 := d.X*d.X + d.Y*d.Y; d2 <= jumpLimit*jumpLimit {
				farthest = max(farthest, d2)
				continue
			}
		}
		x.jumped, x.jumpedFrom = append(x.jumped, int32(j)), append(x.jumpedFrom, from)
	}
	x.drift += math.Sqrt(farthest)
	return same
}

// Interest is one client's area of interest and the set it currently sees. Owned by the
// room goroutine; its methods allocate nothing once its slices have grown.
//
// Rather than query the index every tick, an Interest keeps candidates, the way molecular
// dynamics keeps Verlet neighbour lists: it gathers every entity within its leave radius plus
// a skin, and until the focus and the entities together may have moved as far as the skin,
// nothing else can come within the leave radius. The index adds up how far its entities may
// have moved (its drift), and lists those that jumped or joined, which are checked apart.
// Once the skin is used up it gathers again, and what it knew of the candidates it keeps
// still holds (regather).
//
// Nor does it test every candidate every tick. A candidate can only become visible or cease
// to be once the distance between it and the focus has changed by its slack, its distance to
// the radius that would change its state; until the motion since its last test reaches that,
// it is skipped. Most candidates are deep inside or well outside, so a tick tests a few, and
// the visible set changes by the few that changed.
type Interest struct {
	Enter, Leave float64  // radii; Leave > Enter
	visible      []uint32 // ids, sorted
	index        []int32  // the index in the EntityIndex of each visible id, or -1
	version      uint32   // changes whenever visible may have: equal versions, equal lists

	// The candidates, in no set order (a regather adds the new ones at the end): in near each
	// one's index in the EntityIndex<<1 | 1 if it is visible, in dues, at the same place, its
	// due, the motion (see motion) at which it must be tested again. The dues sit apart: the
	// test reads every due each tick, and the rest only of the few that are due. center, reach
	// and drift are the focus, the radius and the index's drift when they were gathered;
	// path is how far the focus has gone since, last where it was at the last Update. gen and
	// layout are the index's build and layout at the last Update (gen 0: none), self its self.
	near        []int32
	dues        []float32
	active      int // the candidates from active on are not due before the next regather
	center      game.Vec
	last        game.Vec
	reach       float64
	drift, path float64
	gen, layout uint64
	self        uint32
	flipped     []int32  // scratch: the candidates (by place in near) whose state changed
	marks       []uint64 // scratch for gathering

	gathers int // how many times the candidates were gathered, for tests and benchmarks
}

const testNow = -1 // a due that any motion reaches

// deepDue is a due that no test reaches before the next regather: a test's motion is below
// the skin (at the skin, follow finds the candidates stale), and so is its float32 rounding,
// a unit below this.
const deepDue = interestSkin + 1

// maxFlips is how many candidates may change state in one Update for the visible set to be
// edited rather than rebuilt.
const maxFlips = 8

// interestSkin is how much farther than its leave radius an Interest gathers candidates.
// A wider skin gathers more candidates, which cost little each while they are not due, and
// gathers less often: with everyone running at 7.25 units a tick, a skin of 192 lasts about
// thirteen ticks.
const interestSkin = 192

// NewInterest returns an Interest with the given enter radius.
func NewInterest(radius float64) *Interest {
	return &Interest{Enter: radius, Leave: radius * leaveFactor}
}

// Visible returns the ids the client sees, sorted. Valid until the next Update.
func (in *Interest) Visible() []uint32 { return in.visible }

// Index returns, for each id of the last Update, its index in the EntityIndex, or -1.
func (in *Interest) Index() []int32 { return in.index }

// Update recomputes the visible set around focus from the entities in x, keeping self (0
// for none) whatever its distance. Index then gives each visible entity's place in x.
func (in *Interest) Update(x *EntityIndex, focus game.Vec, self uint32) []uint32 {
	rebuild := in.gen == 0 || self != in.self
	switch in.follow(x, focus) {
	case lost:
		in.gather(x, focus)
		rebuild = true
	case stale:
		if in.regather(x, focus) {
			rebuild = true
		}
	}
	if !rebuild && in.layout != x.layout && !in.reindex(x) {
		rebuild = true
	}
	in.gen, in.layout, in.self, in.last = x.gen, x.layout, self, focus
	in.flipped = in.test(x.pos, focus, in.motion(x), in.flipped[:0])
	switch {
	case rebuild || len(in.flipped) > maxFlips:
		in.collect(x)
	case len(in.flipped) > 0:
		in.edit(x)
	default:
		return in.visible
	}
	in.keepSelf(x, self)
	return in.visible
}

// motion bounds how much the distance between the focus and any candidate (that did not jump)
// may have changed since the candidates were gathered: the entities' drift plus the focus's
// path.
func (in *Interest) motion(x *EntityIndex) float64 { return x.drift - in.drift + in.path }

// test tests the candidates that are due at motion m: which are visible from focus (inside the
// enter radius, or inside the leave radius and visible before), and when each must be tested
// again. It appends to flipped those whose state changed.
//
// It reads only the dues before active: those after are not due until the next regather. A
// handful of candidates are due each tick, and they are those near an edge, whose test goes
// either way: as a branch, it would be mispredicted half the time, and each test would wait for
// the one before. So the due candidates are found together, 64 at a time (dueMask), and a test
// branches only on a change of state, which is rare; the tests of a tick then overlap.
func (in *Interest) test(pos []game.Vec, focus game.Vec, m float64, flipped []int32) []int32 {
	now := float32(m)
	// A due is the motion m+slack, less a little, so that float32's rounding never tests it
	// too late.
	early := m - 1e-3
	enter, leave := in.Enter, in.Leave
	near, dues := in.near[:in.active], in.dues[:in.active]
	for base := 0; base < len(dues); base += 64 {
		for due := dueMask(dues[base:min(base+64, len(dues))], now); due != 0; due &= due - 1 {
			k := base + bits.TrailingZeros64(due)
			c := near[k]
			d := pos[c>>1].Sub(focus).Len()
			was := int(c & 1)
			vis := b2i(d <= enter) | b2i(d <= leave)&was
			// The slack is how much nearer the edge that would change its state it may come.
			dues[k] = float32(early + pick(vis, leave-d, d-enter))
			if vis != was {
				near[k] ^= 1
				flipped = append(flipped, int32(k))
			}
		}
	}
	return flipped
}

// dueMask returns which of dues (at most 64) are due at motion now, a bit for each: those not
// above now.
func dueMask(dues []float32, now float32) uint64 {
	if len(dues) == 0 {
		return 0
	}
	n := len(dues) &^ 3
	above := aboveMask(unsafe.SliceData(dues), n, now) | aboveEach(dues[n:], now)<<n
	return ^above & (^uint64(0) >> (64 - len(dues)))
}

// aboveEach returns a mask with bit k set for each of dues (at most 64) above now, one at a
// time: the last few that aboveMask leaves, and all of them where it has no assembly.
func aboveEach(dues []float32, now float32) uint64 {
	var m uint64
	for k, d := range dues {
		if d > now {
			m |= 1 << k
		}
	}
	return m
}

// b2i is 1 for true and 0 for false. The compiler makes it a flag set by a comparison, not a
// branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pick returns x if b is 1 and y if b is 0, without a branch.
func pick(b int, x, y float64) float64 {
	mask := -uint64(b)
	return math.Float64frombits(math.Float64bits(x)&mask | math.Float64bits(y)&^mask)
}

// collect rebuilds the visible ids and their indices from the candidates.
func (in *Interest) collect(x *EntityIndex) {
	index := slices.Grow(in.index[:0], len(in.near)+1)[:len(in.near)]
	n := 0
	for _, c := range in.near {
		index[n] = c >> 1
		n += int(c & 1)
	}
	index = index[:n]
	slices.Sort(index) // the candidates are in no order, the ids in index order
	visible := slices.Grow(in.visible[:0], n+1)[:n]
	for k, i := range index {
		visible[k] = x.ids[i]
	}
	in.visible, in.index = visible, index
	in.version++
}

// edit applies the candidates that changed state to the visible ids and their indices.
func (in *Interest) edit(x *EntityIndex) {
	in.version++
	for _, k := range in.flipped {
		c := in.near[k]
		i := c >> 1
		id := x.ids[i]
		at, found := slices.BinarySearch(in.visible, id)
		switch {
		case c&1 != 0 && !found:
			in.visible, in.index = slices.Insert(in.visible, at, id), slices.Insert(in.index, at, i)
		case c&1 == 0 && found:
			in.visible, in.index = slices.Delete(in.visible, at, at+1), slices.Delete(in.index, at, at+1)
		}
	}
}

// reindex carries the visible indices over to x's new layout, dropping the entities that
// left. It reports false when they must be collected again instead.
func (in *Interest) reindex(x *EntityIndex) bool {
	n := 0
	for k, i := range in.index {
		if i < 0 {
			return false // self, not indexed then: it may be now
		}
		if j := x.remap[i]; j >= 0 {
			in.visible[n], in.index[n] = in.visible[k], j
			n++
		}
	}
	if n < len(in.visible) {
		in.version++
	}
	in.visible, in.index = in.visible[:n], in.index[:n]
	return true
}

// keepSelf adds self to the visible ids if it is not there: visible whatever its distance.
func (in *Interest) keepSelf(x *EntityIndex, self uint32) {
	if self == 0 {
		return
	}
	k, found := slices.BinarySearch(in.visible, self)
	if found {
		return
	}
	i := int32(-1)
	if j, ok := slices.BinarySearch(x.ids, self); ok {
		i = int32(j)
		if c, ok := in.candidate(i); ok {
			// Visible, as self: tested every tick while it is visible only as self.
			in.near[in.dueNow(c)] = i<<1 | 1
		}
	}
	in.visible, in.index = slices.Insert(in.visible, k, self), slices.Insert(in.index, k, i)
	in.version++
}

// candidate returns the place in near of the entity at index i, and whether it is there.
// (Only a jump or a lost self asks: rarely.)
func (in *Interest) candidate(i int32) (int, bool) {
	for k, c := range in.near {
		if c>>1 == i {
			return k, true
		}
	}
	return 0, false
}

// add makes the entity at index i of x a candidate, due now.
func (in *Interest) add(x *EntityIndex, i int32) {
	in.near, in.dues = append(in.near, in.newCandidate(x, i)), append(in.dues[:len(in.near)], testNow)
	in.dueNow(len(in.near) - 1)
}

// dueNow makes the candidate at place c due now, and returns its place: if it was after
// active, it trades places with the first there, and active takes it in.
func (in *Interest) dueNow(c int) int {
	if a := in.active; c >= a {
		in.near[a], in.near[c] = in.near[c], in.near[a]
		in.dues[a], in.dues[c] = in.dues[c], in.dues[a]
		c = a
		in.active++
	}
	in.dues[c] = testNow
	return c
}

// newCandidate returns the entry in near of the entity at index i of x, which was not a
// candidate, so beyond the leave radius: visible only if it was self.
func (in *Interest) newCandidate(x *EntityIndex, i int32) int32 {
	if x.ids[i] == in.self {
		return i<<1 | 1
	}
	return i << 1
}

// followed is what follow found of the candidates.
type followed int

const (
	kept  followed = iota // they hold for x's build
	stale                 // they are in x's layout, jumps marked, but the skin is used up
	lost                  // they must be gathered from nothing
)

// follow carries the candidates over to x's current build, with the focus at focus. They are
// lost when the client missed a build of the index or the radius changed; stale when the
// focus and the entities may have moved farther than the skin since they were gathered, in
// which case they are regathered, but what they knew (states and dues) still holds.
func (in *Interest) follow(x *EntityIndex, focus game.Vec) followed {
	// Builds are numbered across every index, so a candidate list of this build or the one
	// before is this index's, and in a layout that remap knows: this one or the one before.
	if in.gen == 0 || in.reach != in.Leave+interestSkin || in.gen != x.gen && in.gen != x.prevGen {
		return lost
	}
	// An entity that is not a candidate was beyond reach of the center when they were
	// gathered, or when it jumped or joined, and has since moved at most the drift: it is
	// still beyond the leave radius of the focus while the motion stays within the skin.
	in.path += focus.Sub(in.last).Len()
	far := in.motion(x) >= interestSkin
	if in.gen == x.gen {
		if far {
			return stale
		}
		return kept // the same build again
	}
	if in.layout != x.layout {
		// Entities joined or left: the candidates' indices follow, the gone ones dropped.
		n, active := 0, 0
		for k, c := range in.near {
			if j := x.remap[c>>1]; j >= 0 {
				in.near[n], in.dues[n] = j<<1|c&1, in.dues[k]
				n++
				if k < in.active {
					active++
				}
			}
		}
		in.near, in.dues, in.active = in.near[:n], in.dues[:n], active
	}
	// Entities that jumped or joined: a candidate is tested now; another becomes one if within
	// reach (a regather finds it). A candidate was within reach plus the skin before it jumped.
	reach2, before2 := in.reach*in.reach, (in.reach+interestSkin)*(in.reach+interestSkin)
	for k, j := range x.jumped {
		to, from := x.pos[j].Sub(in.center), x.jumpedFrom[k].Sub(in.center)
		if to.Dot(to) > reach2 && from.Dot(from) > before2 {
			continue
		}
		if c, found := in.candidate(j); found {
			in.dueNow(c)
		} else if to.Dot(to) <= reach2 && !far {
			in.add(x, j)
		}
	}
	if far {
		return stale
	}
	return kept
}

// mark marks the entities within the leave radius plus the skin of focus, found by walking
// the cells that circle touches, and makes focus the center.
func (in *Interest) mark(x *EntityIndex, focus game.Vec) []uint64 {
	in.gathers++
	in.reach, in.center, in.drift, in.path = in.Leave+interestSkin, focus, x.drift, 0
	marks := grownClear(in.marks, (len(x.ids)+63)/64)
	in.marks = marks
	reach, reach2 := in.reach, in.reach*in.reach
	if len(x.ids) > 0 {
		r0, r1 := x.rowsWithin(focus.Y, reach)
		for r := r0; r <= r1; r++ {
			markWithin(x.span(r, focus, reach, reach2), focus, reach2, marks)
		}
	}
	return marks
}

// gather collects the candidates around focus from nothing: each is due for a test; whether
// it was visible is found by id.
func (in *Interest) gather(x *EntityIndex, focus game.Vec) {
	marks := in.mark(x, focus)
	n := 0
	for _, w := range marks {
		n += bits.OnesCount64(w)
	}
	// The marked entities in index order, each with whether it was visible: both lists are in
	// id order.
	near, vis := slices.Grow(in.near[:0], n), in.visible
	for w, bitsLeft := range marks {
		for bitsLeft != 0 {
			i := int32(w<<6 + bits.TrailingZeros64(bitsLeft))
			bitsLeft &= bitsLeft - 1
			id := x.ids[i]
			for len(vis) > 0 && vis[0] < id {
				vis = vis[1:]
			}
			c := i << 1
			if len(vis) > 0 && vis[0] == id {
				c |= 1
			}
			near = append(near, c)
		}
	}
	dues := resized(in.dues, len(near))
	for k := range dues {
		dues[k] = testNow
	}
	in.near, in.dues, in.active = near, dues, len(near)
}

// regather collects the candidates around focus again when the skin is used up (follow
// found them stale). A candidate that was one before keeps its state and its due, less the
// motion so far, the new gather's motion starting from nothing; only the new ones are due
// now, and no test is repeated that the old dues did not call for. It reports whether a
// visible candidate was dropped (beyond reach, so not visible but as self), which the
// visible ids must lose.
//
// Most of the marked entities were candidates, and few of the candidates are dropped: the
// candidates keep their places, closed up over the dropped ones, and take their marks off;
// the few marks left, the new candidates, are added after them. Those not due before the
// next regather (deep inside, mostly) go last, after active, where the test does not read.
func (in *Interest) regather(x *EntityIndex, focus game.Vec) (dropped bool) {
	// The new dues are the old ones less the motion, and less a little more, so that
	// float32's rounding never tests one too late.
	m := in.motion(x) + 1e-3
	marks := in.mark(x, focus)
	near, dues := in.near, in.dues[:len(in.near)]
	var gone int32 // the dropped candidates or'ed: bit 0 is whether one was visible
	k := 0
	for j, c := range near {
		i := c >> 1
		if w, bit := &marks[i>>6], uint64(1)<<(i&63); *w&bit != 0 {
			*w &^= bit
			near[k], dues[k] = c, float32(float64(dues[j])-m)
			k++
		} else {
			gone |= c
		}
	}
	near, dues = near[:k], dues[:k]
	for w, bitsLeft := range marks {
		for ; bitsLeft != 0; bitsLeft &= bitsLeft - 1 {
			i := int32(w<<6 + bits.TrailingZeros64(bitsLeft))
			near, dues = append(near, in.newCandidate(x, i)), append(dues, testNow)
		}
	}
	// Those not due before the next regather go last: [0, a) are due before, [b, n) not.
	a, b := 0, len(dues)
	for {
		for a < b && dues[a] < deepDue {
			a++
		}
		for a < b && dues[b-1] >= deepDue {
			b--
		}
		if a == b {
			break
		}
		b--
		near[a], near[b], dues[a], dues[b] = near[b], near[a], dues[b], dues[a]
		a++
	}
	in.near, in.dues, in.active = near, dues, a
	return gone&1 != 0
}

// markWithin marks the entities of span within distance sqrt(r2) of focus.
func markWithin(span []cellEntry, focus game.Vec, r2 float64, marks []uint64) {
	for _, e := range span {
		ex, ey := e.x-focus.X, e.y-focus.Y
		if ex*ex+ey*ey <= r2 {
			marks[e.i>>6] |= 1 << (e.i & 63)
		}
	}
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

// Reset forgets what the client saw: the next Update starts from nothing.
func (in *Interest) Reset() {
	in.visible, in.index = in.visible[:0], in.index[:0]
	in.gen = 0
	in.version++
}

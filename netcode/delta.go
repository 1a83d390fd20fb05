package netcode

import (
	"slices"

	"github.com/tickwire/tickwire/game"
)

// Delta snapshots, the Quake 3 model: the server remembers what it sent each client and
// encodes the next snapshot against the newest one the client has acknowledged (the ack in its
// inputs). Unchanged entities cost nothing, changed ones send their changed fields, entities
// that came into view come whole, and those that left are listed as removed. With no usable
// acknowledgement (a new client, a long stall, an ack outside what the server remembers) the
// snapshot is full: it applies to nothing.
//
// A snapshot frame (version 2) is
//
//	[4, tick, lastSeq, baseTick, players, bullets, removed, checksum]
//
// where baseTick is 0 for a full snapshot, players is a flat array of entries
// (idGap, mask, fields...), bullets a flat array of entering bullets (idGap, owner, x, y, vx,
// vy), removed a flat array of id gaps, and checksum 16 bits over the visible state after the
// snapshot is applied. PROTOCOL.md has the details.

// ringLen is how many sent snapshots a client's view remembers as possible baselines, and how
// many snapshot ticks of world state the encoder keeps. At 30 snapshots a second that is half
// a second of acknowledgement delay; a client further behind gets a full snapshot.
const ringLen = 16

// tickStates is the quantized state of every player at one snapshot tick, sorted by id, with
// the ids alone (for searching) and each player's checksum term, computed once for everyone.
type tickStates struct {
	tick    uint32
	players []PlayerQ
	ids     []uint32
	sums    []uint32
}

// find returns the player with id, trying index i first: the same player keeps its index
// from tick to tick unless players joined or left in between.
func (ts *tickStates) find(id uint32, i int32) (*PlayerQ, uint32) {
	if i < 0 || int(i) >= len(ts.ids) || ts.ids[i] != id {
		j, ok := slices.BinarySearch(ts.ids, id)
		if !ok {
			return nil, 0
		}
		i = int32(j)
	}
	return &ts.players[i], ts.sums[i]
}

// DeltaEncoder builds every client's snapshot for a tick. Update runs once per snapshot tick
// and does the shared work: quantizing the world, remembering it, indexing it for interest
// queries. AppendFor then costs each client its interest query and its own delta. Owned by
// the room goroutine; nothing allocates once the buffers have grown.
type DeltaEncoder struct {
	hist    [ringLen]tickStates
	n       int // snapshot ticks recorded
	cur     *tickStates
	bullets []BulletQ // sorted by id
	players EntityIndex
	shots   EntityIndex
	scratch DeltaScratch // for AppendFor
}

// DeltaScratch is the working space of one goroutine building snapshots. Several goroutines
// may build different clients' snapshots from one DeltaEncoder at once (after Update, which
// must not run meanwhile), each with its own DeltaScratch, through AppendForWith.
type DeltaScratch struct {
	entries []byte // one array's entries, before its length is known
	removed []uint32
}

// NewDeltaEncoder returns an encoder.
func NewDeltaEncoder() *DeltaEncoder { return &DeltaEncoder{} }

// interestCell is the cell size of the interest indexes: a view's query box, twice the leave
// radius across, covers about five cells a side.
const interestCell = 400

// Update records and indexes world w at its current tick.
func (e *DeltaEncoder) Update(w *game.World) {
	ts := &e.hist[e.n%ringLen]
	e.n++
	ts.tick = w.Tick
	ts.players, ts.ids, ts.sums = ts.players[:0], ts.ids[:0], ts.sums[:0]
	e.players.reset(w.Arena.W, w.Arena.H, interestCell, len(w.Players))
	for i := range w.Players {
		p := &w.Players[i]
		q := quantizePlayer(p)
		ts.players = append(ts.players, q)
		ts.ids = append(ts.ids, q.ID)
		ts.sums = append(ts.sums, playerSum(&q))
		e.players.add(uint32(p.ID), p.Pos)
	}
	e.players.done()
	e.cur = ts
	e.bullets = e.bullets[:0]
	e.shots.reset(w.Arena.W, w.Arena.H, interestCell, len(w.Bullets))
	for i := range w.Bullets {
		b := &w.Bullets[i]
		e.bullets = append(e.bullets, quantizeBullet(b, w.Tick))
		e.shots.add(uint32(b.ID), b.Pos)
	}
	e.shots.done()
}

// Tick is the tick of the last Update.
func (e *DeltaEncoder) Tick() uint32 { return e.cur.tick }

func (e *DeltaEncoder) states(tick uint32) *tickStates {
	for i := range e.hist {
		if e.hist[i].tick == tick && tick != 0 {
			return &e.hist[i]
		}
	}
	return nil
}

// bullet returns the bullet at index i of this tick (the interest index of bullets follows
// e.bullets).
func (e *DeltaEncoder) bullet(i int32) *BulletQ { return &e.bullets[i] }

// ClientView is what the server knows of one client's view: its area of interest and the
// snapshots it sent recently, as baselines for deltas. Owned by the room goroutine.
type ClientView struct {
	players, bullets *Interest
	ring             [ringLen]sentView
	n                int
	// Ack is the tick of the newest snapshot the client says it applied; the room sets it
	// from the client's inputs. 0 asks for a full snapshot.
	Ack uint32
}

type sentView struct {
	tick    uint32
	players []uint32 // visible player ids, sorted
	bullets []uint32 // visible bullet ids, sorted
}

// SetRadius changes how far the client sees (a spectator chooses).
func (v *ClientView) SetRadius(radius float64) {
	for _, in := range []*Interest{v.players, v.bullets} {
		in.Enter, in.Leave = radius, radius*leaveFactor
	}
}

// NewClientView returns the view of a client that sees radius units around its focus.
func NewClientView(radius float64) *ClientView {
	return &ClientView{players: NewInterest(radius), bullets: NewInterest(radius)}
}

func (v *ClientView) find(tick uint32) *sentView {
	if tick == 0 {
		return nil
	}
	for i := range v.ring {
		if v.ring[i].tick == tick {
			return &v.ring[i]
		}
	}
	return nil
}

// Reset forgets the client's baselines (after it reconnects): the next snapshot is full.
func (v *ClientView) Reset() {
	for i := range v.ring {
		v.ring[i].tick = 0
	}
	v.players.Reset()
	v.bullets.Reset()
	v.Ack = 0
}

// AppendFor appends to dst the snapshot for the client of view v, whose area of interest is
// centred on focus, whose own player is self (0 for a spectator) and whose newest applied input
// is lastSeq.
func (e *DeltaEncoder) AppendFor(dst []byte, v *ClientView, focus game.Vec, self, lastSeq uint32) []byte {
	return e.AppendForWith(&e.scratch, dst, v, focus, self, lastSeq)
}

// AppendForWith is AppendFor with the caller's scratch space, for building snapshots on
// several goroutines at once. Each client's view must be used by one goroutine at a time.
func (e *DeltaEncoder) AppendForWith(sc *DeltaScratch, dst []byte, v *ClientView, focus game.Vec, self, lastSeq uint32) []byte {
	cur := e.cur
	vp := v.players.Update(&e.players, focus, self)
	vpi := v.players.Index()
	vb := v.bullets.Update(&e.shots, focus, 0)
	vbi := v.bullets.Index()

	base := v.find(v.Ack)
	baseStates := e.states(v.Ack)
	if base == nil || baseStates == nil {
		base, baseStates = nil, nil
	}
	var baseTick uint32
	var basePlayers, baseBullets []uint32
	if base != nil {
		baseTick, basePlayers, baseBullets = base.tick, base.players, base.bullets
	}

	dst = appendArrayLen(dst, 8)
	dst = appendUint(dst, uint64(MsgSnapshot))
	dst = appendUint(dst, uint64(cur.tick))
	dst = appendUint(dst, uint64(lastSeq))
	dst = appendUint(dst, uint64(baseTick))

	// Players: changed or entering, in id order.
	b := sc.entries[:0]
	count, prev, bi := 0, uint32(0), 0
	sum := newChecksum()
	for k, id := range vp {
		p, term := cur.find(id, vpi[k])
		sum.add(term)
		var was *PlayerQ
		for bi < len(basePlayers) && basePlayers[bi] < id {
			bi++
		}
		if bi < len(basePlayers) && basePlayers[bi] == id {
			was, _ = baseStates.find(id, vpi[k])
		}
		if was != nil {
			mask := diff(was, p)
			if mask == 0 {
				continue // unchanged: costs nothing
			}
			b = appendUint(b, uint64(id-prev))
			b = append(b, mask&0x7f) // a positive fixint: bit 7 is fieldWhole, never set here
			var n int
			b, n = appendFields(b, mask, was, p)
			count += 2 + n
		} else {
			b = appendUint(b, uint64(id-prev))
			b = appendUint(b, uint64(fieldWhole))
			b = appendWhole(b, p)
			count += 2 + 9
		}
		prev = id
	}
	dst = appendArrayLen(dst, count)
	dst = append(dst, b...)

	// Bullets that came into view.
	b = b[:0]
	count, prev, bi = 0, 0, 0
	for k, id := range vb {
		sum.add(id)
		for bi < len(baseBullets) && baseBullets[bi] < id {
			bi++
		}
		if bi < len(baseBullets) && baseBullets[bi] == id {
			continue
		}
		q := e.bullet(vbi[k])
		b = appendUint(b, uint64(id-prev))
		b = appendUint(b, uint64(q.Owner))
		b = appendInt(b, int64(q.X))
		b = appendInt(b, int64(q.Y))
		b = appendInt(b, int64(q.VX))
		b = appendInt(b, int64(q.VY))
		count += 6
		prev = id
	}
	dst = appendArrayLen(dst, count)
	dst = append(dst, b...)
	sc.entries = b

	// Removed: in the baseline, no longer visible (left the view or ended).
	sc.removed = appendMissing(sc.removed[:0], basePlayers, vp)
	sc.removed = appendMissing(sc.removed, baseBullets, vb)
	slices.Sort(sc.removed)
	dst = appendArrayLen(dst, len(sc.removed))
	prev = 0
	for _, id := range sc.removed {
		dst = appendUint(dst, uint64(id-prev))
		prev = id
	}
	dst = appendUint(dst, uint64(sum.fold()))

	// Remember what this snapshot showed, as a baseline for later ones.
	s := &v.ring[v.n%ringLen]
	v.n++
	s.tick = cur.tick
	s.players = append(s.players[:0], vp...)
	s.bullets = append(s.bullets[:0], vb...)
	return dst
}

// appendMissing appends the ids of sorted list a that are not in sorted list b.
func appendMissing(dst, a, b []uint32) []uint32 {
	j := 0
	for _, id := range a {
		for j < len(b) && b[j] < id {
			j++
		}
		if j == len(b) || b[j] != id {
			dst = append(dst, id)
		}
	}
	return dst
}

// appendFields appends the fields of mask: positions as changes from the baseline (small
// numbers, a byte for a moving player), the rest as values. It returns how many it wrote.
func appendFields(b []byte, mask uint8, was, p *PlayerQ) ([]byte, int) {
	n := 0
	if mask&fieldX != 0 {
		b = appendInt(b, int64(p.X)-int64(was.X))
		n++
	}
	if mask&fieldY != 0 {
		b = appendInt(b, int64(p.Y)-int64(was.Y))
		n++
	}
	if mask&fieldAim != 0 {
		b = appendUint(b, uint64(p.Aim))
		n++
	}
	if mask&fieldFlags != 0 {
		b = appendUint(b, uint64(p.Flags))
		n++
	}
	if mask&fieldHealth != 0 {
		b = appendUint(b, uint64(p.Health))
		n++
	}
	if mask&fieldKills != 0 {
		b = appendUint(b, uint64(p.Kills))
		n++
	}
	if mask&fieldDeaths != 0 {
		b = appendUint(b, uint64(p.Deaths))
		n++
	}
	return b, n
}

// appendWhole appends every field of an entering player, positions absolute.
func appendWhole(b []byte, p *PlayerQ) []byte {
	b = appendInt(b, int64(p.X))
	b = appendInt(b, int64(p.Y))
	b = appendUint(b, uint64(p.Aim))
	b = appendUint(b, uint64(p.Flags))
	b = appendUint(b, uint64(p.Health))
	b = appendUint(b, uint64(p.Kills))
	b = appendUint(b, uint64(p.Deaths))
	b = appendUint(b, uint64(p.Hue))
	return appendStr(b, p.Name)
}

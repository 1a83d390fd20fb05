package netcode

import (
	"cmp"
	"encoding/binary"
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

	// shared holds, for the baselines many clients acknowledged, every player's delta entry
	// against that baseline, encoded once for all of them (ShareBaselines).
	shared    [ringLen]sharedDeltas
	nShared   int
	shareFrom int // clients on one baseline from which it is shared; 0 means defaultShareFrom
}

// sharedDeltas is every current player's delta entry (mask and fields, without the id gap)
// against the baseline at tick base, for the clients whose baseline it is: their entries
// differ only in the id gaps, so each costs a copy instead of a comparison and an encoding.
type sharedDeltas struct {
	base    uint32
	entries []sharedEntry // by the player's index this tick
	bytes   []byte
}

// sharedEntry locates one player's entry in sharedDeltas.bytes. n is the number of msgpack
// values the entry holds after its id gap: 0 for a player unchanged since the baseline (no
// entry at all), notInBase for one that did not exist then.
type sharedEntry struct {
	off    uint32
	len, n uint8
}

const notInBase = 0xff

// defaultShareFrom is how many clients must share a baseline for their entries to be encoded
// once. Encoding every player's entry costs about as much as a few clients' own deltas (each
// client sees some 40 players of 1,000); below that the clients encode their own.
const defaultShareFrom = 8

// DeltaScratch is the working space of one goroutine building snapshots. Several goroutines
// may build different clients' snapshots from one DeltaEncoder at once (after Update, which
// must not run meanwhile), each with its own DeltaScratch, through AppendForWith.
type DeltaScratch struct {
	entries []byte // one array's entries, before its length is known
	removed []uint32
	inBase  []bool // for each visible player, whether the baseline had it
}

// NewDeltaEncoder returns an encoder.
func NewDeltaEncoder() *DeltaEncoder { return &DeltaEncoder{} }

// interestCell is the cell size of the interest indexes. A query walks one span of cells per
// row, trimmed to the circle: smaller cells test fewer entities outside it but walk more rows.
// At the default view (leave radius 805), 400 executes the fewest instructions: five rows.
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
	e.nShared = 0
}

// ShareBaselines prepares the clients about to be encoded this tick, whose acknowledged
// ticks are acks: the baselines that enough of them share get every player's delta entry
// encoded once, which their snapshots then copy. It runs after Update and before the
// AppendFor calls, on the goroutine that owns the encoder; skipping it changes no output,
// only its cost.
func (e *DeltaEncoder) ShareBaselines(acks []uint32) {
	var counts [ringLen]int // clients by baseline, as places in hist
	for _, a := range acks {
		if a == 0 || a == e.cur.tick {
			continue
		}
		for k := range e.hist {
			if e.hist[k].tick == a {
				counts[k]++
				break
			}
		}
	}
	from := cmp.Or(e.shareFrom, defaultShareFrom)
	for k, n := range counts {
		if n >= from {
			e.share(&e.hist[k])
		}
	}
}

// share encodes every current player's delta entry against the baseline states bs.
func (e *DeltaEncoder) share(bs *tickStates) {
	sd := &e.shared[e.nShared]
	e.nShared++
	sd.base = bs.tick
	sd.entries = slices.Grow(sd.entries[:0], len(e.cur.players))[:len(e.cur.players)]
	sd.bytes = sd.bytes[:0]
	for i := range e.cur.players {
		p := &e.cur.players[i]
		was, _ := bs.find(p.ID, int32(i))
		if was == nil {
			sd.entries[i] = sharedEntry{n: notInBase}
			continue
		}
		if mask := diff(was, p); mask == 0 {
			sd.entries[i] = sharedEntry{}
		} else {
			off := len(sd.bytes)
			sd.bytes = append(sd.bytes, mask&0x7f)
			var n int
			sd.bytes, n = appendFields(sd.bytes, mask, was, p)
			sd.entries[i] = sharedEntry{off: uint32(off), len: uint8(len(sd.bytes) - off), n: uint8(n)}
		}
	}
	sd.bytes = append(sd.bytes, make([]byte, 8)...) // padding for appendEntry
}

// sharedFor returns the shared entries against baseline tick base, or nil.
func (e *DeltaEncoder) sharedFor(base uint32) *sharedDeltas {
	for k := range e.nShared {
		if e.shared[k].base == base {
			return &e.shared[k]
		}
	}
	return nil
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
//
// Its parts are values, not pointers, and the ticks of the remembered snapshots sit together
// apart from their contents: at a thousand clients a tick, each client's state is cold in the
// cache when its turn comes, and every separate place it touches costs a miss.
type ClientView struct {
	players, bullets Interest
	ticks            [ringLen]uint32 // the tick of each remembered snapshot, 0 for none
	ring             [ringLen]sentView
	n                int
	// ids holds the remembered snapshots' id lists, packed oldest first. Only the snapshots
	// the client may still acknowledge keep theirs: from its newest acknowledgement on, a few
	// ticks' worth, not ringLen.
	ids []uint32
	// Ack is the tick of the newest snapshot the client says it applied; the room sets it
	// from the client's inputs. 0 asks for a full snapshot.
	Ack uint32
}

// sentView is where a remembered snapshot's lists are in ClientView.ids: the visible player
// ids, sorted, then the visible bullet ids, sorted.
type sentView struct {
	off, players, bullets int32
}

// SetRadius changes how far the client sees (a spectator chooses).
func (v *ClientView) SetRadius(radius float64) {
	for _, in := range []*Interest{&v.players, &v.bullets} {
		in.Enter, in.Leave = radius, radius*leaveFactor
	}
}

// NewClientView returns the view of a client that sees radius units around its focus.
func NewClientView(radius float64) *ClientView {
	v := &ClientView{}
	v.SetRadius(radius)
	return v
}

// find returns the lists of the snapshot sent at tick, and whether it is remembered.
func (v *ClientView) find(tick uint32) (players, bullets []uint32, ok bool) {
	if tick == 0 {
		return nil, nil, false
	}
	for i, t := range v.ticks {
		if t == tick {
			s := v.ring[i]
			p := v.ids[s.off : s.off+s.players]
			return p, v.ids[s.off+s.players : s.off+s.players+s.bullets], true
		}
	}
	return nil, nil, false
}

// remember records the lists of the snapshot sent at tick, in place of the oldest.
func (v *ClientView) remember(tick uint32, players, bullets []uint32) {
	k := v.n % ringLen
	v.ticks[k] = 0
	need := len(players) + len(bullets)
	if len(v.ids)+need > cap(v.ids) {
		v.compact(need)
	}
	v.ring[k] = sentView{off: int32(len(v.ids)), players: int32(len(players)), bullets: int32(len(bullets))}
	v.ids = append(v.ids, players...)
	v.ids = append(v.ids, bullets...)
	v.ticks[k] = tick
	v.n++
}

// compact makes room for need more ids: it forgets the snapshots older than the client's
// acknowledgement (no later snapshot will be encoded against them: acknowledgements only
// move forward) and moves the lists of the others to the front. When that leaves less than
// room for three more snapshots of this size, it moves them to a larger array instead, so
// that compacting stays rare and steady state allocates nothing; when the array is more than
// twice what is needed (after the client stalled), to a smaller one.
func (v *ClientView) compact(need int) {
	from := len(v.ids)
	for k, t := range v.ticks {
		if t == 0 || v.Ack != 0 && int32(t-v.Ack) < 0 {
			v.ticks[k] = 0
			continue
		}
		from = min(from, int(v.ring[k].off)) // lists are packed oldest first
	}
	live := len(v.ids) - from
	ids := v.ids[:live]
	if c := cap(v.ids); live+3*need > c || c > 2*(live+4*need) {
		ids = make([]uint32, live, live+4*need)
	}
	copy(ids, v.ids[from:])
	for k, t := range v.ticks {
		if t != 0 {
			v.ring[k].off -= int32(from)
		}
	}
	v.ids = ids
}

// Reset forgets the client's baselines (after it reconnects): the next snapshot is full.
func (v *ClientView) Reset() {
	clear(v.ticks[:])
	v.ids = v.ids[:0]
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

	var baseTick uint32
	basePlayers, baseBullets, ok := v.find(v.Ack)
	baseStates := e.states(v.Ack)
	if ok && baseStates != nil {
		baseTick = v.Ack
	} else {
		basePlayers, baseBullets, baseStates = nil, nil, nil
	}

	dst = appendArrayLen(dst, 8)
	dst = appendUint(dst, uint64(MsgSnapshot))
	dst = appendUint(dst, uint64(cur.tick))
	dst = appendUint(dst, uint64(lastSeq))
	dst = appendUint(dst, uint64(baseTick))

	// Players changed or entering, then bullets entering, each walked alongside the baseline's
	// list, which finds those that left the view on the way.
	sum := newChecksum()
	b, count, removed := sc.entries[:0], 0, sc.removed[:0]
	b, count, removed, sum = e.playerEntries(sc, b, removed, sum, vp, vpi, basePlayers, baseStates, e.sharedFor(baseTick))
	nPlayersGone := len(removed)
	dst = appendArrayLen(dst, count)
	dst = append(dst, b...)
	b, count, removed, sum = e.bulletEntries(b[:0], removed, sum, vb, vbi, baseBullets)
	dst = appendArrayLen(dst, count)
	dst = append(dst, b...)
	sc.entries = b

	// Removed: in the baseline, no longer visible (left the view or ended), in id order: the
	// two sorted runs merged.
	dst = appendArrayLen(dst, len(removed))
	prev := uint32(0)
	ps, bs := removed[:nPlayersGone], removed[nPlayersGone:]
	for len(ps) > 0 || len(bs) > 0 {
		var id uint32
		if len(bs) == 0 || len(ps) > 0 && ps[0] < bs[0] {
			id, ps = ps[0], ps[1:]
		} else {
			id, bs = bs[0], bs[1:]
		}
		dst = appendUint(dst, uint64(id-prev))
		prev = id
	}
	sc.removed = removed
	dst = appendUint(dst, uint64(sum.fold()))

	v.remember(cur.tick, vp, vb) // a baseline for later snapshots
	return dst
}

// playerEntries appends to b the entries of the visible players vp (vpi: their indices this
// tick) against the baseline players basePlayers, whose states are baseStates, and copies
// them from shared when it is not nil. It appends the baseline players no longer visible to
// removed, mixes the visible players into sum, and returns the msgpack values it appended.
//
// It works in passes, each a loop over few variables: the compiler keeps those in registers,
// where one loop doing everything spilled and reloaded them on every player.
func (e *DeltaEncoder) playerEntries(sc *DeltaScratch, b []byte, removed []uint32, sum checksum, vp []uint32, vpi []int32, basePlayers []uint32, baseStates *tickStates, shared *sharedDeltas) ([]byte, int, []uint32, checksum) {
	cur := e.cur
	// Which visible players were in the baseline; which baseline players are gone.
	inBase := slices.Grow(sc.inBase[:0], len(vp))[:len(vp)]
	sc.inBase = inBase
	bi := 0
	for k, id := range vp {
		for bi < len(basePlayers) && basePlayers[bi] < id {
			removed = append(removed, basePlayers[bi])
			bi++
		}
		in := bi < len(basePlayers) && basePlayers[bi] == id
		if in {
			bi++
		}
		inBase[k] = in
	}
	removed = append(removed, basePlayers[bi:]...)
	// The checksum. The index of a visible player in this tick's states is its index in the
	// interest index, built from the same list; self alone may not be indexed.
	for k, i := range vpi {
		if i >= 0 {
			sum.add(cur.sums[i])
		} else {
			_, term := cur.find(vp[k], -1)
			sum.add(term)
		}
	}
	// The entries.
	count, prev := 0, uint32(0)
	for k, id := range vp {
		i := vpi[k]
		if inBase[k] && shared != nil && i >= 0 {
			se := shared.entries[i]
			if se.n == 0 {
				continue // unchanged: costs nothing
			}
			if se.n != notInBase {
				b = appendUint(b, uint64(id-prev))
				b = shared.appendEntry(b, se)
				count += 2 + int(se.n)
				prev = id
				continue
			}
		}
		var n int
		if b, n = e.ownEntry(b, id, i, prev, inBase[k], baseStates); n > 0 {
			count += n
			prev = id
		}
	}
	return b, count, removed, sum
}

// ownEntry appends player id's entry (index i this tick, -1 if unknown; prev the id before
// it) encoded for this client alone: whole if it was not in the baseline, else its changes
// from baseStates. It returns the msgpack values it appended, 0 for an unchanged player.
func (e *DeltaEncoder) ownEntry(b []byte, id uint32, i int32, prev uint32, inBase bool, baseStates *tickStates) ([]byte, int) {
	p, _ := e.cur.find(id, i)
	if !inBase {
		b = appendUint(b, uint64(id-prev))
		b = appendUint(b, uint64(fieldWhole))
		return appendWhole(b, p), 2 + 9
	}
	was, _ := baseStates.find(id, i)
	mask := diff(was, p)
	if mask == 0 {
		return b, 0
	}
	b = appendUint(b, uint64(id-prev))
	b = append(b, mask&0x7f) // a positive fixint: bit 7 is fieldWhole, never set here
	b, n := appendFields(b, mask, was, p)
	return b, 2 + n
}

// bulletEntries appends to b the bullets of vb (vbi: their indices this tick) that are not in
// the baseline bullets baseBullets, as playerEntries does for players.
func (e *DeltaEncoder) bulletEntries(b []byte, removed []uint32, sum checksum, vb []uint32, vbi []int32, baseBullets []uint32) ([]byte, int, []uint32, checksum) {
	count, prev, bi := 0, uint32(0), 0
	for k, id := range vb {
		sum.add(id)
		for bi < len(baseBullets) && baseBullets[bi] < id {
			removed = append(removed, baseBullets[bi])
			bi++
		}
		if bi < len(baseBullets) && baseBullets[bi] == id {
			bi++
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
	return b, count, append(removed, baseBullets[bi:]...), sum
}

// appendEntry appends entry se. Most entries are a few bytes (a moving player's is three or
// four), so those are copied as one 8-byte word, which the padding after the last entry keeps
// in bounds, rather than by a call to memmove.
func (sd *sharedDeltas) appendEntry(b []byte, se sharedEntry) []byte {
	if n := len(b); se.len <= 8 && cap(b)-n >= 8 {
		binary.LittleEndian.PutUint64(b[n:n+8], binary.LittleEndian.Uint64(sd.bytes[se.off:]))
		return b[:n+int(se.len)]
	}
	return append(b, sd.bytes[se.off:se.off+uint32(se.len)]...)
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

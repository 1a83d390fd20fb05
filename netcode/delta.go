package netcode

import (
	"cmp"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/tickwire/tickwire/game"
)

// Delta snapshots, the Quake 3 model: the server remembers what it sent each client and
// encodes the next snapshot against the newest one the client has acknowledged (the ack in its
// inputs). Unchanged entities cost nothing (a run of them between changed ones, two bytes),
// changed ones send their changed fields, entities that came into view come whole, and those
// that left are listed as removed. With no usable acknowledgement (a new client, a long
// stall, an ack outside what the server remembers) the snapshot is full: it applies to
// nothing.
//
// A snapshot frame (version 4) is
//
//	[4, tick, lastSeq, baseTick, players, entering, bullets, removed, checksum]
//
// where baseTick is 0 for a full snapshot; players is a flat array of entries, one for each
// of the baseline's players still in view, in order, so that an entry needs no id (a small turn
// alone, a mask and fields, or a run of players as predicted); entering a flat array of the
// players that came into view (idGap and every field); bullets a flat array of entering
// bullets (idGap, owner, x, y, dir); removed a flat array of id gaps; and checksum 16 bits over
// the visible state after the snapshot is applied. PROTOCOL.md has the details.

// snapshotFields is the length of a snapshot frame's array, its type included.
const snapshotFields = 9

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
	scratch DeltaScratch // for AppendFor

	flights flights // the bullets' paths, for their interest (bullets.go)
	// bulletBytes is the entries of this tick's bullets, encoded once (bulletEntries).
	bulletBytes encodedBullets

	// shared holds, for the baselines many clients acknowledged, every player's delta entry
	// against that baseline, encoded once for all of them (ShareBaselines).
	shared    [ringLen]sharedDeltas
	nShared   int
	shareFrom int // clients on one baseline from which it is shared; 0 means defaultShareFrom
}

// sharedDeltas is every current player's delta entry against the baseline at tick base, for
// the clients whose baseline it is: an entry is the same in each of their snapshots, so each
// costs a copy instead of a comparison and an encoding.
type sharedDeltas struct {
	base    uint32
	players []sharedPlayer // by the player's index this tick
}

// sharedPlayer is what a client on a shared baseline needs of a visible player: its entry and
// its checksum term, side by side so that the loop over the visible players reads one place
// for each.
type sharedPlayer struct {
	entry entryWord
	sum   uint32
}

// entryWord is one player's shared entry packed in a machine word, so that a client's copy of
// it is one load and one 8-byte store. The entry's bytes sit in the low seven bytes, first
// byte lowest (little-endian, as they are stored); bits 56-58 hold its length and bits 59-62
// the msgpack values it adds to the players array, so that its top byte is len + 8*values.
// Most entries are a small turn alone, one byte; a player that changed course takes a mask
// and a few fields.
//
// Two words are sentinels: 0, a player unchanged since the baseline (no entry at all), and
// ownWord, a player each client encodes on its own: one the baseline did not have, or whose
// entry is longer than seven bytes (a respawn, say).
type entryWord uint64

const (
	maxWordEntry           = 7 // bytes of entry a word holds
	ownWord      entryWord = 1 << 63
)

// top is entry w's top byte: len + 8*values.
func (w entryWord) top() int { return int(w >> 56) }

// len is the length of entry w in bytes.
func (w entryWord) len() int { return w.top() & 7 }

// values is the msgpack values entry w adds to the players array.
func (w entryWord) values() int { return w.top() >> 3 & 15 }

// defaultShareFrom is how many clients must share a baseline for their entries to be encoded
// once. Encoding every player's entry costs about as much as a few clients' own deltas (each
// client sees some 40 players of 1,000); below that the clients encode their own.
const defaultShareFrom = 8

// DeltaScratch is the working space of one goroutine building snapshots. Several goroutines
// may build different clients' snapshots from one DeltaEncoder at once (after Update, which
// must not run meanwhile), each with its own DeltaScratch, through AppendForWith.
type DeltaScratch struct {
	entries  []byte // one array's entries, before its length is known
	removed  []uint32
	entering []int32     // the places in the visible players' list of those the baseline lacked
	touched  uint32      // what touch read, kept so that the compiler keeps its loads
	next     *ClientView // the view to prefetch the lists of (Prefetch)
	fetched  *ClientView // the view whose lists were prefetched last
	rest     *ClientView // the view whose lists prefetchRest fetches, after prefetchNext
}

// NewDeltaEncoder returns an encoder.
func NewDeltaEncoder() *DeltaEncoder { return &DeltaEncoder{} }

// interestCell is the cell size of the interest indexes. A query walks one span of cells per
// row, trimmed to the circle: smaller cells test fewer entities outside it but walk more rows.
// At the default view (leave radius 805), 400 executes the fewest instructions: five rows.
const interestCell = 400

// Update records and indexes world w at its current tick.
//
// It quantizes the players and bullets into arrays sized beforehand, in place: this runs for
// every player and bullet each tick, and an append costs a check and a store of the length
// each time. (The arrays, the world's included, are resliced to one length n, which spares
// the loop its bounds checks.)
func (e *DeltaEncoder) Update(w *game.World) {
	ts := &e.hist[e.n%ringLen]
	e.n++
	ts.tick = w.Tick
	n := len(w.Players)
	ts.players, ts.ids, ts.sums = resized(ts.players, n), resized(ts.ids, n), resized(ts.sums, n)
	wp, players, ids, sums := w.Players[:n], ts.players[:n], ts.ids[:n], ts.sums[:n]
	e.players.reset()
	for i := range wp {
		p := &wp[i]
		q := &players[i]
		q.quantize(p)
		ids[i] = q.ID
		sums[i] = playerSum(q)
		e.players.add(q.ID, p.Pos)
	}
	e.players.done(w.Arena.W, w.Arena.H, interestCell)
	e.cur = ts
	bullets := resized(e.bullets, len(w.Bullets))
	e.bullets = bullets
	e.flights.begin(ts.tick)
	for i := range bullets {
		b := &w.Bullets[i]
		bullets[i] = quantizeBullet(b, ts.tick)
		from, to := w.Flight(b)
		e.flights.add(uint32(b.ID), from, to)
	}
	e.flights.done()
	e.bulletBytes.encode(e.bullets)
	e.nShared = 0
}

// resized returns s with length n, reusing its array when it is large enough. Its elements'
// values are left to be set.
func resized[T any](s []T, n int) []T { return slices.Grow(s[:0], n)[:n] }

// ShareBaselines prepares the clients about to be encoded this tick, whose acknowledged
// ticks are acks: the baselines that enough of them share get every player's delta entry
// encoded once, which their snapshots then copy. It runs after Update and before the
// AppendFor calls, on the goroutine that owns the encoder; skipping it changes no output,
// only its cost.
func (e *DeltaEncoder) ShareBaselines(acks []uint32) {
	var counts [ringLen]int // clients by baseline, as places in hist
	// Most clients acknowledged the tick the client before them did: each run of equal acks
	// is counted at once, its baseline looked up once.
	for i := 0; i < len(acks); {
		a, j := acks[i], i+1
		for j < len(acks) && acks[j] == a {
			j++
		}
		if k := e.baseline(a); k >= 0 {
			counts[k] += j - i
		}
		i = j
	}
	from := cmp.Or(e.shareFrom, defaultShareFrom)
	for k, n := range counts {
		if n >= from {
			e.share(&e.hist[k])
		}
	}
}

// baseline returns the place in hist of the states at tick a, a client's acknowledged tick,
// or -1 when it is no baseline: 0 (none), this tick's own, or forgotten.
func (e *DeltaEncoder) baseline(a uint32) int {
	if a == e.cur.tick {
		return -1
	}
	return e.histAt(a)
}

// histAt returns the place in hist of the states at tick, or -1 when they are not there (tick
// 0 never is). It looks from the newest back: a client's baseline is mostly one of the last
// few ticks. (Should Update have recorded a tick twice, the newer states are those that the
// snapshots sent since were encoded from.)
func (e *DeltaEncoder) histAt(tick uint32) int {
	if tick == 0 {
		return -1
	}
	for j := range uint(ringLen) {
		if k := (uint(e.n) + ringLen - 1 - j) % ringLen; e.hist[k].tick == tick {
			return int(k)
		}
	}
	return -1
}

// share encodes every current player's delta entry against the baseline states bs.
//
// The players are usually the same as the baseline's, in the same places: then each is
// compared with the one at its own index, all in one call of packEntries, and only a tick
// after players joined or left looks each up by id.
func (e *DeltaEncoder) share(bs *tickStates) {
	sd := &e.shared[e.nShared]
	e.nShared++
	sd.base = bs.tick
	cur := e.cur
	n := len(cur.players)
	out := resized(sd.players, n)
	sd.players = out
	players, sums := cur.players[:n], cur.sums[:n]
	if slices.Equal(cur.ids, bs.ids) {
		packEntries(out, bs.players[:n], players, sums, cur.tick-bs.tick)
		return
	}
	for i := range out {
		j, ok := slices.BinarySearch(bs.ids, players[i].ID)
		if !ok {
			out[i] = sharedPlayer{entry: ownWord, sum: sums[i]}
			continue
		}
		packEntries(out[i:i+1], bs.players[j:j+1], players[i:i+1], sums[i:i+1], cur.tick-bs.tick)
	}
}

// packEntries sets out[i] to player players[i]'s shared entry against its baseline state
// was[i], with its checksum term sums[i], for every i.
//
// It compares the fields, then packs the entry's bytes into the word, as diff and
// appendChanges would find and write them: a small turn alone at once (most entries are), the
// changed fields one after another in locals. An entry it cannot pack, longer than a word or
// with a field longer than two bytes (a respawn's jump, say), it leaves to deltaWordAppended.
// The loop does it all itself, calling nothing for most players: a call for each would cost
// as much again in saving and reloading the loop's state.
func packEntries(out []sharedPlayer, was, players []PlayerQ, sums []uint32, ticks uint32) {
	was, players, sums = was[:len(out)], players[:len(out)], sums[:len(out)]
	for i := range out {
		base, p := &was[i], &players[i]
		x, y := predict(base, ticks)
		dx, dy, turn := int64(p.X)-x, int64(p.Y)-y, int8(p.Aim-base.Aim)
		var mask uint8
		if dx != 0 {
			mask |= fieldX
		}
		if dy != 0 {
			mask |= fieldY
		}
		if turn != 0 {
			mask |= fieldAim
		}
		if p.VX != base.VX || p.VY != base.VY {
			mask |= fieldVel
		}
		if p.Flags != base.Flags {
			mask |= fieldFlags
		}
		if p.Health != base.Health {
			mask |= fieldHealth
		}
		if p.Kills != base.Kills || p.Deaths != base.Deaths {
			mask |= fieldScore
		}
		var entry entryWord // 0 for a player as predicted
		switch {
		case mask == 0:
		case isTurn(mask, turn):
			entry = entryWord(uint8(turn+turnCode)) | 1<<56 | 1<<59
		default:
			entry = packFields(mask, dx, dy, turn, p)
			if entry == 0 {
				entry = deltaWordAppended(mask, base, p, ticks)
			}
		}
		out[i] = sharedPlayer{entry: entry, sum: sums[i]}
	}
}

// packFields returns the word of the entry of mask's fields, of a player p whose position
// strayed dx and dy from the prediction and whose aim turned: the mask, then each field, as
// appendFields writes them. It returns 0 if the entry does not fit in a word.
func packFields(mask uint8, dx, dy int64, turn int8, p *PlayerQ) entryWord {
	w, n := uint64(mask), uint(1) // the entry so far, first byte lowest, and its length
	if mask&fieldX != 0 {
		w, n = packInt(w, n, dx)
	}
	if mask&fieldY != 0 {
		w, n = packInt(w, n, dy)
	}
	if mask&fieldAim != 0 {
		w, n = packInt(w, n, int64(turn))
	}
	if mask&fieldVel != 0 {
		w, n = packInt(w, n, int64(p.VX))
		w, n = packInt(w, n, int64(p.VY))
	}
	if mask&fieldFlags != 0 {
		w, n = packInt(w, n, int64(p.Flags))
	}
	if mask&fieldHealth != 0 {
		w, n = packInt(w, n, int64(p.Health))
	}
	if mask&fieldScore != 0 {
		w, n = packInt(w, n, int64(p.Kills))
		w, n = packInt(w, n, int64(p.Deaths))
	}
	if n > maxWordEntry {
		return 0
	}
	// The mask, and a value for each field, two for the velocity and for the score.
	values := 1 + bits.OnesCount8(mask) + b2i(mask&fieldVel != 0) + b2i(mask&fieldScore != 0)
	return entryWord(w) | entryWord(n)<<56 | entryWord(values)<<59
}

// packInt returns the entry bytes w, n of them, with integer v packed after them as appendInt
// (and appendUint, for v >= 0) encodes it, and their new length, if that takes at most two
// bytes: a fixint (-32 to 127), or a uint 8 (128 to 255) or int 8 (-128 to -33). A longer one
// counts as eight bytes, more than a word holds; once the entry is longer than a word, w's
// bytes no longer matter: the shift wraps. (The entry goes in and out as values, which the
// compiler keeps in registers; as a struct's fields, it kept them in memory.)
func packInt(w uint64, n uint, v int64) (uint64, uint) {
	enc, size := uint64(uint8(v)), uint(1)
	switch {
	case uint64(v+32) <= 32+0x7f: // a fixint, -32 to 127
	case uint64(v-0x80) <= 0xff-0x80: // a uint 8, 128 to 255
		enc, size = 0xcc|enc<<8, 2
	case uint64(v+0x80) < 0x80-32: // an int 8, -128 to -33
		enc, size = 0xd0|enc<<8, 2
	default:
		size = 8
	}
	return w | enc<<(8*n&63), n + size
}

// deltaWordAppended returns the word of any entry, that of player p against its baseline
// state was, whose changed fields are mask: it encodes it with appendFields and reads the word
// back.
func deltaWordAppended(mask uint8, was, p *PlayerQ, ticks uint32) entryWord {
	var buf [48]byte // room for the longest entry: 1 + 9 + 9 (positions) + 2 + 5 + 5 + 2 + 5 + 5 + 5
	b, n := appendChanges(buf[:0], mask, was, p, ticks)
	if len(b) > maxWordEntry {
		return ownWord
	}
	// The entry is buf's first bytes; the rest of buf is still zero.
	return entryWord(binary.LittleEndian.Uint64(buf[:8])) | entryWord(len(b))<<56 | entryWord(n)<<59
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

// states returns the states at tick, or nil when they are not remembered.
func (e *DeltaEncoder) states(tick uint32) *tickStates {
	if k := e.histAt(tick); k >= 0 {
		return &e.hist[k]
	}
	return nil
}

// ClientView is what the server knows of one client's view: its area of interest and the
// snapshots it sent recently, as baselines for deltas. Owned by the room goroutine.
//
// Its parts are values, not pointers, and the ticks of the remembered snapshots sit together
// apart from their contents: at a thousand clients a tick, each client's state is cold in the
// cache when its turn comes, and every separate place it touches costs a miss.
type ClientView struct {
	players Interest
	bullets bulletView
	ticks   [ringLen]uint32 // the tick of each remembered snapshot, 0 for none
	ring    [ringLen]sentView
	n       int
	// ids holds the remembered snapshots' id lists, packed oldest first. Only the snapshots
	// the client may still acknowledge keep theirs: from its newest acknowledgement on, a few
	// ticks' worth, not ringLen.
	ids  []uint32
	peak int // the most ids a snapshot needed lately, for sizing ids (compact)
	// Ack is the tick of the newest snapshot the client says it applied; the room sets it
	// from the client's inputs. 0 asks for a full snapshot.
	Ack uint32
	// synced is set once a snapshot went out against a baseline the client acknowledged, and
	// cleared by a full one; resyncs counts the full ones it asked for while it was set.
	synced  bool
	resyncs uint64
}

// Resyncs returns how many times the client, after it had been sent deltas, asked for a full
// snapshot: it found one it could not apply (a checksum or baseline mismatch) and acknowledged
// 0. Neither its first full snapshots, before its first acknowledgement arrives, nor those
// after it fell so far behind that its acknowledgement left the ring, count.
func (v *ClientView) Resyncs() uint64 { return v.resyncs }

// sentView is where a remembered snapshot's lists are in ClientView.ids: the visible player
// ids, sorted, and the visible bullet ids, sorted. version is the players' Interest version
// then: a snapshot sent with the same players as the one before it shares that one's list.
type sentView struct {
	players, nPlayers int32
	bullets, nBullets int32
	version           uint32
}

// SetRadius changes how far the client sees (a spectator chooses).
func (v *ClientView) SetRadius(radius float64) {
	v.players.Enter, v.players.Leave = radius, radius*leaveFactor
	v.bullets.setRadius(radius)
}

// NewClientView returns the view of a client that sees radius units around its focus.
func NewClientView(radius float64) *ClientView {
	v := &ClientView{}
	v.SetRadius(radius)
	return v
}

// find returns the lists of the snapshot sent at tick and its players' version, and whether
// it is remembered. It looks from the newest back: a client acknowledges one of the last few.
// (Should two snapshots have been sent at one tick, the client applied the newer last.)
func (v *ClientView) find(tick uint32) (players, bullets []uint32, version uint32, ok bool) {
	if tick == 0 {
		return nil, nil, 0, false
	}
	for j := range uint(ringLen) {
		if i := (uint(v.n) + ringLen - 1 - j) % ringLen; v.ticks[i] == tick {
			s := &v.ring[i]
			return v.ids[s.players : s.players+s.nPlayers], v.ids[s.bullets : s.bullets+s.nBullets], s.version, true
		}
	}
	return nil, nil, 0, false
}

// remember records the lists of the snapshot sent at tick, in place of the oldest. players,
// at the given version, is stored only if the snapshot before had other players.
func (v *ClientView) remember(tick uint32, players []uint32, version uint32, bullets []uint32) {
	k, prev := v.n%ringLen, (v.n+ringLen-1)%ringLen
	v.ticks[k] = 0
	if need := len(players) + len(bullets); len(v.ids)+need > cap(v.ids) {
		v.compact(need) // it may forget the snapshot before, if the client acknowledged a later one
	}
	s := v.ring[prev]
	if v.n == 0 || v.ticks[prev] == 0 || s.version != version {
		s.players, s.nPlayers = int32(len(v.ids)), int32(len(players))
		v.ids = append(v.ids, players...)
	}
	s.bullets, s.nBullets, s.version = int32(len(v.ids)), int32(len(bullets)), version
	v.ids = append(v.ids, bullets...)
	v.ring[k] = s
	v.ticks[k] = tick
	v.n++
}

// sharesPlayers reports whether s's players list is last's: it starts at the same place, with
// as many ids (two empty lists may start where a third begins).
func (s *sentView) sharesPlayers(last *sentView) bool {
	return s.players == last.players && s.nPlayers == last.nPlayers
}

// compact makes room for need more ids: it forgets the snapshots older than the client's
// acknowledgement (no later snapshot will be encoded against them: acknowledgements only
// move forward) and moves the lists of the others to the front, oldest first, each list once
// (a snapshot's players may be the one before's) and nothing between them. When that leaves
// less than room for three more snapshots of this size, it moves them to a larger array
// instead, so that compacting stays rare and steady state allocates nothing; when the array
// is more than twice what is needed (after the client stalled), to a smaller one.
//
// Moving only the lists keeps what is live, and so the array's size, steady: a players list
// that many snapshots share would otherwise keep every list after it, and the array would
// grow and shrink in turns as that list is replaced.
func (v *ClientView) compact(need int) {
	var keep [ringLen]int // the places in ring of the snapshots kept, oldest first
	n, live, last := 0, 0, sentView{players: -1}
	for j := range ringLen {
		k := (v.n + j) % ringLen // from the oldest
		if t := v.ticks[k]; t == 0 || v.Ack != 0 && int32(t-v.Ack) < 0 {
			v.ticks[k] = 0
			continue
		}
		keep[n], n = k, n+1
		s := &v.ring[k]
		if !s.sharesPlayers(&last) {
			live += int(s.nPlayers)
			last = *s
		}
		live += int(s.nBullets)
	}
	// The array is sized for the most ids a snapshot needed lately (peak), not this one's:
	// a client's view holds more players and bullets in one place than in another, and an
	// array sized to each would grow and shrink in turns as it moves.
	v.peak = max(need, v.peak-v.peak/64)
	ids, size := v.ids[:0], live+4*v.peak
	if c := cap(v.ids); live+3*need > c || c > 2*size {
		ids = make([]uint32, 0, size)
	}
	// Lists are packed oldest first, so in place each one moves down, or stays.
	last, moved := sentView{players: -1}, int32(0)
	for _, k := range keep[:n] {
		s := &v.ring[k]
		if !s.sharesPlayers(&last) {
			last, moved = *s, int32(len(ids))
			ids = append(ids, v.ids[s.players:s.players+s.nPlayers]...)
		}
		s.players = moved
		from := s.bullets
		s.bullets = int32(len(ids))
		ids = append(ids, v.ids[from:from+s.nBullets]...)
	}
	v.ids = ids
}

// Reset forgets the client's baselines (after it reconnects): the next snapshot is full.
func (v *ClientView) Reset() {
	v.synced = false
	clear(v.ticks[:])
	v.ids = v.ids[:0]
	v.players.Reset()
	v.bullets.reset()
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
	basePlayers, baseBullets, baseVersion, ok := v.find(v.Ack)
	if v != sc.fetched || !canPrefetch { // else its lists are in the cache, or on their way
		sc.touched = v.touch(basePlayers, baseBullets)
	}
	sc.fetched = nil
	vp := v.players.Update(&e.players, focus, self)
	vpi := v.players.Index()
	var baseTick uint32
	baseStates := e.states(v.Ack)
	if ok && baseStates != nil {
		baseTick = v.Ack
		v.synced = true
	} else {
		basePlayers, baseBullets, baseStates = nil, nil, nil
		if v.synced && v.Ack == 0 {
			v.resyncs++
		}
		v.synced = false
	}
	// The bullets the client sees. Most clients' baseline is what they saw the tick before:
	// then they are found with the entries, in one pass (bulletsSincePrevious).
	var vb []uint32
	var vbi []int32
	sincePrevious := baseStates != nil && v.Ack == v.bullets.tick && e.flights.followsFresh(&v.bullets, focus)
	if !sincePrevious {
		vb, vbi = e.flights.seen(&v.bullets, focus)
	}
	sc.prefetchNext() // after the interest: the next client's struct has come by now

	dst = appendArrayLen(dst, snapshotFields)
	dst = appendUint(dst, uint64(MsgSnapshot))
	dst = appendUint(dst, uint64(cur.tick))
	dst = appendUint(dst, uint64(lastSeq))
	dst = appendUint(dst, uint64(baseTick))

	// The baseline's players still in view, then those entering, then the bullets entering,
	// each walked alongside the baseline's list, which finds those that left the view on the
	// way.
	sum := newChecksum()
	// The players' entries go straight into dst, after room for the array's length.
	count, removed := 0, sc.removed[:0]
	same := baseStates != nil && baseVersion == v.players.version // the baseline's players, no more, no fewer
	at := len(dst)
	dst = append(dst, 0, 0, 0)
	dst, count, removed, sum = e.playerEntries(sc, dst, removed, sum, vp, vpi, basePlayers, same, baseStates, e.sharedFor(baseTick))
	sc.prefetchRest() // the next client's other lists, once its Interest's are here
	dst = putArrayLen(dst, at, count)
	dst = e.appendEntering(dst, vp, vpi, sc.entering)
	nPlayersGone := len(removed)
	b := sc.entries[:0]
	if sincePrevious {
		b, count, removed, sum = e.bulletsSincePrevious(b, removed, sum, &v.bullets, focus)
		vb = v.bullets.visible
	} else {
		b, count, removed, sum = e.bulletEntries(b, removed, sum, vb, vbi, baseBullets)
	}
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

	v.remember(cur.tick, vp, v.players.version, vb) // a baseline for later snapshots
	return dst
}

// putArrayLen writes the length of an array of n values at b[at:], where three bytes were left
// for it before the array's entries, as appendArrayLen would have appended it: in those three
// bytes for 16 to 65,535 values, the usual case, and otherwise moving the entries to fit. The
// usual case writes its three bytes straight in (a copy of them called memmove).
func putArrayLen(b []byte, at, n int) []byte {
	if uint(n-16) <= math.MaxUint16-16 { // an array 16
		b[at], b[at+1], b[at+2] = 0xdc, byte(n>>8), byte(n)
		return b
	}
	var buf [5]byte
	h := appendArrayLen(buf[:0], n)
	switch {
	case len(h) < 3:
		b = append(b[:at+len(h)], b[at+3:]...) // overlapping: moves them down
	case len(h) > 3:
		b = append(b, 0, 0)
		copy(b[at+5:], b[at+3:])
	}
	copy(b[at:], h)
	return b
}

// playerEntries appends to b the entries of the visible players vp (vpi: their indices this
// tick, in the interest index, which is built from the states' list; -1 for self, which alone
// may not be indexed) that the baseline players basePlayers, whose states are baseStates, had:
// one for each, in order, copied from shared when it is not nil, with the players as predicted
// in runs. same says the lists are the same (the Interest did not change them since): then
// they are not compared. It appends the baseline players no longer visible to removed, leaves
// in sc.entering the places in vp of the players entering the view (appendEntering writes
// them), mixes every visible player into sum, and returns the msgpack values it appended.
//
// Runs of players the baseline had go through copyRun, a tight loop over shared's words; the
// others (those whose entries each client encodes on its own) through writeEntry, one at a
// time.
func (e *DeltaEncoder) playerEntries(sc *DeltaScratch, b []byte, removed []uint32, sum checksum, vp []uint32, vpi []int32, basePlayers []uint32, same bool, baseStates *tickStates, shared *sharedDeltas) ([]byte, int, []uint32, checksum) {
	entering := sc.entering[:0]
	if !same {
		removed, entering = diffIDs(vp, basePlayers, removed, entering)
	}
	sc.entering = entering
	w := entryWriter{buf: b[:cap(b)], pos: len(b), sum: sum}
	for k := 0; k < len(vp); k++ {
		end := len(vp) // the next entering player
		if len(entering) > 0 {
			end = int(entering[0])
		}
		if shared != nil {
			w.reserve(end - k)
			if k += shared.copyRun(&w, vpi[k:end]); k == len(vp) {
				break
			}
		}
		if k == end { // entering: only its checksum term here
			entering = entering[1:]
			_, term := e.cur.find(vp[k], vpi[k])
			w.sum = mix(w.sum, term)
			continue
		}
		e.writeEntry(&w, vp[k], vpi[k], baseStates)
	}
	// A run of players as predicted at the end goes without saying.
	return w.buf[:w.pos], w.count, removed, w.sum
}

// appendEntering appends the array of the players entering the view, whole: those at places
// entering in the visible players vp (vpi: their indices this tick).
func (e *DeltaEncoder) appendEntering(b []byte, vp []uint32, vpi []int32, entering []int32) []byte {
	b = appendArrayLen(b, len(entering)*enteringValues)
	prev := uint32(0)
	for _, k := range entering {
		id := vp[k]
		p, _ := e.cur.find(id, vpi[k])
		b = appendWhole(appendUint(b, uint64(id-prev)), p)
		prev = id
	}
	return b
}

// diffIDs compares the visible players vp with the baseline's, base (both sorted): it appends
// to removed the baseline's players no longer visible, and to entering the places in vp of
// those the baseline lacked. The lists are usually the same, or nearly: it compares runs of
// equal ids, a load and a comparison an id, and returns after the first run when it is all of
// both, before the merge, whose two growing lists the compiler keeps on the stack.
func diffIDs(vp, base, removed []uint32, entering []int32) ([]uint32, []int32) {
	n := commonPrefix(vp, base)
	if n == len(vp) && n == len(base) {
		return removed, entering
	}
	k, bi := n, n
	for {
		switch {
		case k == len(vp):
			if bi < len(base) {
				removed = append(removed, base[bi:]...)
			}
			return removed, entering
		case bi == len(base) || vp[k] < base[bi]:
			entering = append(entering, int32(k))
			k++
		default: // base[bi] < vp[k]
			removed = append(removed, base[bi])
			bi++
		}
		n := commonPrefix(vp[k:], base[bi:])
		k, bi = k+n, bi+n
	}
}

// commonPrefix returns how many of the first ids of a and b are the same.
func commonPrefix(a, b []uint32) int {
	n := min(len(a), len(b))
	a, b = a[:n], b[:n]
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// entryWriter is the players array being written: its entries so far are buf[:pos] (buf runs
// to the capacity, so that copyRun stores into it rather than appending), count the msgpack
// values in them, run how many players as predicted follow them, not yet written, and sum the
// checksum of the visible players so far.
type entryWriter struct {
	buf   []byte
	pos   int
	count int
	run   int
	sum   checksum
}

// reserve makes room in w.buf for copyRun to write n entries: an 8-byte word each, and a run
// (at most six bytes).
func (w *entryWriter) reserve(n int) {
	if need := w.pos + n*8 + 6; need > len(w.buf) {
		w.buf = slices.Grow(w.buf[:w.pos], need-w.pos)
		w.buf = w.buf[:cap(w.buf)]
	}
}

// copyRun writes the entries of the visible players at indices vpi this tick, all in the
// baseline, from their shared words, and mixes their checksum terms into w.sum. It stops at
// the first player whose word is ownWord or who is not indexed, and returns how many it went
// past. w must have room for len(vpi) entries (reserve).
//
// Players with an entry and players as predicted come in runs, which two loops take in turn:
// in most snapshots every player in view has an entry (a turn, at least), and one loop copies
// them all.
func (sd *sharedDeltas) copyRun(w *entryWriter, vpi []int32) int {
	k := 0
	for {
		n := sd.copyEntries(w, vpi[k:])
		n += sd.skipPredicted(w, vpi[k+n:])
		if k += n; n == 0 {
			return k
		}
	}
}

// copyEntries copies the entries of the players at indices vpi from their shared words, after
// the run of players as predicted before them, if any. It stops at the first player whose
// word is not an entry (0, or ownWord) or who is not indexed, and returns how many it copied.
//
// This is the loop every client runs over every visible player, so it does little else than
// store each word: all it reads of a player in one place, and its state in locals, few enough
// for the compiler to keep them all in registers (with more, it kept the checksum in memory,
// and each player waited for its store and load). The room for the words is made beforehand
// (reserve) and checked once, so the stores need no bounds checks. Its length and values are
// the word's top byte, len + 8*values: the loop adds up the lengths, which it needs for the
// next store, and the top bytes, from which the values follow at the end.
func (sd *sharedDeltas) copyEntries(w *entryWriter, vpi []int32) int {
	players := sd.players
	if len(vpi) == 0 || uint(vpi[0]) >= uint(len(players)) || int64(players[vpi[0]].entry) <= 0 {
		return 0
	}
	if w.run > 0 {
		w.endRun()
	}
	out := unsafe.Pointer(unsafe.SliceData(w.buf[w.pos : w.pos+8*len(vpi)]))
	sum := w.sum
	n, tops, k := 0, 0, 0 // the bytes written, their words' top bytes added up, the players
	for ; k < len(vpi); k++ {
		i := uint(vpi[k])
		if i >= uint(len(players)) {
			break
		}
		p := &players[i]
		word := p.entry
		if int64(word) <= 0 {
			break // as predicted (0), or ownWord (the one word with the top bit set)
		}
		sum = mix(sum, p.sum)
		binary.LittleEndian.PutUint64((*[8]byte)(unsafe.Add(out, n))[:], uint64(word))
		n += word.len()
		tops += word.top()
	}
	w.pos, w.count, w.sum = w.pos+n, w.count+(tops-n)/8, sum
	return k
}

// skipPredicted counts in w.run the players at indices vpi as predicted (their words 0), and
// mixes their checksum terms into w.sum. It stops at the first other player, and returns how
// many it counted.
func (sd *sharedDeltas) skipPredicted(w *entryWriter, vpi []int32) int {
	players := sd.players
	sum := w.sum
	k := 0
	for ; k < len(vpi); k++ {
		i := int(vpi[k])
		if uint(i) >= uint(len(players)) || players[i].entry != 0 {
			break
		}
		sum = mix(sum, players[i].sum)
	}
	w.run += k
	w.sum = sum
	return k
}

// endRun writes the run of players as predicted before the next entry: 0 and their count.
func (w *entryWriter) endRun() {
	b := appendUint(append(w.buf[:w.pos], 0), uint64(w.run))
	w.count += 2
	w.run = 0
	w.buf, w.pos = b[:cap(b)], len(b)
}

// writeEntry writes the entry of visible player id (index i this tick, -1 if not indexed), in
// the baseline baseStates, which copyRun could not copy: encoded for this client alone.
func (e *DeltaEncoder) writeEntry(w *entryWriter, id uint32, i int32, baseStates *tickStates) {
	p, term := e.cur.find(id, i)
	w.sum = mix(w.sum, term)
	was, _ := baseStates.find(id, i)
	ticks := e.cur.tick - baseStates.tick
	mask := diff(was, p, ticks)
	if mask == 0 {
		w.run++
		return
	}
	if w.run > 0 {
		w.endRun()
	}
	b, n := appendChanges(w.buf[:w.pos], mask, was, p, ticks)
	w.count += n
	w.buf, w.pos = b[:cap(b)], len(b)
}

// bulletEntries appends to b the bullets of vb (vbi: their indices this tick) that are not in
// the baseline bullets baseBullets, as playerEntries does for players. It appends the
// baseline's bullets no longer visible to removed, mixes the visible bullets into sum, and
// returns the msgpack values it appended.
//
// A client's bullets differ little from its baseline's: one or two of the baseline's ended,
// and the bullets it took since, newer than all of those, follow them. So gone walks the
// lists by runs of equal ids as far as it can, and a merge one bullet at a time does the
// rest: usually the bullets that entered, at the end.
func (e *DeltaEncoder) bulletEntries(b []byte, removed []uint32, sum checksum, vb []uint32, vbi []int32, baseBullets []uint32) ([]byte, int, []uint32, checksum) {
	k, bi, removed, sum := gone(vb, baseBullets, removed, sum)
	count, prev := 0, uint32(0)
	for ; k < len(vb); k++ {
		switch id := vb[k]; {
		case bi == len(baseBullets) || id < baseBullets[bi]: // entering
			sum = mix(sum, id)
			b = e.appendBullet(appendUint(b, uint64(id-prev)), vbi[k])
			count += bulletValues
			prev = id
		case id == baseBullets[bi]:
			sum = mix(sum, id)
			bi++
		default: // baseBullets[bi] is no longer visible
			removed = append(removed, baseBullets[bi])
			bi++
			k--
		}
	}
	if bi < len(baseBullets) {
		removed = append(removed, baseBullets[bi:]...)
	}
	return b, count, removed, sum
}

// bulletsSincePrevious is seen and bulletEntries in one, for the client of bv whose baseline
// is what it saw the tick before (followsFresh): the bullets it had are followed, and those
// that ended removed, in one pass; the bullets it takes, new this tick, enter.
func (e *DeltaEncoder) bulletsSincePrevious(b []byte, removed []uint32, sum checksum, bv *bulletView, focus game.Vec) ([]byte, int, []uint32, checksum) {
	kept, removed, sum := e.flights.followFresh(bv, focus, removed, sum)
	count, prev := 0, uint32(0)
	for k := kept; k < len(bv.visible); k++ {
		id := bv.visible[k]
		sum = mix(sum, id)
		b = e.appendBullet(appendUint(b, uint64(id-prev)), bv.index[k])
		count += bulletValues
		prev = id
	}
	return b, count, removed, sum
}

// gone appends to removed the ids of base (sorted, as vb) that vb no longer has, walking the
// lists by runs of equal ids (sameRun), until vb has an id that base lacks or either list
// ends. It returns where it stopped in vb and in base, and sum with the ids of vb before that
// mixed in.
func gone(vb, base, removed []uint32, sum checksum) (int, int, []uint32, checksum) {
	k, bi := 0, 0
	for {
		n, s := sameRun(vb[k:], base[bi:], sum)
		k, bi, sum = k+n, bi+n, s
		if k == len(vb) || bi == len(base) || vb[k] < base[bi] {
			return k, bi, removed, sum
		}
		removed = append(removed, base[bi])
		bi++
	}
}

// sameRun returns how many of the first ids of a and b are the same, and sum with those ids
// mixed in.
func sameRun(a, b []uint32, sum checksum) (int, checksum) {
	n := min(len(a), len(b))
	a, b = a[:n], b[:n]
	for i, id := range a {
		if id != b[i] {
			return i, sum
		}
		sum = mix(sum, id)
	}
	return n, sum
}

// bulletValues is the msgpack values of an entering bullet's entry: id gap, owner, x, y, dir.
const bulletValues = 5

// appendBullet appends the entry of the bullet at index i this tick, after its id gap: a copy
// of the one encoded in Update.
func (e *DeltaEncoder) appendBullet(b []byte, i int32) []byte {
	return append(b, e.bulletBytes.entry(i)...)
}

// appendBulletEntry appends the entry of bullet q, without its id gap.
func appendBulletEntry(b []byte, q *BulletQ) []byte {
	b = appendUint(b, uint64(q.Owner))
	b = appendInt(b, int64(q.X))
	b = appendInt(b, int64(q.Y))
	return appendUint(b, uint64(q.Dir))
}

// encodedBullets holds the entries, without their id gaps, of a tick's bullets. A bullet
// enters many views at once when it appears, and with late acknowledgements is sent again to
// each for a few ticks, so each is encoded once for all, in Update. (A bullet's entry gives
// where it is at the snapshot's tick, so it is encoded anew each tick.)
type encodedBullets struct {
	bytes  []byte
	starts []int32 // where each one's entry starts in bytes, and where the last ends
}

// encode encodes the entries of bullets.
func (eb *encodedBullets) encode(bullets []BulletQ) {
	eb.bytes, eb.starts = eb.bytes[:0], append(eb.starts[:0], 0)
	for i := range bullets {
		eb.bytes = appendBulletEntry(eb.bytes, &bullets[i])
		eb.starts = append(eb.starts, int32(len(eb.bytes)))
	}
}

// entry returns the entry of the bullet at index i this tick.
func (eb *encodedBullets) entry(i int32) []byte { return eb.bytes[eb.starts[i]:eb.starts[i+1]] }

// appendChanges appends the entry of player p ticks after its baseline state was, whose
// changed fields are mask (not 0): a small turn alone in one byte, else the mask and its
// fields. It returns the msgpack values it appended.
func appendChanges(b []byte, mask uint8, was, p *PlayerQ, ticks uint32) ([]byte, int) {
	if turn := int8(p.Aim - was.Aim); isTurn(mask, turn) {
		return append(b, uint8(turn+turnCode)), 1 // a negative fixint
	}
	b = append(b, mask) // a positive fixint: the mask has seven bits
	b, n := appendFields(b, mask, was, p, ticks)
	return b, 1 + n
}

// appendFields appends the fields of mask, of player p ticks after its baseline state was:
// positions as their differences from the prediction (none for a player moving on as it did),
// the aim as its change, the rest as values. It returns how many values it wrote.
func appendFields(b []byte, mask uint8, was, p *PlayerQ, ticks uint32) ([]byte, int) {
	n := 0
	x, y := predict(was, ticks)
	if mask&fieldX != 0 {
		b = appendInt(b, int64(p.X)-x)
		n++
	}
	if mask&fieldY != 0 {
		b = appendInt(b, int64(p.Y)-y)
		n++
	}
	if mask&fieldAim != 0 {
		b = appendInt(b, int64(int8(p.Aim-was.Aim)))
		n++
	}
	if mask&fieldVel != 0 {
		b = appendInt(b, int64(p.VX))
		b = appendInt(b, int64(p.VY))
		n += 2
	}
	if mask&fieldFlags != 0 {
		b = appendUint(b, uint64(p.Flags))
		n++
	}
	if mask&fieldHealth != 0 {
		b = appendUint(b, uint64(p.Health))
		n++
	}
	if mask&fieldScore != 0 {
		b = appendUint(b, uint64(p.Kills))
		b = appendUint(b, uint64(p.Deaths))
		n += 2
	}
	return b, n
}

// wholeValues is how many values appendWhole writes, and enteringValues an entering player's
// entry, its id gap included.
const (
	wholeValues    = 11
	enteringValues = 1 + wholeValues
)

// appendWhole appends every field of an entering player, positions absolute.
func appendWhole(b []byte, p *PlayerQ) []byte {
	b = appendInt(b, int64(p.X))
	b = appendInt(b, int64(p.Y))
	b = appendInt(b, int64(p.VX))
	b = appendInt(b, int64(p.VY))
	b = appendUint(b, uint64(p.Aim))
	b = appendUint(b, uint64(p.Flags))
	b = appendUint(b, uint64(p.Health))
	b = appendUint(b, uint64(p.Kills))
	b = appendUint(b, uint64(p.Deaths))
	b = appendUint(b, uint64(p.Hue))
	return appendStr(b, p.Name)
}

package netcode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tickwire/tickwire/assets"
	"github.com/tickwire/tickwire/game"
	"github.com/vmihailenco/msgpack/v5"
)

// deltaWorld is a world of n players moving and firing at random, one per 200x200 units.
// With resting set, some of them stand still now and then, neither moving nor turning: their
// entries are runs of players as predicted. (The benchmark arena has everyone moving.)
type deltaWorld struct {
	w       *game.World
	ids     []game.EntityID
	inputs  []game.Input
	rng     *rand.Rand
	resting bool
}

func newDeltaWorld(t testing.TB, n int, seed uint64) *deltaWorld {
	m, err := game.LoadMap(assets.DefaultMap)
	if err != nil {
		t.Fatal(err)
	}
	side := 200 * math.Sqrt(float64(n))
	w, err := game.NewWorld(game.Config{Map: m, Width: side, Height: side, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	d := &deltaWorld{w: w, rng: rand.New(rand.NewPCG(seed, 99))}
	for range n {
		d.ids = append(d.ids, w.Join(""))
	}
	return d
}

// step moves everyone on; now and then a player leaves and another joins.
func (d *deltaWorld) step(churn bool) {
	if churn && d.rng.IntN(20) == 0 && len(d.ids) > 2 {
		k := 1 + d.rng.IntN(len(d.ids)-1) // never the first: it is the watched client's own player
		d.w.Leave(d.ids[k])
		d.ids = append(d.ids[:k], d.ids[k+1:]...)
		d.ids = append(d.ids, d.w.Join(""))
	}
	d.inputs = d.inputs[:0]
	for i, id := range d.ids {
		a := float64((int(d.w.Tick)/20+i*7)%63) / 10 // a direction held for a while, then another
		in := game.Input{Player: id, Move: game.FromAngle(a), Aim: a + float64(d.w.Tick)/30, Fire: d.rng.IntN(30) == 0}
		if d.resting && (int(d.w.Tick)/10+i)%3 == 0 { // resting for ten ticks in thirty
			in = game.Input{Player: id, Aim: float64(i)}
		}
		d.inputs = append(d.inputs, in)
	}
	d.w.Step(d.inputs)
}

// intended is the view the server meant the last AppendFor to show.
func intended(e *DeltaEncoder, v *ClientView) ViewState {
	out := ViewState{Tick: v.ticks[(v.n-1)%ringLen]}
	players, bullets, _, _ := v.find(out.Tick)
	for _, id := range players {
		p, _ := e.cur.find(id, -1)
		out.Players = append(out.Players, *p)
	}
	for _, id := range bullets {
		i, _ := slices.BinarySearchFunc(e.bullets, id, func(b BulletQ, id uint32) int { return int(b.ID) - int(id) })
		out.Bullets = append(out.Bullets, e.bullets[i])
	}
	return out
}

func sameView(got *ViewState, want ViewState) bool {
	if got.Tick != want.Tick || !slices.Equal(got.Players, want.Players) || len(got.Bullets) != len(want.Bullets) {
		return false
	}
	for i, b := range got.Bullets {
		w := want.Bullets[i]
		if b.ID != w.ID || b.Owner != w.Owner || b.Dir != w.Dir {
			return false
		}
	}
	return true
}

// TestDeltaSnapshotsReproduceTheView is the property the replication rests on: for random
// world histories and random patterns of lost snapshots and lost, late and duplicated acks,
// applying what the server sent always reproduces exactly the visible state it intended.
func TestDeltaSnapshotsReproduceTheView(t *testing.T) {
	for seed := range uint64(12) {
		d := newDeltaWorld(t, 60, seed)
		d.resting = seed%2 == 0
		enc := NewDeltaEncoder()
		enc.shareFrom = 1 // one client is enough to share its baseline's entries
		view := NewClientView(700)
		var client Applier
		net := rand.New(rand.NewPCG(seed, 1))
		type ack struct{ tick, due uint32 }
		var inflight []ack // acks on their way to the server
		clientAck := uint32(0)
		applied, deltas, resyncs := 0, 0, 0
		for range 400 {
			d.step(true)
			enc.Update(d.w)
			// Acks arrive after their delay; the last to arrive is the one the server uses, so
			// a late one moves it back.
			kept := inflight[:0]
			for _, a := range inflight {
				if a.due <= d.w.Tick {
					view.Ack = a.tick
				} else {
					kept = append(kept, a)
				}
			}
			inflight = kept
			if net.IntN(2) == 0 {
				enc.ShareBaselines([]uint32{view.Ack}) // half the snapshots from shared entries
			}
			if net.IntN(12) == 0 {
				continue // no snapshot for this client this tick: the next one follows missed ticks
			}
			self := d.w.Player(d.ids[0])
			frame := enc.AppendFor(nil, view, self.Pos, uint32(d.ids[0]), 0)
			want := intended(enc, view)
			if net.IntN(5) == 0 {
				continue // lost: a newer snapshot replaced it before it was sent
			}
			var m ServerMessage
			if err := NewServerDecoder().Decode(frame, &m); err != nil {
				t.Fatalf("seed %d tick %d: decode: %v", seed, d.w.Tick, err)
			}
			if m.Delta.BaseTick != 0 {
				deltas++
			}
			got, err := client.Apply(&m.Delta)
			switch {
			case errors.Is(err, ErrNoBaseline):
				resyncs++
				clientAck = 0
			case err != nil:
				t.Fatalf("seed %d tick %d: apply: %v", seed, d.w.Tick, err)
			default:
				applied++
				if !sameView(got, want) {
					t.Fatalf("seed %d tick %d: applied view differs from the intended one\n got %+v\nwant %+v", seed, d.w.Tick, got, want)
				}
				clientAck = got.Tick
			}
			switch r := net.IntN(20); {
			case r == 0: // this input, and its ack, was lost
			case r == 1: // duplicated
				inflight = append(inflight, ack{clientAck, d.w.Tick + 1}, ack{clientAck, d.w.Tick + 3})
			case r == 2: // very late
				inflight = append(inflight, ack{clientAck, d.w.Tick + 12})
			default: // a round trip of 0 to 4 ticks
				inflight = append(inflight, ack{clientAck, d.w.Tick + uint32(net.IntN(5))})
			}
		}
		if deltas < applied/2 {
			t.Errorf("seed %d: only %d of %d snapshots were deltas", seed, deltas, applied)
		}
		t.Logf("seed %d: %d applied, %d deltas, %d resyncs", seed, applied, deltas, resyncs)
	}
}

// TestSharedBaselinesChangeNothing encodes a crowd's snapshots twice, from shared baseline
// entries and each on its own: the frames must be the same, byte for byte.
func TestSharedBaselinesChangeNothing(t *testing.T) {
	t.Run("dense ids", func(t *testing.T) { testSharedBaselinesChangeNothing(t, func(id uint32) uint32 { return id }) })
	// Ids far apart, as on a server that has run for a while (bullets take ids too): the id
	// gaps take two, three and five bytes.
	t.Run("sparse ids", func(t *testing.T) {
		testSharedBaselinesChangeNothing(t, func(id uint32) uint32 { return id * id * id })
	})
}

// testSharedBaselinesChangeNothing is TestSharedBaselinesChangeNothing with the players' ids
// as the encoders see them mapped by spread, which must keep their order.
func testSharedBaselinesChangeNothing(t *testing.T, spread func(uint32) uint32) {
	d := newDeltaWorld(t, 300, 7)
	d.resting = true
	encs := [2]*DeltaEncoder{NewDeltaEncoder(), NewDeltaEncoder()}
	var views [2][]*ClientView
	for k := range views {
		for range d.ids {
			views[k] = append(views[k], NewClientView(700))
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var acks []uint32
	shared := 0
	for tick := range 80 {
		d.step(true)
		for len(views[0]) < len(d.ids) { // churn keeps the count; this is for safety
			views[0], views[1] = append(views[0], NewClientView(700)), append(views[1], NewClientView(700))
		}
		for i := range d.w.Players {
			p := &d.w.Players[i]
			if p.ID = game.EntityID(spread(uint32(p.ID))); i > 0 && p.ID <= d.w.Players[i-1].ID {
				t.Fatalf("tick %d: spread ids out of order", tick)
			}
		}
		for _, e := range encs {
			e.Update(d.w)
		}
		for i := range d.w.Players {
			d.w.Players[i].ID = d.ids[i] // the players are in the order of d.ids
		}
		acks = acks[:0]
		for _, v := range views[0] {
			acks = append(acks, v.Ack)
		}
		encs[0].ShareBaselines(acks)
		shared += encs[0].nShared
		for i, id := range d.ids {
			p := d.w.Player(id)
			a := encs[0].AppendFor(nil, views[0][i], p.Pos, spread(uint32(id)), 0)
			b := encs[1].AppendFor(nil, views[1][i], p.Pos, spread(uint32(id)), 0)
			if !slices.Equal(a, b) {
				t.Fatalf("tick %d, client %d: shared entries gave\n%x\nits own encoding\n%x", tick, i, a, b)
			}
			// Acks one to three ticks old, some lost: several baselines at once.
			if rng.IntN(6) > 0 {
				ack := encs[0].Tick() - uint32(rng.IntN(3))
				if rng.IntN(3) > 0 {
					ack = encs[0].Tick()
				}
				views[0][i].Ack, views[1][i].Ack = ack, ack
			}
		}
	}
	if shared < 80 {
		t.Errorf("%d baselines shared in 80 ticks: the shared path was hardly tested", shared)
	}
}

// TestShareBaselinesCounts: a baseline is shared when at least shareFrom clients
// acknowledged it, however their acks are ordered, and no other tick is: not 0 (no ack), not
// the current tick, not one forgotten.
func TestShareBaselinesCounts(t *testing.T) {
	d := newDeltaWorld(t, 20, 1)
	enc := NewDeltaEncoder()
	enc.shareFrom = 3
	var ticks []uint32
	for range 5 {
		d.step(false)
		enc.Update(d.w)
		ticks = append(ticks, enc.Tick())
	}
	t1, t2, t3, cur := ticks[1], ticks[2], ticks[3], ticks[4]
	for _, c := range []struct {
		acks []uint32
		want []uint32 // shared baselines
	}{
		{[]uint32{t1, t1, t1}, []uint32{t1}},
		{[]uint32{t1, t2, t1, t2, t1, t2}, []uint32{t1, t2}},
		{[]uint32{t1, t1, t2, t2, t3, t3, t3}, []uint32{t3}},
		{[]uint32{t2, t1, t1, t2, t3, t2}, []uint32{t2}},
		{[]uint32{0, 0, 0, cur, cur, cur, 999, 999, 999}, nil},
		{nil, nil},
	} {
		enc.Update(d.w) // forgets the shared baselines
		enc.ShareBaselines(c.acks)
		var got []uint32
		for k := range enc.nShared {
			got = append(got, enc.shared[k].base)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("acks %v: shared %v, want %v", c.acks, got, c.want)
		}
	}
}

// deltaWord returns the word of player p's shared entry against its baseline state was,
// ticks before.
func deltaWord(was, p *PlayerQ, ticks uint32) entryWord {
	var out [1]sharedPlayer
	packEntries(out[:], []PlayerQ{*was}, []PlayerQ{*p}, []uint32{0}, ticks)
	return out[0].entry
}

// TestDeltaWordHoldsTheEntry: a shared entry word holds the entry a client would encode on
// its own, when it fits.
func TestDeltaWordHoldsTheEntry(t *testing.T) {
	was := PlayerQ{ID: 5, X: 400, Y: 400, Aim: 10, Flags: FlagAlive, Health: 100}
	moved := func(dx, dy int32, aim uint8) PlayerQ {
		p := was
		p.X, p.Y, p.Aim = p.X+dx, p.Y+dy, aim
		return p
	}
	respawned := was
	respawned.X, respawned.Y, respawned.Health, respawned.Deaths = 90000, 20, 100, 1
	walker := was
	walker.VX, walker.VY = 29, -29
	walked := walker
	walked.X, walked.Y = walker.X+3*29, walker.Y-3*29
	turned := walked
	turned.X, turned.VX = walker.X+2*29, 0
	for _, c := range []struct {
		was, p PlayerQ
		ticks  uint32
		len    int // of the entry
	}{
		{was, was, 1, 0}, // unchanged: no entry at all
		{was, moved(3, -2, 10), 1, 3},
		{was, moved(3, -2, 200), 1, 5}, // an aim change beyond -32 to 127 takes two bytes
		{was, moved(0, 0, 11), 1, 1},   // a small turn alone: one byte
		{was, moved(0, 0, 9), 1, 1},    // back
		{was, moved(0, 0, 25), 1, 1},   // maxTurn
		{was, moved(0, 0, 26), 1, 2},   // beyond: mask and aim
		{was, moved(0, 0, 250), 1, 1},  // minTurn
		{was, moved(0, 0, 249), 1, 2},  // beyond: mask and aim
		{was, moved(-1000, 0, 10), 1, 4},
		{was, moved(1000, 1, 200), 1, 7}, // the most a word holds
		{was, moved(1000, 1000, 11), 1, 8},
		{was, respawned, 1, 11},
		{walker, walked, 3, 0}, // walking on as predicted: no entry
		{walker, turned, 3, 4}, // stopped a tick ago: x is 29 short, and vx, vy are new
	} {
		was, p := c.was, c.p
		mask := diff(&was, &p, c.ticks)
		var want []byte
		n := 0
		if mask != 0 {
			want, n = appendChanges(nil, mask, &was, &p, c.ticks)
		}
		if len(want) != c.len {
			t.Fatalf("%+v: a %d-byte entry, want a case of %d", p, len(want), c.len)
		}
		w := deltaWord(&was, &p, c.ticks)
		switch {
		case mask == 0:
			if w != 0 {
				t.Errorf("%+v unchanged: word %#x, want 0", p, w)
			}
		case len(want) > maxWordEntry:
			if w != ownWord {
				t.Errorf("%+v: %d-byte entry in word %#x, want ownWord", p, len(want), w)
			}
		default:
			var got [8]byte
			binary.LittleEndian.PutUint64(got[:], uint64(w))
			if !slices.Equal(got[:w.len()], want) || w.values() != n {
				t.Errorf("%+v: word %#x holds %x, %d values; want %x, %d", p, w, got[:w.len()], w.values(), want, n)
			}
		}
	}
}

// TestDeltaWordPacksAsAppended: packEntries, which packs the entry's bytes into the word
// itself, gives the word of the entry appendFields writes (deltaWordAppended), for changes of
// every field around every boundary of the encodings.
func TestDeltaWordPacksAsAppended(t *testing.T) {
	var near []int64 // values around the encodings' boundaries
	for _, b := range []int64{0, 31, 32, 33, 127, 128, 255, 256, 1 << 15, 1 << 16, 1 << 31, 1 << 32} {
		for d := int64(-2); d <= 2; d++ {
			near = append(near, b+d, -b+d)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func() int64 { return near[rng.IntN(len(near))] }
	small := func() int32 { return int32(rng.IntN(81) - 40) } // a move
	for range 200_000 {
		was := PlayerQ{ID: 9, X: int32(pick()), Y: int32(pick()), VX: small(), VY: small(), Aim: uint8(pick()),
			Flags: PlayerFlags(pick()), Health: uint32(pick()), Kills: uint32(pick()), Deaths: uint32(pick())}
		ticks := uint32(1 + rng.IntN(20))
		p := was
		x, y := predict(&was, ticks)
		p.X, p.Y = int32(x), int32(y)
		// Each field changes now and then, by a value around a boundary (positions) or to one.
		if rng.IntN(2) == 0 {
			p.X = int32(int64(p.X) + pick())
		}
		if rng.IntN(2) == 0 {
			p.Y = int32(int64(p.Y) + pick())
		}
		if rng.IntN(2) == 0 {
			p.Aim = uint8(pick())
		}
		if rng.IntN(4) == 0 {
			p.VX = small()
		}
		if rng.IntN(4) == 0 {
			p.VY = int32(pick())
		}
		if rng.IntN(4) == 0 {
			p.Flags = PlayerFlags(pick())
		}
		if rng.IntN(4) == 0 {
			p.Health = uint32(pick())
		}
		if rng.IntN(4) == 0 {
			p.Kills = uint32(pick())
		}
		if rng.IntN(4) == 0 {
			p.Deaths = uint32(pick())
		}
		mask := diff(&was, &p, ticks)
		if mask == 0 {
			continue
		}
		if got, want := deltaWord(&was, &p, ticks), deltaWordAppended(mask, &was, &p, ticks); got != want {
			t.Fatalf("%+v against %+v, %d ticks: word %#x, want %#x", p, was, ticks, got, want)
		}
	}
}

// TestPutArrayLenIsAppendArrayLen: the players array, written after three bytes left for its
// length, comes out as appendArrayLen and the entries appended would make it, whatever the
// length's size, and after what dst held.
func TestPutArrayLenIsAppendArrayLen(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 0xff, 0x100, math.MaxUint16, math.MaxUint16 + 1, 1 << 20} {
		for _, size := range []int{0, 1, 40} {
			head, entries := []byte{4, 5, 6}, make([]byte, size)
			for i := range entries {
				entries[i] = byte(i + 1)
			}
			want := append(appendArrayLen(slices.Clone(head), n), entries...)
			b := append(slices.Clone(head), 0, 0, 0)
			b = putArrayLen(append(b, entries...), len(head), n)
			if !slices.Equal(b, want) {
				t.Errorf("%d values, %d bytes of entries: %x, want %x", n, size, b, want)
			}
		}
	}
}

// TestBulletEntries checks bulletEntries against its definition (the visible bullets the
// baseline lacks enter, in id order; the baseline's no longer visible are removed) over random
// lists: bullets that entered anywhere in the list (not only after the baseline's, as after a
// jump), and baseline bullets gone anywhere.
func TestBulletEntries(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	e := NewDeltaEncoder()
	for range 2000 {
		e.bullets = e.bullets[:0]
		for id := uint32(1); id < 200; id++ {
			if rng.IntN(3) != 0 {
				v := func() int32 { return int32(rng.IntN(1<<18)-1<<17) >> rng.IntN(18) }
				e.bullets = append(e.bullets, BulletQ{ID: id, Owner: uint32(rng.IntN(3000)), X: v(), Y: v(), Dir: uint16(rng.Uint32())})
			}
		}
		e.bulletBytes.encode(e.bullets)
		var vb, base []uint32
		var vbi []int32
		for i, q := range e.bullets {
			inBase, visible := rng.IntN(4) != 0, rng.IntN(4) != 0
			if rng.IntN(10) == 0 {
				inBase, visible = !inBase, !visible
			}
			if visible {
				vb, vbi = append(vb, q.ID), append(vbi, int32(i))
			}
			if inBase {
				base = append(base, q.ID)
			}
		}
		b, count, removed, sum := e.bulletEntries(nil, []uint32{7}, 5, vb, vbi, base)

		wantB, wantCount, wantRemoved, wantSum, prev := []byte(nil), 0, []uint32{7}, checksum(5), uint32(0)
		for k, id := range vb {
			wantSum = mix(wantSum, id)
			if !slices.Contains(base, id) {
				q := e.bullets[vbi[k]]
				wantB = appendUint(wantB, uint64(id-prev))
				wantB = appendUint(wantB, uint64(q.Owner))
				for _, v := range []int32{q.X, q.Y} {
					wantB = appendInt(wantB, int64(v))
				}
				wantB = appendUint(wantB, uint64(q.Dir))
				wantCount, prev = wantCount+5, id
			}
		}
		for _, id := range base {
			if !slices.Contains(vb, id) {
				wantRemoved = append(wantRemoved, id)
			}
		}
		if !slices.Equal(b, wantB) || count != wantCount || !slices.Equal(removed, wantRemoved) || sum != wantSum {
			t.Fatalf("visible %v, baseline %v:\nentries %x (%d values), removed %v, sum %x\nwant    %x (%d values), removed %v, sum %x",
				vb, base, b, count, removed, sum, wantB, wantCount, wantRemoved, wantSum)
		}
	}
}

// TestPrefetchChangesNothing builds every client's snapshot twice a tick, with two encoders
// on one world: one is told each next client (and now and then a client it does not build
// next), the other nothing. The snapshots are the same.
func TestPrefetchChangesNothing(t *testing.T) {
	d := newDeltaWorld(t, 60, 4)
	told, plain := newClientsOf(d), newClientsOf(d)
	for tick := range 100 {
		d.step(false)
		told.prepare()
		plain.prepare()
		for c := range told.views {
			told.enc.Prefetch(told.views[(c+1+tick%3)%len(told.views)])
			got := told.enc.AppendFor(nil, told.views[c], d.w.Players[c].Pos, uint32(d.ids[c]), 0)
			want := plain.enc.AppendFor(nil, plain.views[c], d.w.Players[c].Pos, uint32(d.ids[c]), 0)
			if !bytes.Equal(got, want) {
				t.Fatalf("tick %d client %d: told the next client, the snapshot is\n%x\nwant\n%x", tick, c, got, want)
			}
			told.ack(c, 1+(c+tick)%3)
			plain.ack(c, 1+(c+tick)%3)
		}
	}
}

// TestDeltaDetectsDrift corrupts the client's state: the checksum catches it instead of
// letting the client drift.
func TestDeltaDetectsDrift(t *testing.T) {
	d := newDeltaWorld(t, 30, 1)
	enc := NewDeltaEncoder()
	view := NewClientView(700)
	var client Applier
	dec := NewServerDecoder()
	var m ServerMessage
	for i := range 2 {
		d.step(false)
		enc.Update(d.w)
		frame := enc.AppendFor(nil, view, d.w.Player(d.ids[0]).Pos, uint32(d.ids[0]), 0)
		if err := dec.Decode(frame, &m); err != nil {
			t.Fatal(err)
		}
		got, err := client.Apply(&m.Delta)
		if err != nil {
			t.Fatal(err)
		}
		view.Ack = got.Tick
		if i == 1 {
			got.Players[0].X += 3 // a bug, a cosmic ray: the next delta applies to a bad baseline
		}
	}
	d.step(false)
	enc.Update(d.w)
	if err := dec.Decode(enc.AppendFor(nil, view, d.w.Player(d.ids[0]).Pos, uint32(d.ids[0]), 0), &m); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Apply(&m.Delta); !errors.Is(err, ErrChecksum) {
		t.Errorf("applying onto a corrupted baseline: %v, want ErrChecksum", err)
	}
}

// TestViewRemembersWhatCanBeAcknowledged drives a view's memory of sent snapshots with random
// lists and acknowledgements that lag, stall and jump: every snapshot from the
// acknowledged one on, within the last ringLen, is found with exactly its lists, and the
// memory holds only those, not ringLen of them.
func TestViewRemembersWhatCanBeAcknowledged(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	v := NewClientView(DefaultViewRadius)
	sent := map[uint32][2][]uint32{}
	acked := uint32(0) // the newest acknowledgement: a client never acknowledges an older one
	version := uint32(0)
	randomList := func() []uint32 {
		n := rng.IntN(40)
		if rng.IntN(5) == 0 {
			n = 0 // empty lists start where the next begins
		}
		l := make([]uint32, n)
		for i := range l {
			l[i] = rng.Uint32N(1000)
		}
		slices.Sort(l)
		return l
	}
	for tick := uint32(1); tick <= 3000; tick++ {
		switch r := rng.IntN(100); {
		case r < 70: // a few ticks behind, as on a network
			acked = max(acked, tick-min(tick-1, 1+rng.Uint32N(4)))
			v.Ack = acked
		case r < 72:
			v.Ack = 0 // a resync: the client asks for a full snapshot, then acknowledges newer ones
		}
		// Often the players are those of the snapshot before (the same version), whose list
		// the view then shares.
		p, b := randomList(), randomList()
		if prev, ok := sent[tick-1]; ok && rng.IntN(2) == 0 {
			p = prev[0]
		} else {
			version++
		}
		v.remember(tick, p, version, b)
		sent[tick] = [2][]uint32{p, b}
		oldest := max(1, int64(tick)-ringLen+1)
		oldest = max(oldest, int64(acked))
		live := 0
		for k := oldest; k <= int64(tick); k++ {
			gp, gb, _, ok := v.find(uint32(k))
			if !ok || !slices.Equal(gp, sent[uint32(k)][0]) || !slices.Equal(gb, sent[uint32(k)][1]) {
				t.Fatalf("tick %d, ack %d: snapshot %d: found %v, lists %v %v, want %v", tick, v.Ack, k, ok, gp, gb, sent[uint32(k)])
			}
			live += len(gp) + len(gb)
		}
		if _, _, _, ok := v.find(uint32(oldest - 1)); ok && oldest > 1 && tick-uint32(oldest-1) >= ringLen {
			t.Fatalf("tick %d: snapshot %d is older than the ring and still found", tick, oldest-1)
		}
		// Room for the live lists and a few more ticks' (at most 80 ids a tick here), not the
		// most it ever held.
		if c := cap(v.ids); c > 2*(live+5*80) {
			t.Fatalf("tick %d, ack %d: %d ids of room for %d live", tick, v.Ack, c, live)
		}
	}
}

// TestViewSizeHoldsStill: a client that sees many players for a while, then few, then many
// again, and so on, acknowledging each snapshot at once, does not make its view allocate
// once its array has grown: the array is sized for the most it needed lately, not for each
// snapshot.
func TestViewSizeHoldsStill(t *testing.T) {
	v := NewClientView(DefaultViewRadius)
	ids := make([]uint32, 80)
	for i := range ids {
		ids[i] = uint32(i + 1)
	}
	tick := uint32(0)
	step := func() {
		tick++
		players := ids[:20]
		if tick/50%2 == 1 {
			players = ids[:70]
		}
		// A new players list every other tick, bullets every tick.
		v.remember(tick, players, tick/2, ids[:10+tick%7])
		v.Ack = tick
	}
	for range 400 {
		step()
	}
	// AllocsPerRun rounds down to whole allocations a run: one run of 300 snapshots.
	if n := testing.AllocsPerRun(1, func() {
		for range 300 {
			step()
		}
	}); n != 0 {
		t.Errorf("%v allocations in 300 snapshots, want 0", n)
	}
}

// TestViewSurvivesAnAckFromTheFuture: a client may acknowledge a tick it was never sent (a
// broken or hostile one). The view then forgets the snapshots before it, the list a later one
// shares included, and goes on remembering.
func TestViewSurvivesAnAckFromTheFuture(t *testing.T) {
	v := NewClientView(DefaultViewRadius)
	players := []uint32{1, 2, 3}
	for tick := uint32(1); tick <= 300; tick++ {
		switch tick % 7 {
		case 0:
			v.Ack = tick + 1000
		case 3:
			v.Ack = tick - 1
		}
		v.remember(tick, players, 1, []uint32{tick}) // the same players: shared when it can be
		p, b, _, ok := v.find(tick)
		if !ok || !slices.Equal(p, players) || !slices.Equal(b, []uint32{tick}) {
			t.Fatalf("tick %d, ack %d: found %v, lists %v %v", tick, v.Ack, ok, p, b)
		}
	}
}

// TestDecodePlayerEntries: the players array holds, in order, small turns alone (a negative
// fixint), masks with their fields, and runs of players as predicted (0 and a count). A turn
// of 0, anything below -32, a mask of 128 and a run of 0 are refused, as is an entry cut
// short.
func TestDecodePlayerEntries(t *testing.T) {
	frame := func(players ...any) []byte {
		b, err := msgpack.Marshal([]any{MsgSnapshot, 1240, 60, 1234, players, []any{}, []any{}, []any{}, 7})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var m ServerMessage
	dec := NewServerDecoder()
	if err := dec.Decode(frame(-13, 0, 3, -32, fieldX|fieldHealth, -5, 80, -1), &m); err != nil {
		t.Fatal(err)
	}
	want := []PlayerDelta{
		{PlayerQ: PlayerQ{Aim: 3}, Mask: fieldAim},
		{Run: 3},
		{PlayerQ: PlayerQ{Aim: 256 - 16}, Mask: fieldAim},
		{PlayerQ: PlayerQ{X: -5, Health: 80}, Mask: fieldX | fieldHealth},
		{PlayerQ: PlayerQ{Aim: 15}, Mask: fieldAim},
	}
	if !slices.Equal(m.Delta.Players, want) {
		t.Errorf("decoded %+v, want %+v", m.Delta.Players, want)
	}
	for _, players := range [][]any{{-16}, {-33}, {128}, {0, 0}, {0}, {fieldX}} {
		if err := dec.Decode(frame(players...), &m); err == nil {
			t.Errorf("players %v: decoded, want an error", players)
		}
	}
}

// TestDecodeIDGaps: the ids of the entering players, the bullets and the removed rise from 1
// within 32 bits: a gap of 0, and a gap past the largest id, are refused.
func TestDecodeIDGaps(t *testing.T) {
	whole := func(gap int) []any { return []any{gap, 1, 2, 0, 0, 0, 1, 100, 0, 0, 0, "a"} }
	for name, c := range map[string]struct {
		entering, bullets, removed []any
		ok                         bool
	}{
		"rising":           {append(whole(3), whole(2)...), []any{9, 3, 42, 81, 0}, []any{5, 1}, true},
		"entering gap 0":   {append(whole(3), whole(0)...), nil, nil, false},
		"bullet id 0":      {nil, []any{0, 3, 42, 81, 0}, nil, false},
		"removed gap 0":    {nil, nil, []any{5, 0}, false},
		"ids past 32 bits": {nil, nil, []any{uint32(math.MaxUint32), 1}, false},
		"the largest id":   {nil, nil, []any{uint32(math.MaxUint32)}, true},
	} {
		list := func(l []any) []any { return append([]any{}, l...) } // nil marshals as nil
		frame, err := msgpack.Marshal([]any{MsgSnapshot, 1240, 60, 0, []any{}, list(c.entering), list(c.bullets), list(c.removed), 7})
		if err != nil {
			t.Fatal(err)
		}
		var m ServerMessage
		if err := NewServerDecoder().Decode(frame, &m); (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok %v", name, err, c.ok)
		}
	}
}

// TestBaselineIsTheNewestOfItsTick: should a client be sent two snapshots at one tick, it
// applied the second last, and an acknowledgement of that tick names the second as its
// baseline; should Update record one tick twice, the snapshots since were encoded from the
// second states. Both are found from the newest back, wherever the ring has come to.
func TestBaselineIsTheNewestOfItsTick(t *testing.T) {
	v := NewClientView(DefaultViewRadius)
	e := NewDeltaEncoder()
	for tick := uint32(1); tick <= 3*ringLen; tick++ {
		v.remember(tick, []uint32{1, 2}, tick, []uint32{tick})
		v.remember(tick, []uint32{1, 3}, tick+1000, []uint32{tick, tick + 1})
		p, b, version, ok := v.find(tick)
		if !ok || version != tick+1000 || !slices.Equal(p, []uint32{1, 3}) || !slices.Equal(b, []uint32{tick, tick + 1}) {
			t.Fatalf("tick %d: found %v, version %d, lists %v %v: not the second snapshot", tick, ok, version, p, b)
		}
		for range 2 {
			e.hist[e.n%ringLen].tick = tick
			e.n++
		}
		if k := e.histAt(tick); k != (e.n-1)%ringLen {
			t.Fatalf("tick %d: states at place %d, want the newer, at %d", tick, k, (e.n-1)%ringLen)
		}
	}
}

// TestApplyPlayerEntries applies hand-made deltas: the entries go to the baseline's players
// still in view, in order, a run to as many players as it says, and those after the last entry
// move on as predicted; entering players are merged in by id. Entries for more players than
// that, and a player entering that is in view already, are refused.
func TestApplyPlayerEntries(t *testing.T) {
	pl := func(id uint32, x, vx int32, aim uint8) PlayerQ {
		return PlayerQ{ID: id, X: x, Y: 40, VX: vx, Aim: aim, Health: 100, Name: "p"}
	}
	sumOf := func(players []PlayerQ) uint16 {
		sum := newChecksum()
		for i := range players {
			sum = mix(sum, playerSum(&players[i]))
		}
		return sum.fold()
	}
	base := []PlayerQ{pl(2, 100, 4, 10), pl(5, 200, 0, 20), pl(9, 300, -4, 30), pl(12, 400, 4, 40), pl(15, 500, 4, 50)}
	start := func(t *testing.T) *Applier {
		var a Applier
		if _, err := a.Apply(&SnapshotDelta{Tick: 10, Entering: base, Checksum: sumOf(base)}); err != nil {
			t.Fatal(err)
		}
		return &a
	}
	entries := []PlayerDelta{
		{PlayerQ: PlayerQ{Aim: 3}, Mask: fieldAim}, // 2 turns
		{Run: 1}, // 9 as predicted
		{PlayerQ: PlayerQ{X: -4, Health: 60}, Mask: fieldX | fieldHealth}, // 12 stopped short, hurt
		// 15 as predicted, after the last entry
	}
	entering := pl(7, 250, 0, 0)
	want := []PlayerQ{pl(2, 108, 4, 13), entering, pl(9, 292, -4, 30), pl(12, 404, 4, 40), pl(15, 508, 4, 50)}
	want[3].Health = 60
	a := start(t)
	got, err := a.Apply(&SnapshotDelta{Tick: 12, BaseTick: 10, Players: entries, Entering: []PlayerQ{entering}, Removed: []uint32{5}, Checksum: sumOf(want)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Players, want) {
		t.Errorf("applied:\n%+v\nwant\n%+v", got.Players, want)
	}

	for name, d := range map[string]SnapshotDelta{
		"an entry too many":       {Players: append(slices.Clone(entries), PlayerDelta{Run: 1}, PlayerDelta{Run: 1}), Removed: []uint32{5}},
		"a run too long":          {Players: []PlayerDelta{{Run: 6}}},
		"entering, but in view":   {Entering: []PlayerQ{pl(9, 0, 0, 0)}},
		"every player, one extra": {Players: []PlayerDelta{{Run: 4}, {Mask: fieldAim, PlayerQ: PlayerQ{Aim: 1}}}, Removed: []uint32{5}},
	} {
		d.Tick, d.BaseTick = 12, 10
		if _, err := start(t).Apply(&d); !errors.Is(err, ErrBadDelta) {
			t.Errorf("%s: %v, want ErrBadDelta", name, err)
		}
	}
	// A player that left and came back between the baseline and now may be listed as both.
	back := pl(5, 230, 0, 0)
	want = []PlayerQ{pl(2, 108, 4, 10), back, pl(9, 292, -4, 30), pl(12, 408, 4, 40), pl(15, 508, 4, 50)}
	if _, err := start(t).Apply(&SnapshotDelta{Tick: 12, BaseTick: 10, Entering: []PlayerQ{back}, Removed: []uint32{5}, Checksum: sumOf(want)}); err != nil {
		t.Errorf("a player removed and entering: %v", err)
	}
}

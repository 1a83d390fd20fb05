package netcode

import (
	"math"
	"slices"
	"testing"
	"time"
)

// arenaClients runs the benchmark arena (n players, one per 200x200 units, everyone moving,
// view radius 700) with one client view per player, every client acknowledging each snapshot
// at once (a loopback round trip), until the views are in steady state.
type arenaClients struct {
	d     *deltaWorld
	enc   *DeltaEncoder
	views []*ClientView
	acks  []uint32
	buf   []byte
	bytes int
}

func newArenaClients(tb testing.TB, n int) *arenaClients {
	a := &arenaClients{d: newDeltaWorld(tb, n, 1), enc: NewDeltaEncoder()}
	for range n {
		a.views = append(a.views, NewClientView(DefaultViewRadius))
	}
	for range 60 {
		a.tick()
	}
	return a
}

// tick steps the world and encodes every client's snapshot; each client acknowledges it.
func (a *arenaClients) tick() {
	a.update()
	a.bytes = 0
	for i, v := range a.views {
		id := a.d.ids[i]
		a.buf = a.enc.AppendFor(a.buf[:0], v, a.d.w.Players[i].Pos, uint32(id), 0)
		a.bytes += len(a.buf)
		v.Ack = a.enc.Tick()
	}
}

// update steps the world and does the tick's shared work, as the room does.
func (a *arenaClients) update() {
	a.d.step(false)
	a.prepare()
}

// prepare does the tick's shared work: indexing the world and sharing baselines.
func (a *arenaClients) prepare() {
	a.enc.Update(a.d.w)
	a.acks = a.acks[:0]
	for _, v := range a.views {
		a.acks = append(a.acks, v.Ack)
	}
	a.enc.ShareBaselines(a.acks)
}

// BenchmarkDeltaPerClient measures what one client's snapshot costs the server per tick at
// 1,000 players: its interest, its delta and encoding, and its thousandth of the tick's shared
// work (prepare). It reports the bytes each client receives per second at 30 Hz, WebSocket
// framing included.
func BenchmarkDeltaPerClient(b *testing.B) { benchmarkPerClient(b, false, false) }

// BenchmarkDeltaPerClientCold is BenchmarkDeltaPerClient with the caches flushed between
// ticks, as the rest of a busy server flushes them: each client's state is cold when its turn
// comes. The difference is what memory costs, not instructions.
func BenchmarkDeltaPerClientCold(b *testing.B) { benchmarkPerClient(b, true, false) }

// BenchmarkDeltaPerClientLate is BenchmarkDeltaPerClientCold with each client's
// acknowledgements arriving 1 to 6 ticks late, varying from client to client and tick to
// tick, as on a loaded network: the clients' baselines spread over several ticks, some shared
// by too few clients to be encoded once for them. It comes closest to a real server's.
func BenchmarkDeltaPerClientLate(b *testing.B) { benchmarkPerClient(b, true, true) }

// evict is larger than any cache, for flushing them.
var evict []byte

func benchmarkPerClient(b *testing.B, cold, late bool) {
	a := newArenaClients(b, 1000)
	if cold && evict == nil {
		evict = make([]byte, 64<<20)
	}
	var sent [][]uint32 // with late: each client's ticks sent and not yet acknowledged
	if late {
		sent = make([][]uint32, len(a.views))
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	total := 0
	for b.Loop() {
		c := i % len(a.views)
		v := a.views[c]
		if c == 0 {
			b.StopTimer()
			a.d.step(false)
			for k := 0; cold && k < len(evict); k += 64 {
				evict[k]++
			}
			b.StartTimer()
			a.prepare()
		}
		a.buf = a.enc.AppendFor(a.buf[:0], v, a.d.w.Players[c].Pos, uint32(a.d.ids[c]), 0)
		total += wsFramed(len(a.buf))
		if !late {
			v.Ack = a.enc.Tick()
		} else {
			if ack, ok := lateAck(&sent[c], a.enc.Tick(), lateLag(c, a.enc.Tick())); ok {
				v.Ack = ack
			}
		}
		i++
	}
	b.ReportMetric(float64(total)/float64(i)*30/1000, "KB/client/s")
}

// lateLag is the ticks from a snapshot to the one carrying its ack for client c at tick, in
// the late benchmarks: 1 to 6, a hash of the two.
func lateLag(c int, tick uint32) int { return 1 + int(uint32(c*2654435761)^tick*40503)%6 }

// BenchmarkDeltaSharingPaired measures, in time, what ShareBaselines saves each client, and
// shows how to compare two ways of encoding on this noisy host: two encoders, each with its
// own 1,000 clients, encode the same world tick by tick, one with the baselines shared and
// one without, in turns (which goes first alternates). The two runs of a tick are next to
// each other in time, so that the host's swings, which move BenchmarkDeltaPerClient by
// hundreds of nanoseconds from one run to the next, hit both alike; the median of the
// per-tick differences then resolves a few tens. It reports each side's median time per
// client over the ticks (the tick's shared work included), the median difference and the
// median ratio. The host's speed also changes from minute to minute, by as much as 1.7
// times; the ratio holds through that, the nanoseconds do not.
//
// To compare a change in the encoder the same way, put both versions behind a switch that
// the two sides set.
func BenchmarkDeltaSharingPaired(b *testing.B) {
	b.Run("acks=at-once", func(b *testing.B) { benchmarkSharingPaired(b, false) })
	b.Run("acks=late", func(b *testing.B) { benchmarkSharingPaired(b, true) })
}

// pairedSide is one encoder of a paired benchmark, with its clients and its times.
type pairedSide struct {
	enc   *DeltaEncoder
	views []*ClientView
	acks  []uint32
	sent  [][]uint32 // with late acks: each client's ticks sent and not yet acknowledged
	times []float64  // ns per client, each measured tick
}

func benchmarkSharingPaired(b *testing.B, late bool) {
	const n = 1000
	d := newDeltaWorld(b, n, 1)
	var sides [2]*pairedSide // 0 shares baselines, 1 does not
	for s := range sides {
		sides[s] = &pairedSide{enc: NewDeltaEncoder(), sent: make([][]uint32, n)}
		for range n {
			sides[s].views = append(sides[s].views, NewClientView(DefaultViewRadius))
		}
	}
	sides[1].enc.shareFrom = math.MaxInt
	if late && evict == nil {
		evict = make([]byte, 64<<20)
	}
	var buf []byte
	run := func(sd *pairedSide, measure bool) {
		for k := 0; late && k < len(evict); k += 64 {
			evict[k]++
		}
		start := time.Now()
		sd.enc.Update(d.w)
		sd.acks = sd.acks[:0]
		for _, v := range sd.views {
			sd.acks = append(sd.acks, v.Ack)
		}
		sd.enc.ShareBaselines(sd.acks)
		tick := sd.enc.Tick()
		for c, v := range sd.views {
			buf = sd.enc.AppendFor(buf[:0], v, d.w.Players[c].Pos, uint32(d.ids[c]), 0)
			if !late {
				v.Ack = tick
			} else if ack, ok := lateAck(&sd.sent[c], tick, lateLag(c, tick)); ok {
				v.Ack = ack
			}
		}
		if measure {
			sd.times = append(sd.times, float64(time.Since(start).Nanoseconds())/n)
		}
	}
	ticks := 0
	step := func(measure bool) {
		d.step(false)
		first := ticks % 2
		run(sides[first], measure)
		run(sides[1-first], measure)
		ticks++
	}
	for range 60 {
		step(false)
	}
	for b.Loop() {
		step(true)
	}
	var diffs, ratios []float64
	for k, t := range sides[1].times {
		diffs = append(diffs, t-sides[0].times[k])
		ratios = append(ratios, t/sides[0].times[k])
	}
	b.ReportMetric(median(sides[0].times), "ns/client-shared")
	b.ReportMetric(median(sides[1].times), "ns/client-own")
	b.ReportMetric(median(diffs), "ns/client-saved")
	b.ReportMetric(median(ratios), "own/shared")
	b.ReportMetric(0, "ns/op")
}

// median returns the median of xs, which it sorts.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// BenchmarkDeltaUpdate measures the shared part of a tick at 1,000 players: indexing the
// world and encoding the entries of the baselines the clients share.
func BenchmarkDeltaUpdate(b *testing.B) {
	a := newArenaClients(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		a.enc.Update(a.d.w)
		a.enc.ShareBaselines(a.acks)
	}
}

func TestDeltaPerClientDoesNotAllocate(t *testing.T) {
	a := newArenaClients(t, 200)
	v := a.views[0]
	if n := testing.AllocsPerRun(50, func() {
		a.buf = a.enc.AppendFor(a.buf[:0], v, a.d.w.Players[0].Pos, uint32(a.d.ids[0]), 0)
		v.Ack = a.enc.Tick()
	}); n != 0 {
		t.Errorf("a client's snapshot in steady state: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(20, func() { a.enc.Update(a.d.w); a.enc.ShareBaselines(a.acks) }); n != 0 {
		t.Errorf("the shared per-tick update: %v allocations, want 0", n)
	}
}

// BenchmarkInterestUpdate measures one client's interest query per tick at 1,000 players (the
// players within its view radius, with hysteresis), the part of BenchmarkDeltaPerClient that
// finds what the client sees.
func BenchmarkInterestUpdate(b *testing.B) {
	a := newArenaClients(b, 1000)
	ins := make([]*Interest, len(a.views))
	for i := range ins {
		ins[i] = NewInterest(DefaultViewRadius)
		ins[i].Update(&a.enc.players, a.d.w.Players[i].Pos, uint32(a.d.ids[i]))
	}
	b.ReportAllocs()
	b.ResetTimer()
	i, seen := 0, 0
	for b.Loop() {
		k := i % len(ins)
		if k == 0 {
			b.StopTimer()
			a.update()
			b.StartTimer()
		}
		seen += len(ins[k].Update(&a.enc.players, a.d.w.Players[k].Pos, uint32(a.d.ids[k])))
		i++
	}
	b.ReportMetric(float64(seen)/float64(i), "visible/client")
}

// BenchmarkDecodeInput measures decoding one client input frame, as every session's read loop
// does 30 times a second.
func BenchmarkDecodeInput(b *testing.B) {
	frame := NewEncoder().Input(Input{Seq: 12345, Ack: 12000, MoveX: 0.6, MoveY: -0.8, Aim: 2.5, Buttons: ButtonFire, ViewTick: 11990})
	dec := NewClientDecoder()
	var m ClientMessage
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := dec.Decode(frame, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeltaBytes measures the bytes each client receives per second at 1,000 players
// when its acknowledgements arrive some ticks late, as over a real network: a baseline is
// then older, and what a client has not yet acknowledged (bullets, players entering) is sent
// again until it has. One iteration is one tick of every client's snapshot.
func BenchmarkDeltaBytes(b *testing.B) {
	for _, c := range []struct {
		name string
		lag  int // ticks from a snapshot's tick to the snapshot that carries its ack
	}{{"rtt=0", 1}, {"rtt=100ms", 3}, {"rtt=200ms", 6}} {
		b.Run(c.name, func(b *testing.B) {
			a := newArenaClients(b, 1000)
			sent := make([][]uint32, len(a.views)) // each client's applied ticks, not yet acknowledged
			total, snaps := 0, 0
			tick := func() {
				a.update()
				for i, v := range a.views {
					a.buf = a.enc.AppendFor(a.buf[:0], v, a.d.w.Players[i].Pos, uint32(a.d.ids[i]), 0)
					total += wsFramed(len(a.buf))
					snaps++
					if ack, ok := lateAck(&sent[i], a.enc.Tick(), c.lag); ok {
						v.Ack = ack
					}
				}
			}
			for range 30 { // until the lag shows
				tick()
			}
			total, snaps = 0, 0
			for b.Loop() {
				tick()
			}
			b.ReportMetric(float64(total)/float64(snaps)*30/1000, "KB/client/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// wsFramed is the bytes a WebSocket frame of n payload bytes takes (server frames are not
// masked): a 2-byte header under 126 bytes, 4 from there to 64 KiB.
func wsFramed(n int) int {
	if n < 126 {
		return n + 2
	}
	return n + 4
}

// lateAck records that a client was sent a snapshot at tick, among those it has not
// acknowledged yet (sent, oldest first), and returns the acknowledgement that arrives now: that
// of the snapshot sent lag ticks before, if there was one. The older ones are forgotten.
func lateAck(sent *[]uint32, tick uint32, lag int) (uint32, bool) {
	*sent = append(*sent, tick)
	drop := len(*sent) - lag
	if drop < 0 {
		return 0, false
	}
	ack := (*sent)[drop]
	*sent = append((*sent)[:0], (*sent)[drop+1:]...)
	return ack, true
}

package netcode

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
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
	sent  [][]uint32 // for late acks: each client's ticks sent and not yet acknowledged
}

func newArenaClients(tb testing.TB, n int) *arenaClients {
	a := newClientsOf(newDeltaWorld(tb, n, 1))
	for range 60 {
		a.tick()
	}
	return a
}

// newClientsOf returns an encoder and a client view for each player of world d, before any
// tick. Several may share one world, if one of them steps it.
func newClientsOf(d *deltaWorld) *arenaClients {
	a := &arenaClients{d: d, enc: NewDeltaEncoder(), sent: make([][]uint32, len(d.ids))}
	for range d.ids {
		a.views = append(a.views, NewClientView(DefaultViewRadius))
	}
	return a
}

// tick steps the world and encodes every client's snapshot; each client acknowledges it.
func (a *arenaClients) tick() {
	a.update()
	a.bytes = 0
	for c := range a.views {
		a.encode(c)
		a.bytes += len(a.buf)
		a.ack(c, 0)
	}
}

// encode encodes client c's snapshot into a.buf. As the room does, it names the next client,
// whose view the encoder prefetches meanwhile.
func (a *arenaClients) encode(c int) {
	if c+1 < len(a.views) {
		a.enc.Prefetch(a.views[c+1])
	}
	a.buf = a.enc.AppendFor(a.buf[:0], a.views[c], a.d.w.Players[c].Pos, uint32(a.d.ids[c]), 0)
}

// ack acknowledges for client c: the snapshot just sent, with lag 0; with a lag of n, the one
// sent n ticks before, as lateAck does.
func (a *arenaClients) ack(c, lag int) {
	if lag == 0 {
		a.views[c].Ack = a.enc.Tick()
	} else if ack, ok := lateAck(&a.sent[c], a.enc.Tick(), lag); ok {
		a.views[c].Ack = ack
	}
}

// lag is client c's acknowledgement delay this tick: 0 (at once), or if late, 1 to 6 ticks,
// a hash of the client and the tick.
func (a *arenaClients) lag(c int, late bool) int {
	if !late {
		return 0
	}
	return 1 + int(uint32(c*2654435761)^a.enc.Tick()*40503)%6
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

// evict is larger than any cache, for flushing them (flushCaches).
var evict []byte

// flushCaches writes a byte of every line of evict, so that the caches hold nothing else, as
// the rest of a busy server leaves them between ticks.
func flushCaches() {
	if evict == nil {
		evict = make([]byte, 64<<20)
	}
	for k := 0; k < len(evict); k += 64 {
		evict[k]++
	}
}

func benchmarkPerClient(b *testing.B, cold, late bool) {
	a := newArenaClients(b, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	total := 0
	for b.Loop() {
		c := i % len(a.views)
		if c == 0 {
			b.StopTimer()
			a.d.step(false)
			if cold {
				flushCaches()
			}
			b.StartTimer()
			a.prepare()
		}
		a.encode(c)
		total += wsFramed(len(a.buf))
		a.ack(c, a.lag(c, late))
		i++
	}
	b.ReportMetric(float64(total)/float64(i)*30/1000, "KB/client/s")
}

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

func benchmarkSharingPaired(b *testing.B, late bool) {
	d := newDeltaWorld(b, 1000, 1)
	sides := [2]*arenaClients{newClientsOf(d), newClientsOf(d)} // 0 shares baselines, 1 does not
	sides[1].enc.shareFrom = math.MaxInt
	var times [2][]float64 // ns per client, each measured tick
	run := func(s int, measure bool) {
		a := sides[s]
		if late {
			flushCaches()
		}
		start := time.Now()
		a.prepare()
		for c := range a.views {
			a.encode(c)
			a.ack(c, a.lag(c, late))
		}
		if measure {
			times[s] = append(times[s], float64(time.Since(start).Nanoseconds())/float64(len(a.views)))
		}
	}
	ticks := 0
	step := func(measure bool) {
		d.step(false)
		first := ticks % 2
		run(first, measure)
		run(1-first, measure)
		ticks++
	}
	for range 60 {
		step(false)
	}
	for b.Loop() {
		step(true)
	}
	var diffs, ratios []float64
	for k, t := range times[1] {
		diffs = append(diffs, t-times[0][k])
		ratios = append(ratios, t/times[0][k])
	}
	b.ReportMetric(median(times[0]), "ns/client-shared")
	b.ReportMetric(median(times[1]), "ns/client-own")
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
	// AllocsPerRun rounds down to whole allocations a run: one run of them all.
	if n := testing.AllocsPerRun(1, func() {
		for range 50 {
			a.encode(0)
			a.ack(0, 0)
		}
	}); n != 0 {
		t.Errorf("50 of a client's snapshots in steady state: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(1, func() {
		for range 20 {
			a.enc.Update(a.d.w)
			a.enc.ShareBaselines(a.acks)
		}
	}); n != 0 {
		t.Errorf("20 of the shared per-tick updates: %v allocations, want 0", n)
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
			total, snaps := 0, 0
			tick := func() {
				a.update()
				for i := range a.views {
					a.encode(i)
					total += wsFramed(len(a.buf))
					snaps++
					a.ack(i, c.lag)
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

// BenchmarkDeltaSpectator measures what one spectator's snapshot costs the server per tick,
// and the bytes it receives per second, at 1,000 players in the benchmark arena (6,325 units
// square), watching from the arena's centre with the radius of each sub-benchmark: 700, a
// player's, up to 4,000, the most the protocol allows, which takes in nearly the whole arena.
// Its acknowledgements come at once, as the players' do, whose baseline it shares. Compare
// ns/op with BenchmarkDeltaPerClient's; the tick's shared work is left out.
func BenchmarkDeltaSpectator(b *testing.B) {
	for _, radius := range []float64{700, 2000, 4000} {
		b.Run(fmt.Sprintf("radius=%.0f", radius), func(b *testing.B) {
			d := newDeltaWorld(b, 1000, 1)
			enc := NewDeltaEncoder()
			v := NewClientView(radius)
			centre := game.Vec{X: d.w.Arena.W / 2, Y: d.w.Arena.H / 2}
			var buf []byte
			acks := make([]uint32, len(d.ids)+1)
			tick := func() {
				d.step(false)
				enc.Update(d.w)
				for i := range acks {
					acks[i] = v.Ack // the players acknowledged the same tick
				}
				enc.ShareBaselines(acks)
			}
			for range 60 {
				tick()
				buf = enc.AppendFor(buf[:0], v, centre, 0, 0)
				v.Ack = enc.Tick()
			}
			b.ReportAllocs()
			total := 0
			for b.Loop() {
				b.StopTimer()
				tick()
				b.StartTimer()
				buf = enc.AppendFor(buf[:0], v, centre, 0, 0)
				v.Ack = enc.Tick()
				total += wsFramed(len(buf))
			}
			b.ReportMetric(float64(total)/float64(b.N)*30/1000, "KB/s")
			b.ReportMetric(float64(len(v.players.Visible())), "players-seen")
		})
	}
}

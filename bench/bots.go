package main

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/netcode"
)

// A bot is one simulated player: a netcode.Client with two goroutines, as the client allows.
// The sender sends one input per tick (it wanders, turns its aim, fires about once a second)
// and a ping every pingPeriod, as the browser does; the reader reads every frame and decodes
// only the snapshot header (PeekSnapshot) and pongs, which is all the bench measures: bytes,
// arrival times, missed ticks, the acknowledged input and the round trip.

// behaviour is how bots play. The zero value is not useful; see the flags in config.go.
type behaviour struct {
	dirMin, dirMax time.Duration // a bot picks a new direction after a random time in this range
	fireEvery      time.Duration // mean time between shots
	maxTurn        float64       // the largest aim turn rate, radians per second
}

// ackRing remembers when recent inputs were sent, by seq, so that the reader can time how long
// the server took to acknowledge one (snapshot lastSeq). 512 inputs are 17 s at 30 Hz, far
// longer than any server keeps a client waiting.
const ackRing = 512

// pingPeriod is how often a bot pings (the protocol's ping, answered by the session's read
// loop and writer): twice a second, as the browser client does.
const pingPeriod = 500 * time.Millisecond

type bot struct {
	id int
	c  *netcode.Client

	// Cumulative counters, written by the reader, read by anyone.
	bytes     atomic.Uint64 // payload bytes of every frame received
	snapBytes atomic.Uint64 // payload bytes of snapshot frames
	snaps     atomic.Uint64 // snapshot frames received
	lastTick  atomic.Uint32 // tick of the newest snapshot, sent back as the input's ack

	// Send times of recent inputs, written by the sender (time first, then seq), read by the
	// reader (seq first): a matching seq guarantees its time.
	sentSeq [ackRing]atomic.Uint32
	sentAt  [ackRing]atomic.Int64

	mu sync.Mutex // guards w
	w  botWindow  // what the reader measured during the window

	readerDone chan struct{} // closed when the reader has ended
	senderDone chan struct{} // closed when the sender has ended
	endErr     error         // why the reader ended; read after readerDone
	endedAt    time.Time     // when; read after readerDone
	unexpected bool          // the reader ended before the teardown began
}

// botWindow is what one bot measures while the window is open.
type botWindow struct {
	jitter   histogram // |inter-arrival - ticks advanced x tick period| of snapshots
	ack      histogram // input send -> first snapshot whose lastSeq covers it
	rtt      histogram // ping send -> its pong
	overRTT  histogram // each ack sample less the bot's newest round trip: what the server adds
	received uint64    // snapshots
	missed   uint64    // snapshot ticks skipped (a newer snapshot replaced an unsent one)
}

// fleetTiming is how often bots send, and what they need to interpret snapshot ticks.
type fleetTiming struct {
	inputPeriod time.Duration // one input per server tick
	tickPeriod  time.Duration // the time one snapshot tick number stands for
	sendEvery   uint32        // tick numbers between snapshots
}

// read reads frames until the connection ends. It records into b.w only while measuring.
func (b *bot) read(timing fleetTiming, measuring, tearingDown *atomic.Bool) {
	defer close(b.readerDone)
	dec := netcode.NewServerDecoder()
	var prevTick, lastAck uint32
	var prevAt time.Time
	var msg netcode.ServerMessage
	var rtt time.Duration // the newest round trip; 0 before the first pong
	for {
		frame, err := b.c.NextFrame()
		now := time.Now()
		if err != nil {
			b.endErr, b.endedAt = err, now
			b.unexpected = !tearingDown.Load()
			return
		}
		b.bytes.Add(uint64(len(frame)))
		tick, lastSeq, ok := dec.PeekSnapshot(frame)
		if !ok {
			if r, isPong := pongRTT(dec, &msg, frame, now); isPong {
				rtt = r
				if measuring.Load() {
					b.mu.Lock()
					b.w.rtt.observe(r)
					b.mu.Unlock()
				}
			}
			continue
		}
		b.snaps.Add(1)
		b.snapBytes.Add(uint64(len(frame)))
		if measuring.Load() {
			b.mu.Lock()
			b.w.received++
			if prevTick != 0 && tick > prevTick {
				gap := tick - prevTick
				if steps := gap / max(timing.sendEvery, 1); steps > 1 {
					b.w.missed += uint64(steps - 1)
				}
				expected := time.Duration(gap) * timing.tickPeriod
				b.w.jitter.observe((now.Sub(prevAt) - expected).Abs())
			}
			if lastSeq > lastAck {
				i := lastSeq % ackRing
				if b.sentSeq[i].Load() == lastSeq {
					ack := now.Sub(time.Unix(0, b.sentAt[i].Load()))
					b.w.ack.observe(ack)
					if rtt > 0 {
						b.w.overRTT.observe(ack - rtt)
					}
				}
			}
			b.mu.Unlock()
		}
		if lastSeq > lastAck {
			lastAck = lastSeq
		}
		prevTick, prevAt = tick, now
		b.lastTick.Store(tick)
	}
}

// pongRTT returns the round trip of a pong frame received at now, whose ping carried its send
// time in Unix microseconds (see send); ok is false for any other frame.
func pongRTT(dec *netcode.ServerDecoder, msg *netcode.ServerMessage, frame []byte, now time.Time) (rtt time.Duration, ok bool) {
	if dec.Decode(frame, msg) != nil || msg.Type != netcode.MsgPong {
		return 0, false
	}
	rtt = now.Sub(time.UnixMicro(int64(msg.Pong.ClientTime)))
	return rtt, rtt >= 0
}

// send sends one input per tick period, and a ping every pingPeriod, until ctx ends or a send
// fails (the reader then sees why the connection ended).
func (b *bot) send(ctx context.Context, period time.Duration, beh behaviour, seed uint64) {
	defer close(b.senderDone)
	rng := rand.New(rand.NewPCG(seed, uint64(b.id)))
	// A random phase, so that the bots' inputs do not all arrive at the same instant.
	phase := time.NewTimer(time.Duration(rng.Int64N(int64(period))))
	select {
	case <-ctx.Done():
		phase.Stop()
		return
	case <-phase.C:
	}
	tk := time.NewTicker(period)
	defer tk.Stop()
	var (
		seq                uint32
		moveX, moveY       float64
		aim, turn          float64
		nextTurn, nextFire time.Time
		nextPing           time.Time
		last               = time.Now()
	)
	uniform := func(lo, hi time.Duration) time.Duration {
		if hi <= lo {
			return lo
		}
		return lo + time.Duration(rng.Int64N(int64(hi-lo)))
	}
	aim = rng.Float64() * 2 * math.Pi
	nextFire = last.Add(uniform(0, 2*beh.fireEvery))
	for {
		now := time.Now()
		if !now.Before(nextTurn) {
			if rng.IntN(8) == 0 { // now and then, stand still
				moveX, moveY = 0, 0
			} else {
				moveY, moveX = math.Sincos(rng.Float64() * 2 * math.Pi)
			}
			turn = (2*rng.Float64() - 1) * beh.maxTurn
			nextTurn = now.Add(uniform(beh.dirMin, beh.dirMax))
		}
		aim = math.Remainder(aim+turn*now.Sub(last).Seconds(), 2*math.Pi)
		last = now
		var buttons netcode.Buttons
		if !now.Before(nextFire) {
			buttons = netcode.ButtonFire
			nextFire = now.Add(uniform(beh.fireEvery/2, beh.fireEvery*3/2))
		}
		seq++
		i := seq % ackRing
		b.sentAt[i].Store(now.UnixNano())
		b.sentSeq[i].Store(seq)
		in := netcode.Input{Seq: seq, Ack: b.lastTick.Load(), MoveX: moveX, MoveY: moveY, Aim: aim, Buttons: buttons}
		if err := b.c.SendInput(in); err != nil {
			return
		}
		if !now.Before(nextPing) {
			// Unix microseconds are exact in a float64 (below 2^53).
			if err := b.c.Ping(float64(now.UnixMicro())); err != nil {
				return
			}
			nextPing = now.Add(pingPeriod)
		}
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

// window returns a copy of what the bot measured in the window.
func (b *bot) window() botWindow {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w
}

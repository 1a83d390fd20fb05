package main

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/netcode"
)

// Lag compensation trusts a client's view tick only so far: the rewind it implies may not
// exceed the measured round trip plus this much interpolation delay (the browser's adapts
// between 50 and 300 ms). A client that does not say uses half its round trip plus
// assumedInterpDelay.
const (
	maxInterpDelay     = 300 * time.Millisecond
	assumedInterpDelay = 100 * time.Millisecond
)

// rewind returns how many ticks to rewind the shots of an input made while its client drew
// others at viewTick (0: unknown), for a client whose smoothed round trip is rtt. The input
// is applied in the coming tick.
func (r *Room) rewind(viewTick uint32, rtt time.Duration) int {
	if viewTick == 0 {
		return r.world.RewindTicks(rtt/2 + assumedInterpDelay)
	}
	claimed := int(r.world.Tick+1) - int(viewTick)
	return min(max(claimed, 0), r.world.RewindTicks(rtt+maxInterpDelay))
}

// RoomConfig sets up a room.
type RoomConfig struct {
	TickRate     int // ticks per second
	SnapshotRate int // snapshots per second; divides TickRate
	MaxPlayers   int
	// MaxSpectators is how many spectators the room takes besides its players; 0: none.
	MaxSpectators int
	// ViewRadius is how far a client sees, in world units.
	ViewRadius float64
	// ReconnectGrace is how long the player of a connection lost by accident stays in the
	// world, waiting for its client to come back with its token. 0 removes it at once.
	ReconnectGrace time.Duration
}

// Room runs one arena: a goroutine (Run) that alone owns the world, steps it at a fixed tick
// and hands each session its snapshot. Sessions reach it only through the bounded channels
// below, from their read loops (it implements netcode.Handler).
type Room struct {
	id      string
	private bool // not listed; joined only by id
	log     *slog.Logger
	cfg     RoomConfig

	// mu guards the fields below: joining and closing exclude each other. The Run goroutine
	// writes tokens; HandleJoin reads it.
	mu         sync.Mutex
	players    int                // players (connected or held for reconnection) and their joins on the way
	spectators int                // spectators and their joins on the way
	closed     bool               // closed by the lobby; joins are refused
	idleSince  time.Time          // when players and spectators last fell to zero (or the room was last picked)
	tokens     map[string]*member // reconnection token -> member

	// Membership changes, in order per session. Bounded: a join that finds it full is refused
	// (1013, try again later); a leave waits for room, because a leave must not be lost.
	membership chan membershipChange
	// Inputs, drained once per tick. Bounded: an input that finds it full is dropped and
	// counted; the player's movement continues from the previous one.
	inputs chan sessionInput

	done chan struct{} // closed when Run returns
	tick atomic.Uint32 // the world's tick, for pongs

	InputsDropped atomic.Uint64 // inputs lost to a full input channel
	Resyncs       atomic.Uint64 // full snapshots clients asked for after deltas (ClientView.Resyncs)
	metrics       roomMetrics
	stats         tickStats
	skipped       atomic.Uint64 // ticks skipped after falling too far behind

	// Owned by the Run goroutine.
	world     *game.World
	members   map[*netcode.Session]*member // connected members by session
	order     []*member                    // all members in join order: the order their inputs reach the world
	delta     *netcode.DeltaEncoder        // delta snapshots
	stepInput []game.Input
	sendEvery uint32
	building  []*member // this tick's members with a snapshot to build
	acks      []uint32  // their acknowledged ticks
	build     func(sc *netcode.DeltaScratch, m *member)
	scratch   netcode.DeltaScratch // for the share of the snapshots the Run goroutine builds
	built     chan struct{}        // capacity 1: the pool's signal that a tick's snapshots are built

	// Set before Run, by the lobby: the pool that builds snapshots with the Run goroutine
	// (nil: it builds them alone), and what prioritizes the Run goroutine's thread (nil: none).
	pool       *buildPool
	prioritize func()
}

type sessionInput struct {
	s       *netcode.Session
	in      netcode.Input
	watch   netcode.Watch // a spectator's watch, if isWatch
	isWatch bool
}

// NewRoom makes a room around world w. Call Run to start its clock.
func NewRoom(w *game.World, cfg RoomConfig, log *slog.Logger) *Room {
	backlog := max(256, 2*(cfg.MaxPlayers+cfg.MaxSpectators))
	return &Room{
		idleSince:  time.Now(),
		tokens:     make(map[string]*member),
		log:        log,
		cfg:        cfg,
		membership: make(chan membershipChange, backlog),
		inputs:     make(chan sessionInput, backlog),
		done:       make(chan struct{}),
		built:      make(chan struct{}, 1),
		world:      w,
		members:    make(map[*netcode.Session]*member),
		delta:      netcode.NewDeltaEncoder(),
		sendEvery:  uint32(cfg.TickRate / cfg.SnapshotRate),
	}
}

// Run ticks the room until ctx ends. It is the only goroutine that touches the world.
func (r *Room) Run(ctx context.Context) {
	defer close(r.done)
	if r.prioritize != nil {
		r.prioritize()
	}
	r.build = func(sc *netcode.DeltaScratch, m *member) {
		resyncs := m.view.Resyncs()
		m.frame = r.delta.AppendForWith(sc, m.s.SnapshotBuffer(), m.view, m.focusNow, uint32(m.id), m.q.LastSeq())
		if m.view.Resyncs() != resyncs {
			r.Resyncs.Add(1)
			r.metrics.resyncs.Inc()
		}
	}
	period := time.Second / time.Duration(r.cfg.TickRate)
	clock := newTickClock(time.Now(), period)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		for range clock.due(time.Now()) {
			r.step(period)
		}
		r.skipped.Store(clock.Skipped)
		timer.Reset(clock.wait(time.Now()))
	}
}

// step runs one tick: membership changes, inputs, simulation, snapshots. It records how
// long the tick took against its period.
func (r *Room) step(period time.Duration) {
	start := time.Now()
	r.drainMembership()
	for n := len(r.inputs); n > 0; n-- { // a bounded batch: what had arrived when the tick began
		si := <-r.inputs
		if m := r.members[si.s]; m != nil && si.isWatch {
			m.watch(si.watch, r.world.Arena)
		} else if m != nil {
			if m.q.Push(si.in) {
				r.metrics.jitter.Inc()
			}
			m.view.Ack = si.in.Ack // the newest the client applied, as soon as it says so
		}
	}
	r.expireHeld(start)
	r.stepInput = r.stepInput[:0]
	for _, m := range r.order {
		if m.spectator {
			m.q.Next() // keeps LastSeq for its snapshots; a spectator has no player to move
			continue
		}
		next, late := m.q.Next()
		in := next.GameInput(m.id, late)
		if m.s != nil { // lag compensation: shots hit what the shooter saw
			in.Rewind = r.rewind(next.ViewTick, m.s.RTT())
		}
		r.stepInput = append(r.stepInput, in)
	}
	stepStart := time.Now()
	r.world.Step(r.stepInput)
	r.tick.Store(r.world.Tick)
	sendStart := time.Now()
	handoff := sendStart
	if r.world.Tick%r.sendEvery == 0 && len(r.order) > 0 {
		handoff = r.buildSnapshots()
		r.handOffSnapshots()
	}
	if r.world.Tick%uint32(r.cfg.TickRate) == 0 {
		r.sendScores()
	}
	end := time.Now()
	total := end.Sub(start)
	overran := total > period
	r.stats.record(sendStart.Sub(stepStart), handoff.Sub(sendStart), end.Sub(handoff), total, overran)
	r.metrics.tick.Observe(total.Seconds())
	if overran {
		r.metrics.overruns.Inc()
	}
}

// buildSnapshots encodes the tick's shared state once, then every connected member's
// snapshot (its interest and its delta) into a buffer of its session's, on every processor.
// It returns when it finished.
func (r *Room) buildSnapshots() time.Time {
	r.delta.Update(r.world)
	r.building, r.acks = r.building[:0], r.acks[:0]
	for _, m := range r.order {
		if m.s == nil {
			continue // held for reconnection
		}
		m.focusNow = m.focus
		if !m.spectator {
			m.focusNow = r.world.Player(m.id).Pos
		}
		r.building = append(r.building, m)
		r.acks = append(r.acks, m.view.Ack)
	}
	r.delta.ShareBaselines(r.acks)
	r.pool.run(&r.scratch, r.built, r.building, r.build)
	// Forget the members: the list's array must not keep those who leave (their sessions and
	// views) while the room lives on.
	clear(r.building)
	return time.Now()
}

// sendScores sends every member the room's scoreboard, encoded once. A member whose control
// queue is full misses this one; the next comes in a second.
func (r *Room) sendScores() {
	var frame []byte
	for _, m := range r.order {
		if m.s == nil {
			continue
		}
		if frame == nil {
			sc := netcode.Scores{Players: len(r.world.Players)}
			for _, p := range topPlayers(r.world.Players, netcode.ScoreboardLen) {
				sc.Top = append(sc.Top, netcode.ScoreEntry{ID: uint32(p.ID), Name: p.Name, Hue: p.Hue, Kills: p.Kills, Deaths: p.Deaths})
			}
			frame = netcode.NewEncoder().Scores(&sc)
		}
		_ = m.s.QueueControl(frame)
	}
}

// topPlayers returns the n best players: most kills, then fewest deaths, then earliest joined.
// For a few of many (the scoreboard, every second) it picks them without copying them all.
func topPlayers(players []game.Player, n int) []game.Player {
	rank := func(a, b game.Player) int {
		return cmp.Or(cmp.Compare(b.Kills, a.Kills), cmp.Compare(a.Deaths, b.Deaths))
	}
	if n >= len(players) {
		ps := slices.Clone(players)
		slices.SortStableFunc(ps, rank)
		return ps
	}
	top := make([]game.Player, 0, n)
	for _, p := range players {
		i := len(top)
		for i > 0 && rank(p, top[i-1]) < 0 { // strictly better: ties keep join order
			i--
		}
		if i == n {
			continue
		}
		if len(top) < n {
			top = append(top, game.Player{})
		}
		copy(top[i+1:], top[i:len(top)-1])
		top[i] = p
	}
	return top
}

// handOffSnapshots gives every session the frame built for it. It never blocks.
func (r *Room) handOffSnapshots() {
	for _, m := range r.order {
		if m.frame != nil {
			m.s.QueueSnapshot(m.frame)
			m.frame = nil
		}
	}
}

// RoomStats is what /stats reports about a room. Counters and histograms are cumulative
// since the room started; subtract two readings to see a window.
type RoomStats struct {
	ID            string            `json:"id"`
	Players       int               `json:"players"`
	Spectators    int               `json:"spectators"`
	Tick          uint32            `json:"tick"`
	TickRate      int               `json:"tick_rate"`
	SnapshotRate  int               `json:"snapshot_rate"`
	Ticks         uint64            `json:"ticks"`
	Overruns      uint64            `json:"overruns"`
	Skipped       uint64            `json:"skipped"`
	InputsDropped uint64            `json:"inputs_dropped"`
	Resyncs       uint64            `json:"resyncs"`       // full snapshots clients asked for after deltas (ClientView.Resyncs)
	TickTime      HistogramSnapshot `json:"tick_time"`     // whole tick
	StepTime      HistogramSnapshot `json:"step_time"`     // simulation
	SnapshotTime  HistogramSnapshot `json:"snapshot_time"` // encode_time and handoff_time
	EncodeTime    HistogramSnapshot `json:"encode_time"`   // interest, deltas and encoding, all clients
	HandoffTime   HistogramSnapshot `json:"handoff_time"`  // handing frames to the sessions
}

// Stats reads the room's statistics. Any goroutine may call it.
func (r *Room) Stats() RoomStats {
	t := r.stats.read()
	return RoomStats{
		ID: r.id, Players: r.Players(), Spectators: r.Spectators(), Tick: r.tick.Load(),
		TickRate: r.cfg.TickRate, SnapshotRate: r.cfg.SnapshotRate,
		Ticks: t.ticks, Overruns: t.overruns, Skipped: r.skipped.Load(),
		InputsDropped: r.InputsDropped.Load(),
		Resyncs:       r.Resyncs.Load(),
		TickTime:      t.total,
		StepTime:      t.step,
		SnapshotTime:  t.snapshot,
		EncodeTime:    t.encode,
		HandoffTime:   t.handoff,
	}
}

// Players returns the number of players in the room, counting those joining and those held
// for reconnection; spectators are not players.
func (r *Room) Players() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.players
}

// Spectators returns the number of spectators in the room, counting those joining.
func (r *Room) Spectators() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.spectators
}

// touch restarts the idle clock of a room that has just been picked for a player, so that it
// is not closed before the player's join arrives.
func (r *Room) touch() {
	r.mu.Lock()
	r.idleSince = time.Now()
	r.mu.Unlock()
}

// closeIfIdle closes the room, refusing joins from now on, if it has had no players for at
// least idle, as of now. It reports whether it did.
func (r *Room) closeIfIdle(now time.Time, idle time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.players == 0 && r.spectators == 0 && now.Sub(r.idleSince) >= idle {
		r.closed = true
	}
	return r.closed
}

// HandleInput queues an input for the next tick; it drops it if the queue is full.
func (r *Room) HandleInput(s *netcode.Session, in netcode.Input) {
	r.queueInput(sessionInput{s: s, in: in})
}

// HandleWatch queues a spectator's watch for the next tick, like an input.
func (r *Room) HandleWatch(s *netcode.Session, w netcode.Watch) {
	r.queueInput(sessionInput{s: s, watch: w, isWatch: true})
}

func (r *Room) queueInput(si sessionInput) {
	select {
	case r.inputs <- si:
	default:
		r.InputsDropped.Add(1)
		r.metrics.queueFull.Inc()
	}
}

// ServerTick returns the room's current tick.
func (r *Room) ServerTick() uint32 { return r.tick.Load() }

// Scores returns the players ranked by kills. Call it only when Run has returned (it reads
// the world).
func (r *Room) Scores() []game.Player {
	<-r.done
	return topPlayers(r.world.Players, len(r.world.Players))
}

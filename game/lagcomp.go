package game

import "time"

// Lag compensation. A player sees others where they were a moment ago: half a round trip for
// the snapshot to arrive, plus the client's interpolation delay. So that a shot that hits on
// the shooter's screen hits in the world, every player keeps where it was over the last
// second, and a bullet fired with a rewind of N ticks is tested, all its flight, against
// targets where they were N ticks before. Favour the shooter, within a bound: the rewind is
// clamped to the history.

// HistoryLength is how far back lag compensation can rewind.
const HistoryLength = time.Second

// posRecord is where a player was at the end of a tick, and whether it could be hit then.
type posRecord struct {
	tick  uint32
	pos   Vec
	alive bool
}

// record notes every player's position at the end of the current tick's movement.
func (w *World) recordPositions() {
	n := uint32(w.historyTicks)
	for i := range w.Players {
		p := &w.Players[i]
		if len(p.history) == 0 {
			p.history = make([]posRecord, n)
		}
		p.history[w.Tick%n] = posRecord{tick: w.Tick, pos: p.Pos, alive: p.Alive}
	}
}

// posAt returns where p was at tick t, and whether it was alive and known then.
func (w *World) posAt(p *Player, t uint32) (Vec, bool) {
	if len(p.history) == 0 {
		return p.Pos, p.Alive
	}
	r := p.history[t%uint32(len(p.history))]
	if r.tick != t {
		return Vec{}, false // not in the world then, or older than the history
	}
	return r.pos, r.alive
}

// MaxRewind is the largest rewind, in ticks, that Step honours.
func (w *World) MaxRewind() int { return w.historyTicks - 1 }

// RewindTicks converts what a shooter's screen lags behind the server, a duration, into a
// rewind in ticks, clamped to the history.
func (w *World) RewindTicks(lag time.Duration) int {
	r := int(lag.Seconds()*float64(w.TickRate) + 0.5)
	return min(max(r, 0), w.MaxRewind())
}

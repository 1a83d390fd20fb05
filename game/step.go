package game

import "math"

// Input is what one player wants during one tick.
type Input struct {
	Player EntityID
	Move   Vec     // wanted direction, length at most 1 (longer is shortened)
	Aim    float64 // radians
	Fire   bool
	// Rewind is how many ticks the shooter's view of others lags the world (lag
	// compensation): a shot fired now is tested against targets where they were then.
	// Clamped to MaxRewind.
	Rewind int
	// Earlier holds, oldest first, the moves of inputs that arrived late and are caught up
	// this tick: each moves the player a tick's worth before Move does, so that every input
	// moves the player exactly once, as a predicting client assumes.
	Earlier  [MaxEarlier]Vec
	NEarlier int
}

// MaxEarlier is how many late inputs one tick can catch up.
const MaxEarlier = 3

// Step advances the world by one tick. inputs holds at most one input per player (a later one
// for the same player replaces an earlier one); players without an input stand still and hold
// fire. Step is deterministic: the same world and inputs always give the same result.
//
// One tick, in order: players turn and move (sliding along walls); bullets in flight advance
// and hit the first player or wall on their path; players who asked to fire and may, fire;
// players whose respawn time has come respawn.
func (w *World) Step(inputs []Input) {
	w.Tick++
	w.Events = w.Events[:0]
	for i := range w.Players {
		p := &w.Players[i]
		p.move, p.fire, p.rewind, p.nEarlier = Vec{}, false, 0, 0
	}
	for _, in := range inputs {
		p := w.Player(in.Player)
		if p == nil {
			continue
		}
		if finite(in.Move.X) && finite(in.Move.Y) {
			p.move = in.Move.ClampLen(1)
		}
		p.nEarlier = 0
		for _, m := range in.Earlier[:min(max(in.NEarlier, 0), MaxEarlier)] {
			if finite(m.X) && finite(m.Y) {
				p.earlier[p.nEarlier] = m.ClampLen(1)
				p.nEarlier++
			}
		}
		if finite(in.Aim) {
			p.Aim = math.Mod(in.Aim, 2*math.Pi)
		}
		p.fire = in.Fire
		p.rewind = uint32(min(max(in.Rewind, 0), w.MaxRewind()))
	}

	r := w.Rules.PlayerRadius
	step := float64(w.Rules.PlayerSpeed * w.dt)
	for i := range w.Players {
		p := &w.Players[i]
		p.Moved = Vec{}
		if !p.Alive {
			continue
		}
		for _, m := range p.earlier[:p.nEarlier] {
			if m != (Vec{}) {
				p.Pos = SnapPos(w.Arena.moveBox(p.Pos, r, m.Scale(step)))
			}
		}
		if p.move != (Vec{}) {
			from := p.Pos
			p.Pos = SnapPos(w.Arena.moveBox(p.Pos, r, p.move.Scale(step)))
			p.Moved = p.Pos.Sub(from)
		}
	}
	w.rebuildGrid()
	w.recordPositions()
	w.advanceBullets()
	w.fire()
	for i := range w.Players {
		if p := &w.Players[i]; !p.Alive && w.Tick >= p.respawnTick {
			w.spawn(i)
		}
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// advanceBullets moves every bullet along its path for one tick. A bullet ends at the first
// living player (other than its owner) or wall it meets, or when its time is up.
func (w *World) advanceBullets() {
	reach := w.Rules.PlayerRadius + w.Rules.BulletRadius
	kept := w.Bullets[:0]
	for _, b := range w.Bullets {
		d := b.Vel.Scale(w.dt)
		end, wall := w.Arena.traceWall(b.Pos, d)
		if !wall {
			end = 1
		}
		// Targets are found by where they are now, so the box grows by how far a player
		// can have moved since the tick the bullet tests against.
		margin := reach + float64(w.Rules.PlayerSpeed*w.dt)*float64(b.rewind)
		lo := Vec{math.Min(b.Pos.X, b.Pos.X+d.X) - margin, math.Min(b.Pos.Y, b.Pos.Y+d.Y) - margin}
		hi := Vec{math.Max(b.Pos.X, b.Pos.X+d.X) + margin, math.Max(b.Pos.Y, b.Pos.Y+d.Y) + margin}
		victim := -1
		for _, j := range w.near(lo, hi) {
			p := &w.Players[j]
			if !p.Alive || p.ID == b.Owner {
				continue
			}
			at, hittable := p.Pos, true
			if b.rewind > 0 {
				at, hittable = w.posAt(p, w.Tick-b.rewind)
			}
			if !hittable {
				continue
			}
			if t, ok := segmentCircle(b.Pos, d, at, reach); ok && t <= end {
				victim, end = int(j), t
			}
		}
		switch {
		case victim >= 0:
			w.hit(b.Owner, victim)
		case wall || w.Tick >= b.dies:
		default:
			b.Pos = b.Pos.Add(d)
			kept = append(kept, b)
		}
	}
	w.Bullets = kept
}

// hit applies one bullet's damage from shooter to player i.
func (w *World) hit(shooter EntityID, i int) {
	p := &w.Players[i]
	p.Health -= w.Rules.BulletDamage
	if p.Health > 0 {
		w.Events = append(w.Events, Event{Kind: EventHit, Actor: shooter, Target: p.ID})
		return
	}
	p.Health = 0
	p.Alive = false
	p.Moved = Vec{}
	p.Deaths++
	p.respawnTick = w.Tick + w.respawnTicks
	if s := w.Player(shooter); s != nil && s.ID != p.ID {
		s.Kills++
	}
	w.Events = append(w.Events, Event{Kind: EventKill, Actor: shooter, Target: p.ID})
}

// fire starts a bullet for every living player who holds fire and whose gun is ready. The
// bullet starts just outside the player's circle; a muzzle inside a wall fires nothing.
func (w *World) fire() {
	r := w.Rules
	for i := range w.Players {
		p := &w.Players[i]
		if !p.fire || !p.Alive || w.Tick < p.nextFire {
			continue
		}
		p.nextFire = w.Tick + w.fireTicks
		dir := FromAngle(p.Aim)
		offset := dir.Scale(r.PlayerRadius + r.BulletRadius + 1)
		if _, blocked := w.Arena.traceWall(p.Pos, offset); blocked {
			continue
		}
		w.Bullets = append(w.Bullets, Bullet{
			ID:     w.newID(),
			Owner:  p.ID,
			Pos:    p.Pos.Add(offset),
			Vel:    dir.Scale(r.BulletSpeed),
			dies:   w.Tick + w.bulletTicks,
			rewind: p.rewind,
		})
	}
}

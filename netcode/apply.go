package netcode

import (
	"errors"
	"math"
	"slices"
)

// PlayerDelta is one entry of a snapshot's players array, for the next of the baseline's
// players still in view: the fields of Mask that differ from the prediction, with X and Y as
// differences from it and Aim as the change (mod 256); or, with Mask 0, a run of Run players
// as predicted.
type PlayerDelta struct {
	PlayerQ
	Mask uint8
	Run  uint32
}

// SnapshotDelta is a decoded snapshot, before it is applied to its baseline.
type SnapshotDelta struct {
	Tick, LastSeq, BaseTick uint32
	Players                 []PlayerDelta // for the baseline's players still in view, in order
	Entering                []PlayerQ     // players entering the view, whole, by id
	Bullets                 []BulletQ     // entering bullets, at Tick
	Removed                 []uint32
	Checksum                uint16
}

// decodeDelta reads the fields after the type of a snapshot frame.
func decodeDelta(rd *reader, n int, s *SnapshotDelta) {
	const u32 = math.MaxUint32
	if n != snapshotFields {
		rd.fail("snapshot: %d fields, want %d", n, snapshotFields)
		return
	}
	s.Tick = uint32(rd.uint("tick", u32))
	s.LastSeq = uint32(rd.uint("lastSeq", u32))
	s.BaseTick = uint32(rd.uint("baseTick", u32))

	np := rd.array("players")
	s.Players = s.Players[:0]
	for used := 0; used < np && rd.err == nil; {
		head := rd.sintIn("player entry", -32, 127)
		var p PlayerDelta
		used++
		switch {
		case head == 0: // a run of players as predicted
			p.Run = uint32(rd.uint("player run", u32))
			if p.Run == 0 {
				rd.fail("player run of 0")
			}
			used++
		case head < 0: // a small turn alone
			if head == turnCode {
				rd.fail("player entry %d: a turn of 0", head)
			}
			p.Mask, p.Aim = fieldAim, uint8(head-turnCode)
		default:
			p.Mask = uint8(head)
			used += decodeFields(rd, &p)
		}
		if used > np {
			rd.fail("players: entries run past the array")
		}
		s.Players = append(s.Players, p)
	}

	ne := rd.array("entering")
	if ne%enteringValues != 0 {
		rd.fail("entering: %d values, not a multiple of %d", ne, enteringValues)
	}
	s.Entering = s.Entering[:0]
	id := uint32(0)
	for i := 0; i < ne/enteringValues && rd.err == nil; i++ {
		id = rd.nextID("entering id gap", id)
		s.Entering = append(s.Entering, PlayerQ{
			ID:     id,
			X:      int32(rd.sint("player x")),
			Y:      int32(rd.sint("player y")),
			VX:     int32(rd.sint("player vx")),
			VY:     int32(rd.sint("player vy")),
			Aim:    uint8(rd.uint("player aim", 255)),
			Flags:  PlayerFlags(rd.uint("player flags", 255)),
			Health: uint32(rd.uint("player health", u32)),
			Kills:  uint32(rd.uint("player kills", u32)),
			Deaths: uint32(rd.uint("player deaths", u32)),
			Hue:    uint16(rd.uint("player hue", 359)),
			Name:   rd.str("player name", maxNameBytes),
		})
	}

	nb := rd.array("bullets")
	if nb%bulletValues != 0 {
		rd.fail("bullets: %d values, not a multiple of %d", nb, bulletValues)
	}
	s.Bullets = s.Bullets[:0]
	id = 0
	for i := 0; i < nb/bulletValues && rd.err == nil; i++ {
		id = rd.nextID("bullet id gap", id)
		s.Bullets = append(s.Bullets, BulletQ{
			ID:    id,
			Owner: uint32(rd.uint("bullet owner", u32)),
			X:     int32(rd.sint("bullet x")),
			Y:     int32(rd.sint("bullet y")),
			Dir:   uint16(rd.uint("bullet dir", DirSteps-1)),
			Tick:  s.Tick,
		})
	}

	nr := rd.array("removed")
	s.Removed = s.Removed[:0]
	id = 0
	for i := 0; i < nr && rd.err == nil; i++ {
		id = rd.nextID("removed id gap", id)
		s.Removed = append(s.Removed, id)
	}
	s.Checksum = uint16(rd.uint("checksum", math.MaxUint16))
}

// nextID reads the gap from id prev to the next id of a list (the first one's gap is its id)
// and returns that id. Ids rise, from 1: a gap of 0, or one past the largest id, is refused.
func (rd *reader) nextID(what string, prev uint32) uint32 {
	gap := rd.uint(what, math.MaxUint32)
	if gap == 0 || uint64(prev)+gap > math.MaxUint32 {
		rd.fail("%s %d after id %d: ids rise within 32 bits", what, gap, prev)
	}
	return prev + uint32(gap)
}

// decodeFields reads the fields of entry p's mask (1 to 127), and returns how many values it
// read.
func decodeFields(rd *reader, p *PlayerDelta) int {
	const u32 = math.MaxUint32
	used := 0
	if p.Mask&fieldX != 0 {
		p.X = int32(rd.sint("player dx"))
		used++
	}
	if p.Mask&fieldY != 0 {
		p.Y = int32(rd.sint("player dy"))
		used++
	}
	if p.Mask&fieldAim != 0 {
		p.Aim = uint8(rd.sintIn("player aim change", math.MinInt8, math.MaxInt8))
		used++
	}
	if p.Mask&fieldVel != 0 {
		p.VX = int32(rd.sint("player vx"))
		p.VY = int32(rd.sint("player vy"))
		used += 2
	}
	if p.Mask&fieldFlags != 0 {
		p.Flags = PlayerFlags(rd.uint("player flags", 255))
		used++
	}
	if p.Mask&fieldHealth != 0 {
		p.Health = uint32(rd.uint("player health", u32))
		used++
	}
	if p.Mask&fieldScore != 0 {
		p.Kills = uint32(rd.uint("player kills", u32))
		p.Deaths = uint32(rd.uint("player deaths", u32))
		used += 2
	}
	return used
}

// ViewState is what a client knows of the world after applying a snapshot: the players and
// bullets it sees, sorted by id.
type ViewState struct {
	Tick    uint32
	Players []PlayerQ
	Bullets []BulletQ
}

// Errors of Apply. After either, the client should acknowledge 0 to get a full snapshot.
var (
	ErrNoBaseline = errors.New("netcode: snapshot's baseline is not among the applied snapshots")
	ErrChecksum   = errors.New("netcode: snapshot applied with a checksum mismatch")
	ErrBadDelta   = errors.New("netcode: snapshot's players do not fit its baseline's")
)

// Applier applies snapshots to the client's recent states. It keeps the last ringLen applied
// states, since the server may encode against any one the client acknowledged.
type Applier struct {
	ring    [ringLen]ViewState
	n       int
	scratch ViewState
}

// Apply applies d to its baseline and returns the new state, valid until a later Apply
// overwrites its slot. An error leaves the applied states as they were.
func (a *Applier) Apply(d *SnapshotDelta) (*ViewState, error) {
	var base *ViewState
	if d.BaseTick != 0 {
		for i := range a.ring {
			if a.ring[i].Tick == d.BaseTick {
				base = &a.ring[i]
			}
		}
		if base == nil {
			return nil, ErrNoBaseline
		}
	} else {
		base = &ViewState{}
	}
	out := &a.scratch
	out.Tick = d.Tick
	out.Players = out.Players[:0]
	out.Bullets = out.Bullets[:0]

	ticks := d.Tick - base.Tick // a full snapshot's empty baseline has no players to predict
	removed := func(id uint32) bool { _, ok := slices.BinarySearch(d.Removed, id); return ok }
	// The baseline's players still in view take the entries in order, and those after the last
	// entry move on as predicted; the entering players are merged in by id.
	bp, dp, ep := base.Players, d.Players, d.Entering
	run := uint32(0) // players as predicted still due from a run entry
	// next returns the entry of the next of those players, nil for one as predicted.
	next := func() *PlayerDelta {
		switch {
		case run > 0:
			run--
			return nil
		case len(dp) == 0:
			return nil // after the last entry
		}
		e := &dp[0]
		dp = dp[1:]
		if e.Run > 0 {
			run = e.Run - 1
			return nil
		}
		return e
	}
	for i, j := 0, 0; i < len(bp) || j < len(ep); {
		if j < len(ep) && (i == len(bp) || ep[j].ID <= bp[i].ID) {
			if i < len(bp) && ep[j].ID == bp[i].ID && !removed(bp[i].ID) {
				return nil, ErrBadDelta // entering, but in view already
			}
			out.Players = append(out.Players, ep[j])
			j++
			continue
		}
		p := bp[i]
		i++
		if removed(p.ID) {
			continue
		}
		if e := next(); e != nil {
			applyFields(&p, e, ticks)
		} else {
			moveOn(&p, ticks) // as predicted
		}
		out.Players = append(out.Players, p)
	}
	if run > 0 || len(dp) > 0 {
		return nil, ErrBadDelta // entries for more players than the baseline has in view
	}
	bb, nb := base.Bullets, d.Bullets
	for i, j := 0, 0; i < len(bb) || j < len(nb); {
		if j == len(nb) || i < len(bb) && bb[i].ID < nb[j].ID {
			if !removed(bb[i].ID) {
				out.Bullets = append(out.Bullets, bb[i])
			}
			i++
		} else {
			if i < len(bb) && bb[i].ID == nb[j].ID {
				i++ // sent again whole: the new one wins
			}
			out.Bullets = append(out.Bullets, nb[j])
			j++
		}
	}

	sum := newChecksum()
	for i := range out.Players {
		sum = mix(sum, playerSum(&out.Players[i]))
	}
	for i := range out.Bullets {
		sum = mix(sum, out.Bullets[i].ID)
	}
	if sum.fold() != d.Checksum {
		return nil, ErrChecksum
	}
	slot := &a.ring[a.n%ringLen]
	a.n++
	*slot, a.scratch = *out, ViewState{Players: slot.Players[:0], Bullets: slot.Bullets[:0]}
	return slot, nil
}

// moveOn moves player p on as predict predicts it, ticks later.
func moveOn(p *PlayerQ, ticks uint32) {
	x, y := predict(p, ticks)
	p.X, p.Y = int32(x), int32(y)
}

// applyFields applies the entry d to player p, ticks after p's state.
func applyFields(p *PlayerQ, d *PlayerDelta, ticks uint32) {
	moveOn(p, ticks)
	if d.Mask&fieldX != 0 {
		p.X += d.X
	}
	if d.Mask&fieldY != 0 {
		p.Y += d.Y
	}
	if d.Mask&fieldAim != 0 {
		p.Aim += d.Aim // mod 256
	}
	if d.Mask&fieldVel != 0 {
		p.VX, p.VY = d.VX, d.VY
	}
	if d.Mask&fieldFlags != 0 {
		p.Flags = d.Flags
	}
	if d.Mask&fieldHealth != 0 {
		p.Health = d.Health
	}
	if d.Mask&fieldScore != 0 {
		p.Kills, p.Deaths = d.Kills, d.Deaths
	}
}

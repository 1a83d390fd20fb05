package netcode

import (
	"math"

	"github.com/tickwire/tickwire/game"
)

// Quantization: snapshots carry positions in quarter units and aims in 256 steps a turn.
// That is far finer than anything a player sees (a player's radius is 16 units), and it makes
// a moving player's per-tick change fit in one byte. The server quantizes what it sends; the
// client keeps exactly what it received, so both agree to the bit. Players' positions are
// kept on this grid by the simulation itself (game.PosPerUnit), so theirs arrive exact.
const (
	PosScale = game.PosPerUnit // quantized units per world unit
	AimSteps = 256             // quantized aim steps per turn
	DirSteps = 65536           // quantized steps per turn of a bullet's direction
)

// QuantizePos converts a world coordinate to quarter units.
func QuantizePos(v float64) int32 { return int32(math.Round(v * PosScale)) }

// QuantizeAim converts an angle in radians to 0-255: the nearest of 256 steps of the turn,
// halves rounded up.
//
// It runs for every player every tick, so it avoids math.Mod and math.Round, which cost
// about a hundred instructions between them, with the same result for every input.
// math.Mod(x, 1) is x - math.Trunc(x): both are exact (the fraction of x is made of bits of
// x), and agree but for the sign of a zero fraction, which the rounding does not see. And a
// turn t in [0, 1] times 256 rounds, halves away from zero, to its integer part plus one if
// what is left (exact too) is at least a half. A NaN, from an infinite or NaN a, takes the
// old path, whose result depends on how the platform converts a NaN to an int.
func QuantizeAim(a float64) uint8 {
	x := a / (2 * math.Pi)
	t := x - math.Trunc(x)
	if t < 0 {
		t++
	}
	s := t * AimSteps
	if !(s >= 0) {
		return uint8(int(math.Round(s)) % AimSteps) // NaN
	}
	n := int(s)
	if s-float64(n) >= 0.5 {
		n++
	}
	return uint8(n) // 256, a whole turn, is 0
}

// PlayerQ is a player as snapshots describe it: quantized, with the fields a delta compares.
type PlayerQ struct {
	ID            uint32
	X, Y          int32 // quarter units
	VX, VY        int32 // quarter units per tick: the player's last move (game.Player.Moved)
	Aim           uint8 // 256 steps a turn
	Flags         PlayerFlags
	Health        uint32
	Kills, Deaths uint32
	Hue           uint16 // static
	Name          string // static
}

// BulletQ is a bullet as snapshots describe it: where it was at a tick and where it flies.
// Bullets fly straight at the rules' bullet speed, so a client computes the rest; a snapshot
// sends a bullet when it comes into view and names it among the removed when it ends.
type BulletQ struct {
	ID, Owner uint32
	X, Y      int32  // quarter units, at Tick
	Dir       uint16 // the direction it flies, in 65536ths of a turn
	Tick      uint32 // the tick of X, Y
}

// QuantizeDir converts a direction (any vector but zero) to 65536ths of a turn: the nearest
// step. A bullet flying a second at 800 units a second is then at most 0.04 units off.
func QuantizeDir(v game.Vec) uint16 {
	return uint16(int(math.Round(math.Atan2(v.Y, v.X)*DirSteps/(2*math.Pi))) & (DirSteps - 1))
}

// BulletVelocity is the velocity of a bullet flying in direction dir at speed.
func BulletVelocity(dir uint16, speed float64) (vx, vy float64) {
	s, c := math.Sincos(float64(dir) * (2 * math.Pi / DirSteps))
	return c * speed, s * speed
}

func quantizePlayer(p *game.Player) PlayerQ {
	var q PlayerQ
	q.quantize(p)
	return q
}

// quantize sets q to player p quantized. It writes q's fields in place, for the encoder's
// array of every player: returned, a PlayerQ is too large for registers, and goes through
// memory twice.
func (q *PlayerQ) quantize(p *game.Player) {
	q.Aim = QuantizeAim(p.Aim) // first: little is kept across the call
	var flags PlayerFlags
	if p.Alive {
		flags |= FlagAlive
	}
	q.ID, q.X, q.Y = uint32(p.ID), QuantizePos(p.Pos.X), QuantizePos(p.Pos.Y)
	q.VX, q.VY = QuantizePos(p.Moved.X), QuantizePos(p.Moved.Y)
	q.Flags, q.Health, q.Kills, q.Deaths = flags, uint32(max(p.Health, 0)), uint32(p.Kills), uint32(p.Deaths)
	q.Hue, q.Name = p.Hue, p.Name
}

func quantizeBullet(b *game.Bullet, tick uint32) BulletQ {
	return BulletQ{
		ID: uint32(b.ID), Owner: uint32(b.Owner), X: QuantizePos(b.Pos.X), Y: QuantizePos(b.Pos.Y),
		Dir: QuantizeDir(b.Vel), Tick: tick,
	}
}

// Player field bits of a delta entry's mask.
const (
	fieldX      uint8 = 1 << iota // x, as its difference from the prediction (predict)
	fieldY                        // y, likewise
	fieldAim                      // aim, as its change, mod 256
	fieldVel                      // vx and vy
	fieldFlags                    // flags
	fieldHealth                   // health
	fieldScore                    // kills and deaths
)

// A player whose only change is a small turn of its aim, by minTurn to maxTurn steps, has an
// entry of one byte: the negative fixint turn+turnCode (-32 to -1) where the mask would be.
// It is the entry of most players in view: they move as predicted, and turn a little.
const (
	minTurn, maxTurn = -16, 15
	turnCode         = -16
)

// isTurn reports whether an entry of changed fields mask, with the aim turned by turn steps,
// is a small turn alone.
func isTurn(mask uint8, turn int8) bool {
	return mask == fieldAim && turn >= minTurn && turn <= maxTurn
}

// predict returns where a player whose state was p is expected ticks later: moving on as it
// last moved. Both sides predict alike, and a delta sends a position only where the player
// strayed from it; a player walking straight costs nothing.
func predict(p *PlayerQ, ticks uint32) (x, y int64) {
	return int64(p.X) + int64(p.VX)*int64(ticks), int64(p.Y) + int64(p.VY)*int64(ticks)
}

// diff returns the mask of fields in which cur, ticks after base, differs from what base
// predicts.
func diff(base, cur *PlayerQ, ticks uint32) uint8 {
	var m uint8
	x, y := predict(base, ticks)
	if int64(cur.X) != x {
		m |= fieldX
	}
	if int64(cur.Y) != y {
		m |= fieldY
	}
	if cur.Aim != base.Aim {
		m |= fieldAim
	}
	if cur.VX != base.VX || cur.VY != base.VY {
		m |= fieldVel
	}
	if cur.Flags != base.Flags {
		m |= fieldFlags
	}
	if cur.Health != base.Health {
		m |= fieldHealth
	}
	if cur.Kills != base.Kills || cur.Deaths != base.Deaths {
		m |= fieldScore
	}
	return m
}

// The checksum folds the visible state into 16 bits: FNV-1a over 32-bit words, then the two
// halves xored. Each player contributes one term, a hash of its compared fields, and each
// bullet its id; the terms are combined in id order, players first. Client and server compute
// it the same way; a mismatch means the client's state drifted, and it asks for a full
// snapshot. (The words, not bytes, keep it cheap: a term per player is computed once a tick
// for every client.)
type checksum uint32

const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func newChecksum() checksum { return fnvOffset }

// mix returns sum with one 32-bit term mixed in: a field of a player's (playerSum), a player's
// term, or a bullet's, its id. It takes and returns sum as a value, which the compiler keeps
// in a register; a method through a pointer kept it in memory, and each term waited for the
// store and load of the one before.
func mix(sum checksum, term uint32) checksum { return (sum ^ checksum(term)) * fnvPrime }

func (c checksum) fold() uint16 { return uint16(c) ^ uint16(c>>16) }

// playerSum is a player's checksum term: its compared fields hashed the same way.
func playerSum(p *PlayerQ) uint32 {
	c := newChecksum()
	c = mix(c, p.ID)
	c = mix(c, uint32(p.X))
	c = mix(c, uint32(p.Y))
	c = mix(c, uint32(uint16(p.VX))|uint32(p.VY)<<16)
	c = mix(c, uint32(p.Aim)|uint32(p.Flags)<<8)
	c = mix(c, p.Health)
	c = mix(c, p.Kills)
	c = mix(c, p.Deaths)
	return uint32(c)
}

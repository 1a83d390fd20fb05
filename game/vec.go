package game

import "math"

// Vec is a 2-D vector in world units: x grows to the right, y downwards.
//
// The arithmetic below converts every product explicitly to float64. The Go spec lets a
// compiler fuse a*b+c into one instruction (and some targets do), which would change the last
// bit of a result; an explicit conversion forbids it. That keeps the simulation bit-for-bit
// reproducible across builds and identical to the browser's double arithmetic.
type Vec struct{ X, Y float64 }

// Add returns v+w.
func (v Vec) Add(w Vec) Vec { return Vec{v.X + w.X, v.Y + w.Y} }

// Sub returns v-w.
func (v Vec) Sub(w Vec) Vec { return Vec{v.X - w.X, v.Y - w.Y} }

// Scale returns v*s.
func (v Vec) Scale(s float64) Vec { return Vec{float64(v.X * s), float64(v.Y * s)} }

// Dot returns the dot product of v and w.
func (v Vec) Dot(w Vec) float64 { return float64(v.X*w.X) + float64(v.Y*w.Y) }

// Len returns the length of v.
func (v Vec) Len() float64 { return math.Sqrt(v.Dot(v)) }

// FromAngle returns the unit vector pointing at angle a (radians, 0 is +x, π/2 is +y).
func FromAngle(a float64) Vec { return Vec{math.Cos(a), math.Sin(a)} }

// ClampLen returns v shortened to length max if it is longer.
func (v Vec) ClampLen(max float64) Vec {
	l := v.Len()
	if l <= max || l == 0 {
		return v
	}
	return v.Scale(max / l)
}

// PosPerUnit is how finely player positions are kept: on a grid of 1/PosPerUnit world units.
// Every move ends on the grid (SnapPos), so a snapshot, which carries positions on the same
// grid, carries a player's exact position: a client that replays its inputs from it computes
// what the server computed. Were positions finer than what is sent, a player whose edge lay
// within a quarter unit of a tile's edge could be blocked by a wall on one side and not on the
// other. (Quake 3 snaps its player origins for the same reason.)
const PosPerUnit = 4

// SnapPos returns v on the position grid, each coordinate rounded to the nearest point, halves
// away from zero.
func SnapPos(v Vec) Vec {
	return Vec{math.Round(float64(v.X*PosPerUnit)) / PosPerUnit, math.Round(float64(v.Y*PosPerUnit)) / PosPerUnit}
}

package netcode

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tickwire/tickwire/game"
)

// quantizeAimMod is QuantizeAim as it was first written, with math.Mod and math.Round: the
// reference the cheaper one must match.
func quantizeAimMod(a float64) uint8 {
	t := math.Mod(a/(2*math.Pi), 1)
	if t < 0 {
		t++
	}
	return uint8(int(math.Round(t*AimSteps)) % AimSteps)
}

// TestQuantizeAimMatchesMod checks QuantizeAim against quantizeAimMod on the angles the game
// gives (math.Mod(aim, 2π), so in (-2π, 2π)), on those next to every step and every half step
// (where rounding decides), and on any float64 at all: huge, tiny, infinite and NaN.
func TestQuantizeAimMatchesMod(t *testing.T) {
	check := func(a float64) {
		t.Helper()
		if got, want := QuantizeAim(a), quantizeAimMod(a); got != want {
			t.Fatalf("QuantizeAim(%v) (bits %#x) = %d, want %d", a, math.Float64bits(a), got, want)
		}
	}
	edges := []float64{
		0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
		2 * math.Pi, -2 * math.Pi, math.Pi, -math.Pi, 1 << 52, -1 << 52, 1 << 53, -1 << 53,
		1 << 63, -1 << 63, 1e300, -1e300,
	}
	for _, a := range edges {
		for _, v := range []float64{a, math.Nextafter(a, math.Inf(1)), math.Nextafter(a, math.Inf(-1))} {
			check(v)
		}
	}
	// Next to every step and half step, in turns and in radians, over a few turns either way.
	for k := -4 * 2 * AimSteps; k <= 4*2*AimSteps; k++ {
		turn := float64(k) / (2 * AimSteps)
		for _, a := range []float64{turn * 2 * math.Pi, turn * (2 * math.Pi)} {
			v := a
			for range 4 {
				check(v)
				v = math.Nextafter(v, math.Inf(1))
			}
			v = a
			for range 4 {
				check(v)
				v = math.Nextafter(v, math.Inf(-1))
			}
		}
		// An angle whose turn, not its radians, is next to the step.
		for _, tt := range []float64{turn, math.Nextafter(turn, 2), math.Nextafter(turn, -2)} {
			check(tt * (2 * math.Pi))
			check(math.Nextafter(tt*(2*math.Pi), math.Inf(1)))
			check(math.Nextafter(tt*(2*math.Pi), math.Inf(-1)))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		check((rng.Float64()*2 - 1) * 2 * math.Pi) // the game's range
		check(math.Float64frombits(rng.Uint64()))  // anything at all
		check((rng.Float64()*2 - 1) * 1e6)         // many turns
		check(math.Ldexp(rng.Float64()-0.5, rng.IntN(120)-60))
	}
}

// TestBulletDirection: a bullet's direction goes on the wire as the nearest of 65536 steps a
// turn, and the velocity a client computes from it is the bullet's within half a step.
func TestBulletDirection(t *testing.T) {
	for _, c := range []struct {
		v    game.Vec
		want uint16
	}{
		{game.Vec{X: 800}, 0}, {game.Vec{Y: 800}, 16384}, {game.Vec{X: -800}, 32768}, {game.Vec{Y: -800}, 49152},
		{game.Vec{X: 1, Y: 1}, 8192}, {game.Vec{X: 1, Y: -1e-9}, 0}, // just below the x axis rounds to 0, not 65536
	} {
		if got := QuantizeDir(c.v); got != c.want {
			t.Errorf("QuantizeDir(%v) = %d, want %d", c.v, got, c.want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const speed = 800
	for range 100_000 {
		a := rng.Float64() * 2 * math.Pi
		v := game.Vec{X: math.Cos(a) * speed, Y: math.Sin(a) * speed}
		vx, vy := BulletVelocity(QuantizeDir(v), speed)
		if off := math.Hypot(vx-v.X, vy-v.Y); off > speed*math.Pi/DirSteps*1.0001 {
			t.Fatalf("direction %v: velocity %v, %v is %v off, more than half a step", v, vx, vy, off)
		}
	}
}

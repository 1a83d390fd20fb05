package game

import (
	"math"
	"strconv"
	"testing"

	"github.com/tickwire/tickwire/assets"
)

// benchWorld is the benchmark arena: n players, one per 200x200 units, everyone moving and
// some firing.
func benchWorld(tb testing.TB, n int) (*World, []Input) {
	src, err := assets.Map(assets.DefaultMap)
	if err != nil {
		tb.Fatal(err)
	}
	side := 200 * math.Sqrt(float64(n))
	w := newWorld(tb, string(src), Config{Seed: 1, Width: side, Height: side})
	inputs := make([]Input, n)
	for i := range n {
		id := w.Join("")
		a := float64(i) * 0.7
		inputs[i] = Input{Player: id, Move: FromAngle(a), Aim: a, Fire: i%30 == 0}
	}
	for range 60 { // warm up: bullets in flight, grid grown
		w.Step(inputs)
	}
	return w, inputs
}

func BenchmarkStep(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n)+"players", func(b *testing.B) {
			w, inputs := benchWorld(b, n)
			b.ReportAllocs()
			for b.Loop() {
				w.Step(inputs)
			}
		})
	}
}

func TestStepDoesNotAllocate(t *testing.T) {
	w, inputs := benchWorld(t, 200)
	if n := testing.AllocsPerRun(50, func() { w.Step(inputs) }); n != 0 {
		t.Errorf("Step with 200 players: %v allocations, want 0", n)
	}
}

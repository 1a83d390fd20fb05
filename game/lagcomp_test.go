package game

import (
	"testing"
	"time"
)

const openField = "tile: 40\n---\nS.........\n..........\n"

// shotAt runs a target walking down across a shooter's line of fire, 50 units away, and fires
// when the target as the shooter's screen shows it is offset units past the line. The input
// is applied at tick F, and the screen then shows the target as it was at tick F-lag. It
// reports whether the shot hit, fired with the given rewind.
func shotAt(t *testing.T, lag, rewind int, offset float64) bool {
	t.Helper()
	w := newWorld(t, openField, Config{Width: 4000, Height: 2000})
	shooter, target := w.Join("shooter"), w.Join("target")
	place(w, shooter, Vec{1000, 1000})
	place(w, target, Vec{1050, 700})
	var seen []Vec // seen[k]: the target's position after tick k+1
	for range 200 {
		in := []Input{{Player: target, Move: Vec{0, 1}}}
		// The next step is tick F = len(seen)+1; the screen shows tick F-lag, seen[F-lag-1].
		if len(seen) >= lag && seen[len(seen)-lag].Y >= 1000+offset {
			in = append(in, Input{Player: shooter, Aim: 0, Fire: true, Rewind: rewind})
			w.Step(in)
			for range 10 {
				w.Step([]Input{{Player: target, Move: Vec{0, 1}}})
				for _, e := range w.Events {
					if e.Kind == EventHit && e.Actor == shooter && e.Target == target {
						return true
					}
				}
			}
			return false
		}
		w.Step(in)
		seen = append(seen, w.Player(target).Pos)
	}
	t.Fatal("the target never crossed the line of fire")
	return false
}

// TestLagCompensation: at 150 ms round trip and 100 ms interpolation, a shooter sees others
// 175 ms (5 ticks at 30 Hz) late. A shot that hits on the shooter's screen hits with lag
// compensation and would have missed without it; one that missed on screen still misses.
func TestLagCompensation(t *testing.T) {
	w := newWorld(t, openField, Config{})
	lag := w.RewindTicks(150*time.Millisecond/2 + 100*time.Millisecond)
	if lag != 5 {
		t.Fatalf("175 ms at 30 Hz is %d ticks, want 5", lag)
	}
	if !shotAt(t, lag, lag, 0) {
		t.Error("a shot that hit on the shooter's screen missed with lag compensation")
	}
	if shotAt(t, lag, 0, 0) {
		t.Error("without lag compensation the same shot hit: the test proves nothing")
	}
	if shotAt(t, lag, lag, 45) {
		t.Error("a shot that missed on the shooter's screen (target 45 units past) hit")
	}
}

func TestRewindIsClamped(t *testing.T) {
	w := newWorld(t, openField, Config{Width: 4000, Height: 2000})
	if got := w.RewindTicks(10 * time.Second); got != w.MaxRewind() || got != 30 {
		t.Errorf("10 s rewinds %d ticks, want the history's %d (30 at 30 Hz)", got, w.MaxRewind())
	}
	s := w.Join("s")
	place(w, s, Vec{1000, 1000})
	w.Step([]Input{{Player: s, Fire: true, Rewind: 1000}})
	if len(w.Bullets) != 1 || w.Bullets[0].rewind != uint32(w.MaxRewind()) {
		t.Errorf("a rewind of 1000 ticks became %+v, want %d", w.Bullets, w.MaxRewind())
	}
}

package game

import (
	"fmt"
	"testing"
)

// TestBulletPathWithinOneTick: a fast bullet covers several targets, or a wall and a target,
// in one tick's sweep. It must end at whichever its path meets first, whatever the order in
// which the players joined (and so the order the grid lists them in).
func TestBulletPathWithinOneTick(t *testing.T) {
	const shooterX, y = 100, 140 // row 3 of open10; its wall tile spans x 200-240
	tests := []struct {
		name    string
		targets []float64 // x of each target, in join order
		hit     int       // index of the target that must be hit, -1 for none
	}{
		// Both in the first sweep (x 121 to 321) and in the same grid cell.
		{"nearer joined first", []float64{150, 185}, 0},
		{"nearer joined second", []float64{185, 150}, 1},
		{"target behind the wall", []float64{275}, -1},
		{"target before the wall", []float64{170, 275}, 0},
		{"target behind the wall joined first", []float64{275, 170}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// 6000 units per second is 200 a tick at 30 Hz: one sweep spans the wall tile.
			w := newWorld(t, open10, Config{Rules: Rules{BulletSpeed: 6000}})
			shooter := w.Join("shooter")
			var targets []EntityID
			for i, x := range tc.targets {
				id := w.Join(fmt.Sprint("target ", i))
				place(w, id, Vec{x, y})
				targets = append(targets, id)
			}
			place(w, shooter, Vec{shooterX, y})
			w.Step([]Input{{Player: shooter, Fire: true}})
			if len(w.Bullets) != 1 {
				t.Fatalf("bullets after firing: %d, want 1", len(w.Bullets))
			}
			w.Step(nil) // the bullet's first sweep
			if len(w.Bullets) != 0 {
				t.Errorf("the bullet flew on after its first sweep: %+v", w.Bullets)
			}
			for i, id := range targets {
				want := w.Rules.MaxHealth
				if i == tc.hit {
					want -= w.Rules.BulletDamage
				}
				if got := w.Player(id).Health; got != want {
					t.Errorf("target %d at x %v: health %d, want %d", i, tc.targets[i], got, want)
				}
			}
		})
	}
}

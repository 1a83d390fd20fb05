package game

import "testing"

// four has four spawn points, 80 units or more apart: (60,60), (180,60), (300,60), (60,140).
const four = `name: four
tile: 40
---
..........
.S..S..S..
..........
.S........
..........
..........
`

// TestRespawnAtFreeSpawnPoint: with three of four spawn points occupied by living players, a
// killed player comes back at the fourth. The spawn search starts at a random point, so the
// test runs over several seeds: a search that ignored who stands where would fail for most.
func TestRespawnAtFreeSpawnPoint(t *testing.T) {
	for seed := range uint64(16) {
		w := newWorld(t, four, Config{Seed: seed})
		spawns := w.Arena.Spawns()
		if len(spawns) != 4 {
			t.Fatalf("%d spawn points, want 4", len(spawns))
		}
		free := spawns[3]
		for _, s := range spawns[:3] {
			place(w, w.Join("sitter"), s)
		}
		shooter, target := w.Join("shooter"), w.Join("target")
		place(w, shooter, Vec{380, 220})
		place(w, target, Vec{300, 220})
		for w.Player(target).Alive {
			w.hit(shooter, w.index[target])
		}
		for range 2 * w.respawnTicks {
			if w.Step(nil); w.Player(target).Alive {
				break
			}
		}
		if p := w.Player(target); !p.Alive || p.Pos != free {
			t.Errorf("seed %d: respawned alive=%v at %v, want the free spawn point %v", seed, p.Alive, p.Pos, free)
		}
	}
}

package netcode

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tickwire/tickwire/game"
)

func index(ents map[uint32]game.Vec) *EntityIndex {
	x := &EntityIndex{}
	x.reset()
	ids := make([]uint32, 0, len(ents))
	for id := range ents {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		x.add(id, ents[id])
	}
	x.done(10000, 10000, 400)
	return x
}

// TestInterestVisibleSets places entities by hand and checks the exact visible set as they
// enter and leave, hysteresis included.
func TestInterestVisibleSets(t *testing.T) {
	in := NewInterest(700) // leave radius 805
	focus := game.Vec{X: 5000, Y: 5000}
	at := func(dx float64) game.Vec { return game.Vec{X: 5000 + dx, Y: 5000} }
	steps := []struct {
		name string
		ents map[uint32]game.Vec
		want []uint32
	}{
		{"inside, outside", map[uint32]game.Vec{1: focus, 2: at(600), 3: at(750), 4: at(2000)}, []uint32{1, 2}},
		{"3 moves inside the enter radius", map[uint32]game.Vec{1: focus, 2: at(600), 3: at(699), 4: at(2000)}, []uint32{1, 2, 3}},
		{"3 drifts out, still within leave", map[uint32]game.Vec{1: focus, 2: at(600), 3: at(800), 4: at(2000)}, []uint32{1, 2, 3}},
		{"4 comes to the same distance but was not visible", map[uint32]game.Vec{1: focus, 2: at(600), 3: at(800), 4: at(-800)}, []uint32{1, 2, 3}},
		{"3 beyond leave", map[uint32]game.Vec{1: focus, 2: at(600), 3: at(806), 4: at(-800)}, []uint32{1, 2}},
		{"3 back at 800: must re-enter inside 700 first", map[uint32]game.Vec{1: focus, 2: at(600), 3: at(800)}, []uint32{1, 2}},
		{"self far away stays visible", map[uint32]game.Vec{1: at(9000 - 5000), 2: at(600)}, []uint32{1, 2}},
		{"4 gone from the world", map[uint32]game.Vec{1: focus}, []uint32{1}},
	}
	for _, s := range steps {
		got := in.Update(index(s.ents), focus, 1)
		if !slices.Equal(got, s.want) {
			t.Fatalf("%s: visible %v, want %v", s.name, got, s.want)
		}
	}
}

// TestInterestSelf follows the client's own player through one index, build after build:
// visible whatever its distance, indexed once it is in the world, and, when the client lets it
// go between the radii, visible until beyond the leave radius, as any other would be.
func TestInterestSelf(t *testing.T) {
	type step struct {
		name string
		at   float64 // player 1's distance from the focus; 0: not in the world
		self uint32
		want []uint32
	}
	for _, steps := range [][]step{{
		{"far, but self", 2000, 1, []uint32{1, 2}},
		{"between the radii, self", 750, 1, []uint32{1, 2}},
		{"let go: still within leave", 750, 0, []uint32{1, 2}},
		{"beyond leave", 810, 0, []uint32{2}},
		{"back between the radii", 750, 0, []uint32{2}},
	}, {
		{"beyond leave, self", 850, 1, []uint32{1, 2}},
		{"walks in, self", 830, 1, []uint32{1, 2}},
		{"within leave, self", 800, 1, []uint32{1, 2}},
		{"let go: within leave", 790, 0, []uint32{1, 2}},
	}, {
		{"self not in the world", 0, 1, []uint32{1, 2}},
		{"self joins, far", 3000, 1, []uint32{1, 2}},
		{"self near", 3050, 1, []uint32{1, 2}},
	}} {
		var x EntityIndex
		in := NewInterest(700) // leave radius 805
		focus := game.Vec{X: 5000, Y: 5000}
		for _, s := range steps {
			x.reset()
			if s.at != 0 {
				x.add(1, game.Vec{X: 5000 + s.at, Y: 5000})
			}
			x.add(2, focus)
			x.done(10000, 10000, 400)
			got := in.Update(&x, focus, s.self)
			if !slices.Equal(got, s.want) {
				t.Fatalf("%s: visible %v, want %v", s.name, got, s.want)
			}
			for k, id := range got {
				if i := in.Index()[k]; i >= 0 && x.ids[i] != id || i < 0 && slices.Contains(x.ids, id) {
					t.Fatalf("%s: index of %d is %d", s.name, id, i)
				}
			}
		}
	}
}

func TestSpectatorInterest(t *testing.T) {
	in := NewInterest(300)
	x := index(map[uint32]game.Vec{1: {X: 100, Y: 100}, 2: {X: 1000, Y: 1000}, 3: {X: 1200, Y: 1000}})
	if got := in.Update(x, game.Vec{X: 1100, Y: 1000}, 0); !slices.Equal(got, []uint32{2, 3}) {
		t.Errorf("spectator at (1100,1000) sees %v, want [2 3]", got)
	}
}

func TestInterestDoesNotAllocate(t *testing.T) {
	ents := map[uint32]game.Vec{}
	for i := range 500 {
		ents[uint32(i+1)] = game.Vec{X: float64(i%25) * 200, Y: float64(i/25) * 200}
	}
	x := index(ents)
	in := NewInterest(700)
	in.Update(x, game.Vec{X: 2000, Y: 2000}, 1)
	if n := testing.AllocsPerRun(100, func() { in.Update(x, game.Vec{X: 2000, Y: 2000}, 1) }); n != 0 {
		t.Errorf("Update: %v allocations, want 0", n)
	}
}

// TestInterestMatchesBruteForce checks the query against the definition, over random
// histories in one persistent index: entities move, join, leave and jump (a respawn), the
// focus wanders beyond the arena's edges, the client sometimes skips ticks and sometimes
// loses its own player (self 0) or gets it back. A fast focus
// gathers candidates nearly every tick; a slow one mostly carries them over from tick to
// tick, through joins, leaves and jumps.
func TestInterestMatchesBruteForce(t *testing.T) {
	for _, c := range []struct {
		name       string
		focus, ent float64 // the largest step of the focus and of an entity, on each axis
	}{{"fast", 60, 20}, {"slow", 3, 3}} {
		t.Run(c.name, func(t *testing.T) {
			updates, gathers := 0, 0
			for seed := range uint64(8) {
				u, g := interestAgainstBruteForce(t, seed, c.focus, c.ent)
				updates, gathers = updates+u, gathers+g
			}
			t.Logf("%d updates, %d gathers", updates, gathers)
			if c.name == "slow" && gathers*4 > updates {
				t.Errorf("%d gathers in %d updates: the candidates are not carried over", gathers, updates)
			}
		})
	}
}

// interestAgainstBruteForce runs one random history and returns the updates and gathers.
func interestAgainstBruteForce(t *testing.T, seed uint64, focusStep, entStep float64) (int, int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	const side = 3000
	ents := map[uint32]game.Vec{}
	nextID := uint32(1)
	for range 300 {
		ents[nextID] = game.Vec{X: rng.Float64() * side, Y: rng.Float64() * side}
		nextID++
	}
	var x EntityIndex
	in := NewInterest(300)
	var want []uint32 // the reference visible set
	focus := game.Vec{X: side / 2, Y: side / 2}
	self := uint32(1)
	updates := 0
	for tick := range 400 {
		for id, p := range ents {
			p.X += (rng.Float64()*2 - 1) * entStep
			p.Y += (rng.Float64()*2 - 1) * entStep
			if rng.IntN(200) == 0 {
				p = game.Vec{X: rng.Float64() * side, Y: rng.Float64() * side}
			}
			ents[id] = p
		}
		if rng.IntN(4) == 0 { // the layout changes
			for k := rng.IntN(3); k > 0; k-- {
				ents[nextID] = game.Vec{X: rng.Float64() * side, Y: rng.Float64() * side}
				nextID++
			}
			for id := range ents {
				if id != 1 && rng.IntN(100) == 0 {
					delete(ents, id)
				}
			}
		}
		if rng.IntN(50) == 0 { // the client's player is taken away, or given back
			self = 1 - self
		}
		focus = focus.Add(game.Vec{X: (rng.Float64()*2 - 1) * focusStep, Y: (rng.Float64()*2 - 1) * focusStep})
		focus.X, focus.Y = min(max(focus.X, -400), side+400), min(max(focus.Y, -400), side+400)

		ids := make([]uint32, 0, len(ents))
		for id := range ents {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		x.reset()
		for _, id := range ids {
			x.add(id, ents[id])
		}
		x.done(side, side, 200)
		if rng.IntN(40) == 0 {
			continue // the client skipped this tick
		}
		var next []uint32
		for _, id := range ids {
			d := ents[id].Sub(focus)
			d2 := d.Dot(d)
			if id == self || d2 <= in.Enter*in.Enter || d2 <= in.Leave*in.Leave && slices.Contains(want, id) {
				next = append(next, id)
			}
		}
		want = next
		got := in.Update(&x, focus, self)
		updates++
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d tick %d: visible %v, want %v", seed, tick, got, want)
		}
		for k, id := range got {
			if i := in.Index()[k]; i < 0 || x.ids[i] != id {
				t.Fatalf("seed %d tick %d: index of %d is %d", seed, tick, id, i)
			}
		}
	}
	return updates, in.gathers
}

// TestEntityIndexNotesMotionAndLayout checks what an index notes of each build against the
// definitions, over random builds: the layout changes exactly when the ids do, remap takes
// each previous index to the same id's new one, jumped lists (with where each was) the
// entities that joined or moved farther than jumpLimit, and the drift adds up the farthest
// move of the others. Entities join and leave at the start, the middle and the end of the
// ids, alone and together, so that the ids differ from the previous build's from anywhere.
func TestEntityIndexNotesMotionAndLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var x EntityIndex
	ents := map[uint32]game.Vec{}
	for id := uint32(1000); id < 1050; id++ {
		ents[id] = game.Vec{X: rng.Float64() * 2000, Y: rng.Float64() * 2000}
	}
	nextID := uint32(1050)
	var lastIDs []uint32
	last := map[uint32]game.Vec{}
	drift := 0.0
	for build := range 3000 {
		ids := slices.Sorted(maps.Keys(ents))
		switch rng.IntN(8) { // the layout changes, or not
		case 0:
			delete(ents, ids[len(ids)-1]) // the last leaves
		case 1:
			delete(ents, ids[0]) // the first leaves
		case 2:
			delete(ents, ids[rng.IntN(len(ids))])
		case 3:
			ents[nextID] = game.Vec{X: rng.Float64() * 2000, Y: rng.Float64() * 2000}
			nextID++
		case 4:
			ents[ids[0]-1] = game.Vec{X: rng.Float64() * 2000, Y: rng.Float64() * 2000} // one joins first
			delete(ents, ids[len(ids)-1])
		}
		if len(ents) < 5 {
			ents[nextID] = game.Vec{}
			nextID++
		}
		for id, p := range ents {
			switch rng.IntN(50) {
			case 0: // a respawn
				p = game.Vec{X: rng.Float64() * 2000, Y: rng.Float64() * 2000}
			case 1: // about the jump limit
				p.X += jumpLimit + float64(rng.IntN(3)-1)
			default:
				p.X += (rng.Float64()*2 - 1) * 8
				p.Y += (rng.Float64()*2 - 1) * 8
			}
			ents[id] = p
		}

		layout := x.layout
		ids = slices.Sorted(maps.Keys(ents))
		x.reset()
		for _, id := range ids {
			x.add(id, ents[id])
		}
		x.done(2000, 2000, 400)

		if !slices.Equal(x.ids, ids) {
			t.Fatalf("build %d: ids %v, want %v", build, x.ids, ids)
		}
		if same := slices.Equal(ids, lastIDs); build > 0 && same != (x.layout == layout) {
			t.Fatalf("build %d: ids the same: %v, layout %d after %d", build, same, x.layout, layout)
		}
		if x.layout != layout {
			if x.prevLayout != layout || len(x.remap) != len(lastIDs) {
				t.Fatalf("build %d: layout %d, previous %d, want %d; %d remapped of %d", build, x.layout, x.prevLayout, layout, len(x.remap), len(lastIDs))
			}
			for k, id := range lastIDs {
				j, found := slices.BinarySearch(ids, id)
				if !found {
					j = -1
				}
				if x.remap[k] != int32(j) {
					t.Fatalf("build %d: id %d remapped to %d, want %d", build, id, x.remap[k], j)
				}
			}
		}
		var jumped []int32
		var jumpedFrom []game.Vec
		farthest := 0.0
		for j, id := range ids {
			from, ok := last[id]
			if !ok {
				jumped, jumpedFrom = append(jumped, int32(j)), append(jumpedFrom, nowhere)
				continue
			}
			d := ents[id].Sub(from)
			if d2 := d.Dot(d); d2 > jumpLimit*jumpLimit {
				jumped, jumpedFrom = append(jumped, int32(j)), append(jumpedFrom, from)
			} else {
				farthest = max(farthest, d2)
			}
		}
		drift += math.Sqrt(farthest)
		if !slices.Equal(x.jumped, jumped) || !slices.Equal(x.jumpedFrom, jumpedFrom) {
			t.Fatalf("build %d: jumped %v from %v, want %v from %v", build, x.jumped, x.jumpedFrom, jumped, jumpedFrom)
		}
		if x.drift != drift {
			t.Fatalf("build %d: drift %v, want %v", build, x.drift, drift)
		}
		lastIDs, last = ids, maps.Clone(ents)
	}
}

// TestInterestDuesAreNotLate checks the query against the definition where the motion bound
// is tight. The random walks of TestInterestMatchesBruteForce change distances far more slowly
// than the bound that the dues assume, so a due somewhat too late goes unseen there. Here
// every entity runs straight at full speed, as does the focus, at a speed of its own: some
// against the focus's course, so that their distances to it change by the whole bound each
// tick, some along it, some across, some straight at the focus or away from it. A due later
// than the bound allows, by a unit or so, shows as a wrong visible set.
func TestInterestDuesAreNotLate(t *testing.T) {
	const side, speed, n = 4000, 7.0, 800
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 11))
		course := game.FromAngle(rng.Float64() * 2 * math.Pi)
		// The focus's speed varies from seed to seed, so that the motion at the last test
		// before a regather, a multiple of the motion in a tick, comes anywhere below the skin.
		step := course.Scale(4 + 4*rng.Float64())
		focus := game.Vec{X: side / 2, Y: side / 2}.Sub(course.Scale(side / 3))
		pos, vel := make([]game.Vec, n), make([]game.Vec, n)
		for k := range pos {
			pos[k] = game.Vec{X: rng.Float64() * side, Y: rng.Float64() * side}
			switch k % 4 {
			case 0:
				vel[k] = course.Scale(-speed)
			case 1:
				vel[k] = course.Scale(speed)
			case 2:
				vel[k] = game.FromAngle(rng.Float64() * 2 * math.Pi).Scale(speed)
			}
		}
		var x EntityIndex
		in := NewInterest(300)
		var want []uint32
		for tick := range 300 {
			focus = focus.Add(step)
			x.reset()
			for k := range pos {
				if k%4 == 3 { // straight at the focus, or away from it
					to := focus.Sub(pos[k])
					if d := to.Len(); d > 0 {
						vel[k] = to.Scale(speed / d)
						if k%8 == 7 {
							vel[k] = vel[k].Scale(-1)
						}
					}
				}
				pos[k] = pos[k].Add(vel[k])
				x.add(uint32(k+1), pos[k])
			}
			x.done(side, side, 200)
			var next []uint32
			for k, p := range pos {
				id := uint32(k + 1)
				d := p.Sub(focus)
				if d2 := d.Dot(d); d2 <= in.Enter*in.Enter || d2 <= in.Leave*in.Leave && slices.Contains(want, id) {
					next = append(next, id)
				}
			}
			want = next
			if got := in.Update(&x, focus, 0); !slices.Equal(got, want) {
				t.Fatalf("seed %d tick %d: visible %v, want %v", seed, tick, got, want)
			}
		}
		if in.gathers < 5 {
			t.Fatalf("seed %d: %d gathers: the candidates were not carried over regathers", seed, in.gathers)
		}
	}
}

// TestDueMask checks dueMask, which finds the due candidates four at a time (aboveMask, in
// assembly where there is some), against its definition, a due not above the motion, for
// every length up to 64 and dues on either side of it, on it, infinite and NaN.
func TestDueMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const now = float32(100)
	special := []float32{now, math.Nextafter32(now, 0), math.Nextafter32(now, 200), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0, -1}
	for n := range 65 {
		for range 50 {
			dues := make([]float32, n, n+3) // beyond the length, dues that are due: not to be read
			for k := range dues {
				dues[k] = now + float32(rng.NormFloat64()*10)
				if rng.IntN(8) == 0 {
					dues[k] = special[rng.IntN(len(special))]
				}
			}
			dues = append(dues, -1, -1, -1)[:n]
			var want uint64
			for k, d := range dues {
				if !(d > now) {
					want |= 1 << k
				}
			}
			if got := dueMask(dues, now); got != want {
				t.Fatalf("dues %v at %v: mask %b, want %b", dues, now, got, want)
			}
		}
	}
}

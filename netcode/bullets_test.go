package netcode

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tickwire/tickwire/game"
)

// TestBulletInterest places bullets by hand: a client gets the bullets whose flight passes
// through its view when they appear, keeps them until they end, and looks at those in flight
// again when its focus jumps.
func TestBulletInterest(t *testing.T) {
	focus := game.Vec{X: 5000, Y: 5000}
	at := func(dx float64) game.Vec { return game.Vec{X: 5000 + dx, Y: 5000} }
	type shot struct {
		id       uint32
		from, to game.Vec
	}
	steps := []struct {
		name  string
		focus game.Vec
		shots []shot
		want  []uint32
	}{
		{"1 flies at the client from afar; 2 flies away; 3 ends short of the view", focus, []shot{
			{1, at(1500), at(600)}, {2, at(1000), at(1700)}, {3, at(1500), at(710)}}, []uint32{1}},
		{"4 appears in view; 1 flies on", focus, []shot{
			{1, at(1400), at(600)}, {2, at(1100), at(1700)}, {3, at(1400), at(710)}, {4, at(100), at(800)}}, []uint32{1, 4}},
		{"4 flies out of view: kept until it ends", focus, []shot{
			{1, at(1300), at(600)}, {2, at(1200), at(1700)}, {4, at(780), at(800)}}, []uint32{1, 4}},
		{"4 and 2 ended", focus, []shot{{1, at(1200), at(600)}}, []uint32{1}},
		{"5 flies by outside the view; the focus drifts toward it: not looked at again", at(5), []shot{
			{1, at(1100), at(600)}, {5, game.Vec{X: 5800, Y: 5650}, game.Vec{X: 7000, Y: 5650}}}, []uint32{1}},
		{"the focus jumps: what is left of 5's flight passes through the view", at(1000), []shot{
			{1, at(1000), at(600)}, {5, game.Vec{X: 5850, Y: 5650}, game.Vec{X: 7000, Y: 5650}}}, []uint32{1, 5}},
	}
	var f flights
	var bv bulletView
	bv.setRadius(700)
	for tick, s := range steps {
		f.begin(uint32(tick + 1))
		for _, sh := range s.shots {
			f.add(sh.id, sh.from, sh.to)
		}
		f.done()
		got, index := f.seen(&bv, s.focus)
		if !slices.Equal(got, s.want) {
			t.Fatalf("%s: bullets %v, want %v", s.name, got, s.want)
		}
		for k, id := range got {
			if f.ids[index[k]] != id {
				t.Fatalf("%s: index of %d is %d", s.name, id, index[k])
			}
		}
	}
}

// TestBulletsMatchDefinition checks the bullets every client gets against the definition,
// over random histories: bullets appear and end every tick (now and then a burst of more than
// 64 at once), clients wander (beyond the arena's edges too), see as far as they choose, now
// and then miss ticks, jump, or start over.
func TestBulletsMatchDefinition(t *testing.T) {
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 5))
		const side, clients, life = 3000, 30, 25
		type bullet struct {
			id       uint32
			pos, vel game.Vec
			left     int // ticks
		}
		var bullets []bullet
		nextID := uint32(1)
		var f flights
		views := make([]bulletView, clients)
		foci := make([]game.Vec, clients)
		type ref struct {
			has    []uint32
			lastID uint32
			focus  game.Vec
			began  bool
		}
		refs := make([]ref, clients)
		for k := range views {
			views[k].setRadius([]float64{300, 300, 150, 450, 5000}[k%5])
			foci[k] = game.Vec{X: rng.Float64() * side, Y: rng.Float64() * side}
		}
		checked := 0
		for tick := uint32(1); tick <= 300; tick++ {
			kept := bullets[:0]
			for _, b := range bullets {
				b.pos, b.left = b.pos.Add(b.vel), b.left-1
				if b.left > 0 && rng.IntN(30) != 0 { // some hit something
					kept = append(kept, b)
				}
			}
			bullets = kept
			n := rng.IntN(6)
			if tick%50 == 0 {
				n = 60 + rng.IntN(100) // a burst
			}
			for ; n > 0; n-- {
				bullets = append(bullets, bullet{id: nextID, left: life,
					pos: game.Vec{X: rng.Float64() * side, Y: rng.Float64() * side},
					vel: game.Vec{X: rng.Float64()*60 - 30, Y: rng.Float64()*60 - 30}})
				nextID++
			}
			f.begin(tick)
			for _, b := range bullets {
				f.add(b.id, b.pos, b.pos.Add(b.vel.Scale(float64(b.left))))
			}
			f.done()
			alive := map[uint32]bullet{}
			maxID := uint32(0)
			for _, b := range bullets {
				alive[b.id] = b
				maxID = max(maxID, b.id)
			}
			for k := range views {
				switch rng.IntN(30) {
				case 0:
					continue // misses the tick
				case 1:
					foci[k] = game.Vec{X: rng.Float64() * side, Y: rng.Float64() * side} // jumps
				case 2:
					views[k].reset()
					refs[k] = ref{}
				default:
					foci[k] = foci[k].Add(game.Vec{X: rng.Float64()*16 - 8, Y: rng.Float64()*16 - 8})
					foci[k].X, foci[k].Y = min(max(foci[k].X, -300), side+300), min(max(foci[k].Y, -300), side+300)
				}
				// The definition: keep what still flies; look at what appeared since (or at
				// everything, for a client that starts or jumped).
				r, radius := &refs[k], views[k].radius
				d := foci[k].Sub(r.focus)
				everything := !r.began || d.Dot(d) > jumpLimit*jumpLimit
				var want []uint32
				for _, b := range bullets {
					if slices.Contains(r.has, b.id) || (everything || b.id > r.lastID) && flightPasses(b.pos, b.pos.Add(b.vel.Scale(float64(b.left))), foci[k], radius) {
						want = append(want, b.id)
					}
				}
				r.has, r.lastID, r.focus, r.began = want, max(r.lastID, maxID), foci[k], true

				got, index := f.seen(&views[k], foci[k])
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d tick %d client %d: bullets %v, want %v", seed, tick, k, got, want)
				}
				for j, id := range got {
					if f.ids[index[j]] != id {
						t.Fatalf("seed %d tick %d client %d: index of bullet %d is %d", seed, tick, k, id, index[j])
					}
				}
				checked += len(got)
			}
		}
		if checked < 3000 {
			t.Errorf("seed %d: only %d visible bullets checked", seed, checked)
		}
	}
}

// flightPasses is the definition: whether the segment a-b comes within r of p, through the
// point of the segment nearest p.
func flightPasses(a, b, p game.Vec, r float64) bool {
	d := b.Sub(a)
	t := 0.0
	if l2 := d.Dot(d); l2 > 0 {
		t = min(max(p.Sub(a).Dot(d)/l2, 0), 1)
	}
	q := p.Sub(a.Add(d.Scale(t)))
	return q.Dot(q) <= r*r
}

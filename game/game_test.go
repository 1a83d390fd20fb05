package game

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/assets"
)

// open10 is a 10x6 block of 40-unit tiles: 400x240 units, one wall tile at column 5, row 3.
const open10 = `name: test
tile: 40
---
..........
.S......S.
..........
.....#....
..........
..........
`

func newWorld(t testing.TB, src string, cfg Config) *World {
	t.Helper()
	m, err := ParseMap([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Map = m
	w, err := NewWorld(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// place puts a player at p, alive, with full health.
func place(w *World, id EntityID, p Vec) {
	pl := w.Player(id)
	pl.Pos, pl.Alive, pl.Health = p, true, w.Rules.MaxHealth
	w.gridDirty = true
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// onGrid is a free move's length along one axis as the position grid leaves it: a player on
// the grid moves by d rounded to the grid (SnapPos).
func onGrid(d float64) float64 { return math.Round(d*PosPerUnit) / PosPerUnit }

func TestMovement(t *testing.T) {
	tests := []struct {
		name  string
		start Vec
		move  Vec
		ticks int
		want  Vec
	}{
		{"right one tick", Vec{100, 100}, Vec{1, 0}, 1, Vec{100 + onGrid(220.0/30), 100}},
		// Not √2 times faster: as fast but for the grid's rounding (7.42 a tick, not 7.25).
		{"diagonal is not faster", Vec{260, 170}, Vec{math.Sqrt2 / 2, math.Sqrt2 / 2}, 30, Vec{260 + 30*onGrid(220.0/30*math.Sqrt2/2), 170 + 30*onGrid(220.0/30*math.Sqrt2/2)}},
		{"too long a vector is shortened", Vec{100, 100}, Vec{0, -3}, 1, Vec{100, 100 - onGrid(220.0/30)}},
		{"stops flush at the arena edge", Vec{30, 100}, Vec{-1, 0}, 30, Vec{16, 100}},
		{"stops flush at a wall on its left side", Vec{150, 140}, Vec{1, 0}, 30, Vec{200 - 16, 140}},
		{"stops flush on top of a wall", Vec{220, 60}, Vec{0, 1}, 30, Vec{220, 120 - 16}},
		{"slides along a wall", Vec{150, 140}, Vec{math.Sqrt2 / 2, math.Sqrt2 / 2}, 7, Vec{184, 140 + 7*onGrid(220.0/30*math.Sqrt2/2)}},
		{"NaN input stands still", Vec{100, 100}, Vec{math.NaN(), 0}, 1, Vec{100, 100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, open10, Config{Width: 2000, Height: 2000})
			id := w.Join("a")
			place(w, id, tc.start)
			for range tc.ticks {
				w.Step([]Input{{Player: id, Move: tc.move}})
			}
			got := w.Player(id).Pos
			if math.Abs(got.X-tc.want.X) > 1e-6 || math.Abs(got.Y-tc.want.Y) > 1e-6 {
				t.Errorf("after %d ticks at %v: %v, want %v", tc.ticks, tc.move, got, tc.want)
			}
		})
	}
}

func TestNoInputStandsStill(t *testing.T) {
	w := newWorld(t, open10, Config{})
	id := w.Join("a")
	place(w, id, Vec{100, 100})
	w.Step([]Input{{Player: id, Move: Vec{1, 0}}})
	x := w.Player(id).Pos.X
	w.Step(nil)
	if got := w.Player(id).Pos.X; got != x {
		t.Errorf("moved without input: x %v -> %v", x, got)
	}
}

// duel sets up a shooter at (60,60) aiming at a target at (300,60) along an open row.
func duel(t *testing.T) (w *World, shooter, target EntityID) {
	w = newWorld(t, open10, Config{})
	shooter, target = w.Join("shooter"), w.Join("target")
	place(w, shooter, Vec{60, 60})
	place(w, target, Vec{300, 60})
	return w, shooter, target
}

func TestBulletDamagesFirstPlayerHit(t *testing.T) {
	w, shooter, target := duel(t)
	w.Step([]Input{{Player: shooter, Fire: true}})
	if len(w.Bullets) != 1 {
		t.Fatalf("bullets after firing: %d, want 1", len(w.Bullets))
	}
	b := w.Bullets[0]
	if b.Owner != shooter || !near(b.Vel.X, 800) || !near(b.Vel.Y, 0) {
		t.Fatalf("bullet %+v: want owner %d moving +x at 800", b, shooter)
	}
	var hits int
	for range 30 {
		w.Step(nil)
		for _, e := range w.Events {
			if e.Kind == EventHit && e.Actor == shooter && e.Target == target {
				hits++
			}
		}
	}
	if hits != 1 {
		t.Errorf("hit events: %d, want 1", hits)
	}
	if got := w.Player(target).Health; got != 100-25 {
		t.Errorf("target health %d, want 75", got)
	}
	if len(w.Bullets) != 0 {
		t.Errorf("bullet still flying after the hit: %+v", w.Bullets)
	}
}

func TestBulletHitsNearestOfTwo(t *testing.T) {
	w, shooter, far := duel(t)
	mid := w.Join("mid")
	place(w, mid, Vec{180, 60})
	w.Step([]Input{{Player: shooter, Fire: true}})
	for range 30 {
		w.Step(nil)
	}
	if h := w.Player(mid).Health; h != 75 {
		t.Errorf("nearer player health %d, want 75", h)
	}
	if h := w.Player(far).Health; h != 100 {
		t.Errorf("farther player health %d, want 100 (shielded)", h)
	}
}

func TestBulletStopsAtWall(t *testing.T) {
	w := newWorld(t, open10, Config{})
	shooter, target := w.Join("shooter"), w.Join("target")
	place(w, shooter, Vec{100, 140})
	place(w, target, Vec{300, 140}) // behind the wall tile at x 200-240
	w.Step([]Input{{Player: shooter, Fire: true}})
	for range 30 {
		w.Step(nil)
	}
	if h := w.Player(target).Health; h != 100 {
		t.Errorf("target behind a wall lost health: %d", h)
	}
	if len(w.Bullets) != 0 {
		t.Errorf("bullet went on after the wall: %+v", w.Bullets)
	}
}

func TestBulletLifetimeIsBounded(t *testing.T) {
	w := newWorld(t, open10, Config{Width: 4000, Height: 240})
	shooter := w.Join("shooter")
	place(w, shooter, Vec{60, 20})
	w.Step([]Input{{Player: shooter, Fire: true}})
	start := w.Bullets[0].Pos
	var last Vec
	for range 60 {
		if len(w.Bullets) > 0 {
			last = w.Bullets[0].Pos
		}
		w.Step(nil)
	}
	if len(w.Bullets) != 0 {
		t.Fatalf("bullet alive after 2 s")
	}
	if flown := last.X - start.X; flown > w.Rules.BulletRange || flown < w.Rules.BulletRange-2*800.0/30 {
		t.Errorf("bullet flew %.1f units, want about its range %.0f", flown, w.Rules.BulletRange)
	}
}

func TestFireRateIsLimited(t *testing.T) {
	w := newWorld(t, open10, Config{Width: 4000})
	shooter := w.Join("s")
	place(w, shooter, Vec{60, 20})
	shots := 0
	for range 30 { // one second of holding fire
		w.Step([]Input{{Player: shooter, Fire: true}})
		for _, b := range w.Bullets {
			if b.ID > EntityID(shots+1) {
				shots = int(b.ID) - 1
			}
		}
	}
	if want := 5; shots != want { // one every 200 ms
		t.Errorf("shots in one second: %d, want %d", shots, want)
	}
}

func TestKillScoreAndRespawn(t *testing.T) {
	w, shooter, target := duel(t)
	var killTick uint32
	for range 120 {
		w.Step([]Input{{Player: shooter, Fire: true}})
		for _, e := range w.Events {
			if e.Kind == EventKill {
				if e.Actor != shooter || e.Target != target {
					t.Fatalf("kill event %+v", e)
				}
				killTick = w.Tick
			}
		}
		if killTick != 0 {
			break
		}
	}
	if killTick == 0 {
		t.Fatal("four hits did not kill")
	}
	tp := w.Player(target)
	if tp.Alive || tp.Health != 0 || tp.Deaths != 1 || w.Player(shooter).Kills != 1 {
		t.Fatalf("after the kill: target %+v, shooter kills %d", *tp, w.Player(shooter).Kills)
	}
	// Dead players are not hit and do not move.
	w.Step([]Input{{Player: target, Move: Vec{1, 0}}})
	if w.Player(target).Pos != tp.Pos {
		t.Error("dead player moved")
	}
	for w.Tick < killTick+60 && !w.Player(target).Alive {
		w.Step(nil)
	}
	tp = w.Player(target)
	if !tp.Alive || tp.Health != 100 {
		t.Fatalf("not respawned 2 s after death: %+v", *tp)
	}
	if got, want := w.Tick-killTick, uint32(60); got != want {
		t.Errorf("respawned %d ticks after death, want %d", got, want)
	}
	isSpawn := false
	for _, s := range w.Arena.Spawns() {
		isSpawn = isSpawn || s == tp.Pos
	}
	if !isSpawn {
		t.Errorf("respawned at %v, not a spawn point", tp.Pos)
	}
}

func TestSpawnAvoidsOccupiedPoints(t *testing.T) {
	w := newWorld(t, open10, Config{}) // two spawn points
	a, b := w.Join("a"), w.Join("b")
	if pa, pb := w.Player(a).Pos, w.Player(b).Pos; pa == pb {
		t.Errorf("both players spawned at %v with a free spawn point left", pa)
	}
}

func TestLeaveRemovesPlayer(t *testing.T) {
	w := newWorld(t, open10, Config{})
	a, b, c := w.Join("a"), w.Join("b"), w.Join("c")
	w.Leave(b)
	if w.Player(b) != nil || len(w.Players) != 2 || w.Player(a).ID != a || w.Player(c).ID != c {
		t.Fatalf("after leave: %+v", w.Players)
	}
	w.Step([]Input{{Player: b, Move: Vec{1, 0}}, {Player: c, Move: Vec{1, 0}}}) // b's input is ignored
}

// TestDeterminism runs the same scripted match in two worlds side by side and compares their
// whole state bit for bit after every tick: every field, unexported ones, the lag
// compensation history and the spatial grid included. The script has players join and
// leave, move, aim, fire, shoot with lag compensation and catch up late inputs. A third
// world with another seed must end up different, or the comparison would prove nothing.
func TestDeterminism(t *testing.T) {
	src, err := assets.Map(assets.DefaultMap)
	if err != nil {
		t.Fatal(err)
	}
	cfg := func(seed uint64) Config { return Config{Seed: seed, Width: 2000, Height: 2000} }
	worlds := []*World{newWorld(t, string(src), cfg(7)), newWorld(t, string(src), cfg(7)), newWorld(t, string(src), cfg(8))}
	script := rng{state: 42}               // the inputs are the same whatever the world's seed
	ids := make([][]EntityID, len(worlds)) // each world's players, in the same order
	inputs := make([][]Input, len(worlds))
	kills := 0
	for tick := range 900 {
		if tick%20 == 0 && len(ids[0]) < 24 {
			for i, w := range worlds {
				ids[i] = append(ids[i], w.Join(""))
			}
		}
		if tick%97 == 0 && len(ids[0]) > 4 {
			k := script.intn(len(ids[0]))
			for i, w := range worlds {
				w.Leave(ids[i][k])
				ids[i] = append(ids[i][:k], ids[i][k+1:]...)
			}
		}
		for i := range inputs {
			inputs[i] = inputs[i][:0]
		}
		for k := range ids[0] {
			a := float64(script.intn(6283)) / 1000
			in := Input{Move: FromAngle(a), Aim: a + 1, Fire: script.intn(3) == 0, Rewind: script.intn(12)}
			if script.intn(8) == 0 { // a late input caught up this tick
				in.NEarlier, in.Earlier[0] = 1, FromAngle(a+2)
			}
			for i := range worlds {
				in.Player = ids[i][k]
				inputs[i] = append(inputs[i], in)
			}
		}
		for i, w := range worlds {
			w.Step(inputs[i])
		}
		if d := diffState(worlds[0], worlds[1]); d != "" {
			t.Fatalf("tick %d: same seed and inputs, different state at World%s", worlds[0].Tick, d)
		}
		if worlds[0].Hash() != worlds[1].Hash() {
			t.Fatalf("tick %d: same state, different hashes", worlds[0].Tick)
		}
		for _, e := range worlds[0].Events {
			if e.Kind == EventKill {
				kills++
			}
		}
	}
	if kills == 0 {
		t.Error("nobody was killed: the script does not reach death and respawn")
	}
	if diffState(worlds[0], worlds[2]) == "" || worlds[0].Hash() == worlds[2].Hash() {
		t.Error("another seed gave the same final state: the comparison sees too little")
	}
}

func TestParseMap(t *testing.T) {
	tests := []struct {
		name, src, err string
	}{
		{"ok", "tile: 20\n---\n.S.\n#..\n", ""},
		{"no grid", "name: x\n", "no tile grid"},
		{"ragged rows", "---\n.S.\n..\n", "row has 2 tiles, want 3"},
		{"unknown tile", "---\n.S.\n.x.\n", "unknown tile 'x'"},
		{"no spawn", "---\n...\n", "no spawn point"},
		{"bad tile size", "tile: 0\n---\n.S\n", "tile: want a size"},
		{"unknown key", "colour: red\n---\n.S\n", "unknown key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMap([]byte(tc.src))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if m.Cols != 3 || m.Rows != 2 || m.TileSize != 20 || m.Tiles != ".S.#.." {
					t.Errorf("parsed %+v", m)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

func TestEmbeddedMapsParse(t *testing.T) {
	for _, name := range assets.MapNames() {
		if _, err := LoadMap(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestArenaTilesTheBlock(t *testing.T) {
	m, err := ParseMap([]byte(open10))
	if err != nil {
		t.Fatal(err)
	}
	a := NewArena(m, 1000, 500) // rounded up to 25 x 13 tiles
	if a.W != 1000 || a.H != 520 {
		t.Errorf("arena %vx%v, want 1000x520", a.W, a.H)
	}
	for _, tc := range []struct {
		p    Vec
		wall bool
	}{
		{Vec{210, 130}, true},          // the wall tile in the first block
		{Vec{610, 130}, true},          // the same tile, one block to the right
		{Vec{210, 370}, true},          // one block down
		{Vec{250, 130}, false},         // beside it
		{Vec{-1, 10}, true},            // outside
		{Vec{999, 10}, false},          // inside the last column
		{Vec{1000, 10}, true},          // on the edge
		{Vec{math.NaN(), 10}, true},    // not a place
		{Vec{10, math.Inf(1)}, true},   // nor this
		{Vec{10, 519.99}, false},       // last row
		{Vec{1e300, 1e300}, true},      // far away
		{Vec{-1e300, -1e300}, true},    // likewise
		{Vec{0, 0}, false},             // the corner
		{Vec{999.999, 519.999}, false}, // the far corner
	} {
		if got := a.IsWall(tc.p); got != tc.wall {
			t.Errorf("IsWall(%v) = %v, want %v", tc.p, got, tc.wall)
		}
	}
	// Blocks start at tile columns 0, 10, 20 and rows 0, 6, 12; the spawns sit at columns 1
	// and 8, row 1 of a block, so the cut blocks on the right keep one and the bottom none.
	if n := len(a.Spawns()); n != 10 {
		t.Errorf("%d spawn points, want 10", n)
	}
}

func TestTicksFor(t *testing.T) {
	if got := ticksFor(200*time.Millisecond, 30); got != 6 {
		t.Errorf("200ms at 30 Hz = %d ticks, want 6", got)
	}
	if got := ticksFor(time.Millisecond, 30); got != 1 {
		t.Errorf("1ms at 30 Hz = %d ticks, want at least 1", got)
	}
}

// TestLateInputsCatchUp: inputs caught up in one tick each move the player a tick's worth,
// in order, before the tick's own input.
func TestLateInputsCatchUp(t *testing.T) {
	w := newWorld(t, open10, Config{Width: 2000, Height: 2000})
	id := w.Join("a")
	place(w, id, Vec{260, 170})
	in := Input{Player: id, Move: Vec{0, 1}, NEarlier: 2}
	in.Earlier[0], in.Earlier[1] = Vec{1, 0}, Vec{3, 0} // the second is shortened to length 1
	w.Step([]Input{in})
	step := onGrid(220.0 / 30)
	if got, want := w.Player(id).Pos, (Vec{260 + 2*step, 170 + step}); math.Abs(got.X-want.X) > 1e-9 || math.Abs(got.Y-want.Y) > 1e-9 {
		t.Errorf("after two late moves right and one down: %v, want %v", got, want)
	}
}

// TestPositionsStayOnTheGrid: whatever the moves (any direction, against walls, caught up),
// every player's position stays on the position grid, so a snapshot that carries it on that
// grid carries it exactly, and a client replaying its inputs from there computes the same.
func TestPositionsStayOnTheGrid(t *testing.T) {
	w := newWorld(t, open10, Config{Width: 800, Height: 800, Seed: 3})
	rng := rand.New(rand.NewPCG(3, 4))
	var ids []EntityID
	for range 8 {
		ids = append(ids, w.Join(""))
	}
	for tick := range 600 {
		var inputs []Input
		for _, id := range ids {
			in := Input{Player: id, Move: FromAngle(rng.Float64() * 2 * math.Pi).Scale(rng.Float64() * 1.2), Fire: rng.IntN(20) == 0}
			for in.NEarlier = 0; in.NEarlier < rng.IntN(MaxEarlier+1); in.NEarlier++ {
				in.Earlier[in.NEarlier] = FromAngle(rng.Float64() * 2 * math.Pi)
			}
			inputs = append(inputs, in)
		}
		w.Step(inputs)
		for _, p := range w.Players {
			if p.Pos != SnapPos(p.Pos) {
				t.Fatalf("tick %d: player %d at %v, off the grid", tick, p.ID, p.Pos)
			}
		}
	}
}

// TestMoved: Moved is the last tick's own move, as made: a free step, what a wall left of it,
// nothing when standing, and nothing of the late inputs caught up in that tick. A dead or
// respawned player has not moved.
func TestMoved(t *testing.T) {
	w := newWorld(t, open10, Config{Width: 2000, Height: 2000})
	id := w.Join("a")
	step := onGrid(220.0 / 30)
	place(w, id, Vec{100, 100})
	check := func(what string, want Vec) {
		t.Helper()
		if got := w.Player(id).Moved; math.Abs(got.X-want.X) > 1e-9 || math.Abs(got.Y-want.Y) > 1e-9 {
			t.Errorf("%s: moved %v, want %v", what, got, want)
		}
	}
	w.Step([]Input{{Player: id, Move: Vec{1, 0}}})
	check("a step right", Vec{step, 0})
	from := w.Player(id).Pos
	w.Step([]Input{{Player: id, Move: Vec{1, 0}}})
	if got := w.Player(id).Pos.Sub(from); got != w.Player(id).Moved {
		t.Errorf("moved %v, but went %v", w.Player(id).Moved, got)
	}
	w.Step(nil)
	check("standing", Vec{})

	in := Input{Player: id, Move: Vec{0, 1}, NEarlier: 1}
	in.Earlier[0] = Vec{1, 0}
	w.Step([]Input{in})
	check("a step down after a late step right", Vec{0, step})

	place(w, id, Vec{200 - 16 - 2, 140}) // 2 units short of the wall at column 5
	w.Step([]Input{{Player: id, Move: Vec{1, 0}}})
	check("into a wall", Vec{2, 0})
	w.Step([]Input{{Player: id, Move: Vec{1, 0}}})
	check("against a wall", Vec{})

	place(w, id, Vec{100, 100})
	w.Step([]Input{{Player: id, Move: Vec{1, 0}}})
	w.Player(id).Health = 1
	w.hit(id, w.index[id]) // the next bullet kills
	check("dead", Vec{})
	for !w.Player(id).Alive {
		w.Step([]Input{{Player: id, Move: Vec{1, 0}}})
		check("while dead", Vec{})
	}
	check("respawned", Vec{})
}

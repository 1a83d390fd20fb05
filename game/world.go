package game

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
)

// EntityID names a player or a bullet. Players and bullets share one sequence, so an id is never
// reused within a world.
type EntityID uint32

// Player is one player's state in the world.
type Player struct {
	ID     EntityID
	Name   string
	Hue    uint16 // colour as an HSL hue, 0-359
	Pos    Vec
	Aim    float64 // radians
	Health int
	Kills  int
	Deaths int
	Alive  bool

	// Moved is how far the player's own move of the last tick took it: where it goes next
	// tick if its input holds and nothing blocks it. Late inputs caught up in that tick do not
	// count; it is zero for a player who stood, died or respawned. Snapshots predict a
	// player's position from it, and send only where the player strayed from the prediction.
	Moved Vec

	respawnTick uint32          // while dead: the tick at which the player respawns
	nextFire    uint32          // the first tick at which the player may fire again
	move        Vec             // this tick's movement input
	fire        bool            // this tick's fire input
	rewind      uint32          // this tick's lag compensation for a shot, in ticks
	earlier     [MaxEarlier]Vec // late inputs' moves, caught up this tick before move
	nEarlier    int
	history     []posRecord // where it was over the last HistoryLength, by tick
}

// Bullet is a shot in flight. It moves straight at constant velocity.
type Bullet struct {
	ID     EntityID
	Owner  EntityID
	Pos    Vec
	Vel    Vec // units per second
	dies   uint32
	rewind uint32 // ticks: targets are tested where they were this long ago
}

// EventKind says what happened in an Event.
type EventKind uint8

// The kinds of event a Step reports.
const (
	EventHit   EventKind = iota + 1 // Actor's bullet hit Target
	EventKill                       // Actor's bullet killed Target
	EventSpawn                      // Target (re)spawned
)

// Event is something that happened during the last Step, for the room to relay.
type Event struct {
	Kind   EventKind
	Actor  EntityID
	Target EntityID
}

// Config sets up a World. Its zero value is usable but for Map, which is required.
type Config struct {
	Map      *Map
	TickRate int     // simulation ticks per second; default 30
	Width    float64 // arena size in world units; 0 means the map block's own size
	Height   float64
	Seed     uint64 // seeds spawn choices; the same seed and inputs give the same world
	Rules    Rules  // zero fields take DefaultRules
}

// World is the whole state of one arena. It is not safe for concurrent use: one goroutine
// (the room's) owns it. Everything that changes it is deterministic.
type World struct {
	Tick     uint32
	TickRate int
	Rules    Rules
	Arena    *Arena
	Players  []Player // ordered by ID
	Bullets  []Bullet // ordered by ID
	Events   []Event  // what happened during the last Step

	dt           float64 // seconds per tick
	historyTicks int     // ticks of position history kept for lag compensation
	fireTicks    uint32
	respawnTicks uint32
	bulletTicks  uint32

	nextID    EntityID
	rng       rng
	index     map[EntityID]int // player id -> index in Players
	grid      *Grid            // alive players by position; valid unless gridDirty
	gridDirty bool
	scratch   []int32
}

// NewWorld makes an empty arena.
func NewWorld(cfg Config) (*World, error) {
	if cfg.Map == nil {
		return nil, errors.New("game: config has no map")
	}
	if cfg.TickRate == 0 {
		cfg.TickRate = 30
	}
	if cfg.TickRate < 1 || cfg.TickRate > 1000 {
		return nil, fmt.Errorf("game: tick rate %d out of range", cfg.TickRate)
	}
	rules := cfg.Rules.withDefaults()
	w := &World{
		TickRate: cfg.TickRate,
		Rules:    rules,
		Arena:    NewArena(cfg.Map, cfg.Width, cfg.Height),
		dt:       1 / float64(cfg.TickRate),
		nextID:   1,
		rng:      rng{state: cfg.Seed},
		index:    make(map[EntityID]int),
	}
	if len(w.Arena.spawns) == 0 {
		return nil, errors.New("game: arena has no spawn point")
	}
	w.historyTicks = int(ticksFor(HistoryLength, cfg.TickRate)) + 1
	w.fireTicks = ticksFor(rules.FireInterval, cfg.TickRate)
	w.respawnTicks = ticksFor(rules.RespawnDelay, cfg.TickRate)
	w.bulletTicks = uint32(max(1, math.Ceil(rules.BulletRange/rules.BulletSpeed*float64(cfg.TickRate))))
	// Cells of four player diameters: a bullet's sweep or a spawn check touches a few cells.
	w.grid = NewGrid(w.Arena.W, w.Arena.H, 8*rules.PlayerRadius)
	w.gridDirty = true
	return w, nil
}

// Join adds a player, alive at a free spawn point, and returns its id. An empty name gets a
// generated one.
func (w *World) Join(name string) EntityID {
	id := w.newID()
	if name == "" {
		name = fmt.Sprintf("Player %d", id)
	}
	w.Players = append(w.Players, Player{
		ID:   id,
		Name: name,
		// The golden angle spreads consecutive players' colours around the wheel.
		Hue: uint16(uint32(id) * 137 % 360),
	})
	w.index[id] = len(w.Players) - 1
	w.gridDirty = true
	w.spawn(len(w.Players) - 1)
	return id
}

// Leave removes a player. Its bullets fly on.
func (w *World) Leave(id EntityID) {
	i, ok := w.index[id]
	if !ok {
		return
	}
	w.Players = slices.Delete(w.Players, i, i+1) // clears the tail: no stale copy keeps its history
	delete(w.index, id)
	for j := i; j < len(w.Players); j++ {
		w.index[w.Players[j].ID] = j
	}
	w.gridDirty = true
}

// Player returns the player with the given id, or nil. The pointer is valid until the next
// Join or Leave.
func (w *World) Player(id EntityID) *Player {
	if i, ok := w.index[id]; ok {
		return &w.Players[i]
	}
	return nil
}

func (w *World) newID() EntityID {
	id := w.nextID
	w.nextID++
	return id
}

// rebuildGrid indexes the alive players by position.
func (w *World) rebuildGrid() {
	w.grid.Reset(len(w.Players))
	for i := range w.Players {
		if p := &w.Players[i]; p.Alive {
			w.grid.Insert(int32(i), p.Pos)
		}
	}
	w.gridDirty = false
}

// near returns the indices of alive players that may be within the box [lo, hi]. The result
// is valid until the next call.
func (w *World) near(lo, hi Vec) []int32 {
	if w.gridDirty {
		w.rebuildGrid()
	}
	w.scratch = w.grid.Query(lo, hi, w.scratch[:0])
	return w.scratch
}

// spawn brings player i to life at a spawn point with no living player close by, picked at
// random; if every spawn point is taken, at a random one.
func (w *World) spawn(i int) {
	p := &w.Players[i]
	spawns := w.Arena.spawns
	start := w.rng.intn(len(spawns))
	p.Pos = spawns[start]
	clear := 4 * w.Rules.PlayerRadius
	for k := range spawns {
		s := spawns[(start+k)%len(spawns)]
		if w.spawnFree(s, clear) {
			p.Pos = s
			break
		}
	}
	p.Pos = SnapPos(p.Pos) // tile centres are on the grid for whole tile sizes; others are not
	p.Moved = Vec{}
	p.Alive = true
	p.Health = w.Rules.MaxHealth
	if !w.gridDirty {
		w.grid.Insert(int32(i), p.Pos)
	}
	w.Events = append(w.Events, Event{Kind: EventSpawn, Target: p.ID})
}

func (w *World) spawnFree(s Vec, clear float64) bool {
	box := Vec{clear, clear}
	for _, j := range w.near(s.Sub(box), s.Add(box)) {
		if q := &w.Players[j]; q.Alive && q.Pos.Sub(s).Len() < clear {
			return false
		}
	}
	return true
}

// Hash returns a fingerprint of the whole world state, for determinism tests and replays.
func (w *World) Hash() uint64 {
	h := fnv.New64a()
	var buf [8]byte
	put := func(v uint64) {
		for i := range buf {
			buf[i] = byte(v >> (8 * i))
		}
		h.Write(buf[:])
	}
	f := func(v float64) { put(math.Float64bits(v)) }
	put(uint64(w.Tick))
	put(uint64(w.nextID))
	put(w.rng.state)
	for i := range w.Players {
		p := &w.Players[i]
		put(uint64(p.ID))
		h.Write([]byte(p.Name))
		f(p.Pos.X)
		f(p.Pos.Y)
		f(p.Aim)
		f(p.Moved.X)
		f(p.Moved.Y)
		put(uint64(p.Health))
		put(uint64(p.Kills)<<32 | uint64(p.Deaths))
		put(uint64(p.respawnTick)<<32 | uint64(p.nextFire))
		if p.Alive {
			put(1)
		}
	}
	for i := range w.Bullets {
		b := &w.Bullets[i]
		put(uint64(b.ID)<<32 | uint64(b.Owner))
		f(b.Pos.X)
		f(b.Pos.Y)
		f(b.Vel.X)
		f(b.Vel.Y)
		put(uint64(b.dies)<<32 | uint64(b.rewind))
	}
	return h.Sum64()
}

// Flight returns the segment bullet b will fly, from where it is to where its range runs out
// (at the latest: it may end sooner, at a wall or a player). Clients are sent the bullets
// whose flight passes through their view.
func (w *World) Flight(b *Bullet) (from, to Vec) {
	left := max(int64(b.dies)-int64(w.Tick)+1, 0) // ticks, one to spare
	return b.Pos, b.Pos.Add(b.Vel.Scale(w.dt * float64(left)))
}

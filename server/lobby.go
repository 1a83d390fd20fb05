package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/netcode"
)

// Lobby holds a server's rooms: it places players, creates rooms, lists the public ones and
// closes rooms that have stayed empty. Its methods are safe for concurrent use.
type Lobby struct {
	log         *slog.Logger
	metrics     *metrics
	newWorld    func(seed uint64) (*game.World, error)
	roomCfg     RoomConfig
	maxRooms    int
	idleTimeout time.Duration
	seed        uint64

	ctx context.Context // rooms run under it
	wg  sync.WaitGroup  // room goroutines
	// pool builds every room's snapshots with the room's own goroutine, prioritize makes a
	// tick's thread a priority one; both set before the first room (nil: none).
	pool       *buildPool
	prioritize func()

	mu     sync.Mutex // guards the fields below
	rooms  map[string]*lobbyRoom
	closed bool   // set by Close: no room opens any more
	made   uint64 // rooms made so far, to give each world its own seed
}

type lobbyRoom struct {
	room   *Room
	cancel context.CancelFunc
}

// Errors of placement. The session turns them into close codes.
var (
	errNoSuchRoom   = &netcode.CloseError{Code: netcode.CloseNoSuchRoom, Reason: "no such room"}
	errTooManyRooms = &netcode.CloseError{Code: netcode.CloseTryAgainLater, Reason: "too many rooms"}
	errShuttingDown = &netcode.CloseError{Code: netcode.CloseGoingAway, Reason: "server shutting down"}
)

// Find returns the room with id, for a player who asked for it by its id. The room's idle
// clock restarts, so that it is not closed before the player's join arrives.
func (l *Lobby) Find(id string) (*Room, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lr := l.rooms[id]
	if lr == nil {
		return nil, errNoSuchRoom
	}
	lr.room.touch()
	return lr.room, nil
}

// Create makes a new room; a private one is not listed and is joined only by its id.
func (l *Lobby) Create(private bool) (*Room, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.createLocked(private)
}

func (l *Lobby) createLocked(private bool) (*Room, error) {
	if l.closed {
		return nil, errShuttingDown
	}
	if len(l.rooms) >= l.maxRooms {
		return nil, errTooManyRooms
	}
	id := newRoomID()
	for l.rooms[id] != nil {
		id = newRoomID()
	}
	l.made++
	w, err := l.newWorld(l.seed + l.made - 1)
	if err != nil {
		return nil, err
	}
	r := NewRoom(w, l.roomCfg, l.log.With("room", id))
	r.id, r.private = id, private
	r.pool, r.prioritize = l.pool, l.prioritize
	r.metrics = l.metrics.forRoom(id)
	ctx, cancel := context.WithCancel(l.ctx)
	l.rooms[id] = &lobbyRoom{room: r, cancel: cancel}
	l.wg.Add(1)
	go func() { defer l.wg.Done(); r.Run(ctx) }()
	r.log.Info("room opened", "private", private)
	return r, nil
}

// roomIDAlphabet has no letters that read like others (no i, l, o, u).
const roomIDAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// newRoomID returns 8 random characters: 40 bits, short enough to read out, too many to guess.
func newRoomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	for i := range b {
		b[i] = roomIDAlphabet[b[i]%32]
	}
	return string(b[:])
}

// Reap closes the rooms that have been empty for the idle timeout, as of now.
func (l *Lobby) Reap(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, lr := range l.rooms {
		if lr.room.closeIfIdle(now, l.idleTimeout) {
			lr.cancel()
			delete(l.rooms, id)
			l.metrics.roomClosed(id)
			lr.room.log.Info("room closed", "reason", "empty")
		}
	}
}

// runReaper reaps idle rooms until ctx ends.
func (l *Lobby) runReaper(ctx context.Context) {
	t := time.NewTicker(max(time.Second, l.idleTimeout/4))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			l.Reap(now)
		}
	}
}

// RoomInfo describes a room in the room list.
type RoomInfo struct {
	ID            string  `json:"id"`
	Players       int     `json:"players"`
	Spectators    int     `json:"spectators"`
	MaxPlayers    int     `json:"max_players"`
	MaxSpectators int     `json:"max_spectators"`
	Tick          uint32  `json:"tick"`
	TickP99MS     float64 `json:"tick_p99_ms"` // over the room's life
	Overruns      uint64  `json:"overruns"`
}

// List describes the public rooms, fullest first.
func (l *Lobby) List() []RoomInfo {
	l.mu.Lock()
	rooms := make([]*Room, 0, len(l.rooms))
	for _, lr := range l.rooms {
		if !lr.room.private {
			rooms = append(rooms, lr.room)
		}
	}
	l.mu.Unlock()
	list := make([]RoomInfo, 0, len(rooms))
	for _, r := range rooms {
		list = append(list, RoomInfo{
			ID: r.id, Players: r.Players(), Spectators: r.Spectators(), MaxPlayers: r.cfg.MaxPlayers, MaxSpectators: r.cfg.MaxSpectators,
			Tick:      r.ServerTick(),
			TickP99MS: float64(r.stats.total.snapshot().Quantile(0.99)) / float64(time.Millisecond),
			Overruns:  r.stats.overruns.Load(),
		})
	}
	slices.SortFunc(list, func(a, b RoomInfo) int { return cmp.Or(cmp.Compare(b.Players, a.Players), cmp.Compare(a.ID, b.ID)) })
	return list
}

// Rooms returns every room, private ones included, ordered by id.
func (l *Lobby) Rooms() []*Room {
	l.mu.Lock()
	defer l.mu.Unlock()
	rooms := make([]*Room, 0, len(l.rooms))
	for _, lr := range l.rooms {
		rooms = append(rooms, lr.room)
	}
	slices.SortFunc(rooms, func(a, b *Room) int { return cmp.Compare(a.id, b.id) })
	return rooms
}

// Close stops every room and waits for their goroutines; no room opens after it.
func (l *Lobby) Close() {
	l.mu.Lock()
	l.closed = true
	for _, lr := range l.rooms {
		lr.cancel()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

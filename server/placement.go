package main

import (
	"cmp"
	"errors"
	"slices"
	"sync/atomic"

	"github.com/tickwire/tickwire/netcode"
)

// This file is placement: a player who names no room is put in the fullest public room with
// space, else in a new one. The room is chosen when the player's join arrives, and the choice
// and the join's slot are taken together under the lobby's lock: players who arrive at once
// are not all sent to the same last slot, where all but one would be refused.

// JoinPlaced joins s to the fullest public room with space (ties go to the lowest id), or,
// when none has space, to a new public room, and returns that room. A player coming back with
// its reconnection token goes back to the room that holds its player, whatever its room.
func (l *Lobby) JoinPlaced(s *netcode.Session, j netcode.Join) (*Room, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if j.Token != "" && !s.Spectator {
		for _, lr := range l.rooms {
			if lr.room.holds(j.Token) {
				return lr.room, lr.room.HandleJoin(s, j)
			}
		}
	}
	type candidate struct {
		room    *Room
		players int
	}
	open := make([]candidate, 0, len(l.rooms))
	for _, lr := range l.rooms {
		if n := lr.room.Players(); !lr.room.private && n < l.roomCfg.MaxPlayers {
			open = append(open, candidate{lr.room, n})
		}
	}
	slices.SortFunc(open, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.players, a.players), cmp.Compare(a.room.id, b.room.id))
	})
	for _, c := range open {
		// A room refuses only when it filled up since it was counted (a join by id) or its
		// join queue is full: the next one may take the player.
		if c.room.HandleJoin(s, j) == nil {
			return c.room, nil
		}
	}
	r, err := l.createLocked(false)
	if err != nil {
		return nil, err
	}
	return r, r.HandleJoin(s, j)
}

// placedHandler is the handler of a session that asked to be placed: its join picks the room
// (Lobby.JoinPlaced), and everything after it goes to that room.
type placedHandler struct {
	lobby *Lobby
	room  atomic.Pointer[Room] // set by HandleJoin; ServerTick reads it from any goroutine
}

func (p *placedHandler) HandleJoin(s *netcode.Session, j netcode.Join) error {
	r, err := p.lobby.JoinPlaced(s, j)
	if err != nil {
		var ce *netcode.CloseError
		if !errors.As(err, &ce) {
			s.Logger().Error("placing a player", "err", err)
			return &netcode.CloseError{Code: netcode.CloseInternal, Reason: "could not open a room"}
		}
		return err
	}
	p.room.Store(r)
	return nil
}

// The session calls these only after its join was accepted, so the room is set.
func (p *placedHandler) HandleInput(s *netcode.Session, in netcode.Input) {
	p.room.Load().HandleInput(s, in)
}
func (p *placedHandler) HandleWatch(s *netcode.Session, w netcode.Watch) {
	p.room.Load().HandleWatch(s, w)
}
func (p *placedHandler) HandleLeave(s *netcode.Session, cause error) {
	p.room.Load().HandleLeave(s, cause)
}

func (p *placedHandler) ServerTick() uint32 {
	if r := p.room.Load(); r != nil {
		return r.ServerTick()
	}
	return 0
}

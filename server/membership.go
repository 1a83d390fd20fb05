package main

import (
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/netcode"
)

// This file is the room's membership: joins, leaves, and reconnection. A player whose
// connection drops by accident is held in the world for RoomConfig.ReconnectGrace; a join that
// carries its token within that time takes it over again (same entity, score and state),
// and a half-open old connection is closed.
//
// Slots: Room.players counts members, held ones included, plus joins on their way. HandleJoin
// reserves a slot; the Run goroutine frees one only when it removes a member, or when a
// reserved join turns out to resume a member that already has one.

// member is a player in the room. Owned by the Run goroutine, except token, which is fixed.
type member struct {
	s         *netcode.Session    // nil while held for reconnection
	view      *netcode.ClientView // interest and baselines
	id        game.EntityID
	token     string // reconnection token, a random UUID
	q         netcode.InputQueue
	heldUntil time.Time // while held: when the player is removed
	frame     []byte    // this tick's snapshot, between building and handing off

	spectator bool     // watches without a player (id 0)
	focus     game.Vec // a spectator's centre of interest
	focusNow  game.Vec // this tick\'s centre of interest, for the snapshot builders
}

// watch moves a spectator's area of interest, kept inside the arena.
func (m *member) watch(w netcode.Watch, a *game.Arena) {
	if !m.spectator {
		return
	}
	m.focus = game.Vec{X: min(max(w.X, 0), a.W), Y: min(max(w.Y, 0), a.H)}
	m.view.SetRadius(w.Radius)
}

type membershipChange struct {
	s     *netcode.Session
	join  bool
	name  string
	token string // a join's reconnection token, if any
	keep  bool   // a leave: hold the player for reconnection
}

// HandleJoin queues a join for the next tick, or refuses it when the room is full or closed.
// A join whose token names a member of this room is let in even when the room is full: its
// player holds a slot already. Spectators have slots of their own (MaxSpectators): a
// spectator costs the server a snapshot a tick, as a player does, but takes no player's place.
func (r *Room) HandleJoin(s *netcode.Session, j netcode.Join) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, resuming := r.tokens[j.Token]
	count, limit, full := &r.players, r.cfg.MaxPlayers, "room full"
	if s.Spectator {
		count, limit, full, resuming = &r.spectators, r.cfg.MaxSpectators, "no seat left for spectators", false
		if limit == 0 {
			full = "this server has no spectators"
		}
	}
	switch {
	case r.closed:
		return &netcode.CloseError{Code: netcode.CloseTryAgainLater, Reason: "room closed"}
	case *count >= limit && !resuming:
		return &netcode.CloseError{Code: netcode.CloseTryAgainLater, Reason: full}
	}
	select {
	case r.membership <- membershipChange{s: s, join: true, name: j.Name, token: j.Token}:
		*count++
		return nil
	default:
		return &netcode.CloseError{Code: netcode.CloseTryAgainLater, Reason: "server busy"}
	}
}

// holds reports whether a member of the room has reconnection token.
func (r *Room) holds(token string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tokens[token] != nil
}

// HandleLeave queues the end of a session. It waits for room in the queue (a leave must not
// be lost) unless the room has stopped. A session lost by accident keeps its player for the
// reconnection grace period.
func (r *Room) HandleLeave(s *netcode.Session, cause error) {
	c := membershipChange{s: s, keep: r.cfg.ReconnectGrace > 0 && netcode.Resumable(cause)}
	select {
	case r.membership <- c:
	case <-r.done:
	}
}

// drainMembership applies the joins and leaves that have arrived, in order.
func (r *Room) drainMembership() {
	for n := len(r.membership); n > 0; n-- {
		c := <-r.membership
		switch {
		case c.join:
			r.join(c)
		case c.keep && r.members[c.s] != nil && !r.members[c.s].spectator:
			r.hold(c.s)
		default:
			if m := r.members[c.s]; m != nil {
				r.remove(m, "left")
			}
		}
	}
}

func (r *Room) join(c membershipChange) {
	if c.s.Spectator {
		a := r.world.Arena
		m := &member{s: c.s, spectator: true, focus: game.Vec{X: a.W / 2, Y: a.H / 2}}
		m.setSession(c.s, r.cfg.ViewRadius)
		r.members[c.s] = m
		r.order = append(r.order, m)
		r.welcome(m)
		c.s.Logger().Info("spectator joined", "room", r.id)
		return
	}
	r.mu.Lock()
	m := r.tokens[c.token]
	r.mu.Unlock()
	if c.token != "" && m != nil {
		r.resume(m, c.s)
		return
	}
	m = &member{s: c.s, id: r.world.Join(c.name), token: uuid.NewString()}
	m.setSession(c.s, r.cfg.ViewRadius)
	r.mu.Lock()
	r.tokens[m.token] = m
	r.mu.Unlock()
	r.members[c.s] = m
	r.order = append(r.order, m)
	r.welcome(m)
	c.s.Logger().Info("player joined", "room", r.id, "player", m.id, "name", r.world.Player(m.id).Name)
}

// resume gives member m the new session s: its player carries on where it was.
func (r *Room) resume(m *member, s *netcode.Session) {
	if old := m.s; old != nil { // a half-open old connection: the client came back first
		delete(r.members, old)
		old.Close(&netcode.CloseError{Code: netcode.CloseReplaced, Reason: "replaced by a new connection"})
	}
	r.releaseSlot(false)              // the join reserved one, but the member holds its own
	m.setSession(s, r.cfg.ViewRadius) // a new view: the client starts from a full snapshot
	m.heldUntil = time.Time{}
	m.q = netcode.InputQueue{} // the new client numbers its inputs afresh
	r.members[s] = m
	r.welcome(m)
	r.metrics.reconnects.Inc()
	s.Logger().Info("player resumed", "room", r.id, "player", m.id)
}

// setSession attaches s to m, with a fresh view: the client starts from a full snapshot.
func (m *member) setSession(s *netcode.Session, radius float64) {
	m.s, m.view = s, netcode.NewClientView(radius)
}

// hold keeps the player of a session lost by accident, for the grace period.
func (r *Room) hold(s *netcode.Session) {
	m := r.members[s]
	if m == nil {
		return
	}
	delete(r.members, s)
	m.s, m.heldUntil = nil, time.Now().Add(r.cfg.ReconnectGrace)
	s.Logger().Info("player held for reconnection", "room", r.id, "player", m.id, "grace", r.cfg.ReconnectGrace)
}

// expireHeld removes held players whose grace period has run out as of now.
func (r *Room) expireHeld(now time.Time) {
	for i := 0; i < len(r.order); i++ {
		if m := r.order[i]; m.s == nil && now.After(m.heldUntil) {
			r.remove(m, "did not come back")
			i--
		}
	}
}

// remove takes member m out of the room and the world.
func (r *Room) remove(m *member, why string) {
	if m.spectator {
		r.log.Info("spectator left", "why", why)
	} else {
		p := r.world.Player(m.id)
		r.log.Info("player removed", "player", m.id, "why", why, "kills", p.Kills, "deaths", p.Deaths)
		r.world.Leave(m.id)
	}
	if m.s != nil {
		delete(r.members, m.s)
	}
	r.order = slices.DeleteFunc(r.order, func(o *member) bool { return o == m })
	r.mu.Lock()
	delete(r.tokens, m.token)
	r.mu.Unlock()
	r.releaseSlot(m.spectator)
}

// releaseSlot gives back a player's slot, or a spectator's.
func (r *Room) releaseSlot(spectator bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if spectator {
		r.spectators--
	} else {
		r.players--
	}
	if r.players == 0 && r.spectators == 0 {
		r.idleSince = time.Now()
	}
}

// welcome queues the welcome for m's session: the first frame it sends, so the control
// queue has room.
func (r *Room) welcome(m *member) {
	w := netcode.NewWelcome(r.world, m.id, r.cfg.SnapshotRate)
	w.RoomID, w.Token = r.id, m.token
	_ = m.s.QueueControl(netcode.NewEncoder().Welcome(w))
}

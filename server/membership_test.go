package main

import (
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tickwire/tickwire/assets"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/netcode"
)

// defaultWorld is a world on the embedded default map, with seed.
func defaultWorld(t *testing.T, seed uint64) *game.World {
	t.Helper()
	m, err := game.LoadMap(assets.DefaultMap)
	if err != nil {
		t.Fatal(err)
	}
	w, err := game.NewWorld(game.Config{Map: m, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// membershipRoom is a room whose membership a test drives by hand, without its clock: the
// test plays the Run goroutine.
func membershipRoom(t *testing.T, grace time.Duration) *Room {
	t.Helper()
	w := defaultWorld(t, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := NewRoom(w, RoomConfig{TickRate: 30, SnapshotRate: 30, MaxPlayers: 10, ReconnectGrace: grace, ViewRadius: 700}, log)
	r.metrics = newMetrics(&Lobby{rooms: map[string]*lobbyRoom{}}).forRoom("test")
	return r
}

// session is a session without a connection: the room only queues frames to it.
func session() *netcode.Session {
	return netcode.NewSession(nil, netcode.SessionConfig{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// joinRoom joins s to r with token, applies it, and returns the member it got.
func joinRoom(t *testing.T, r *Room, s *netcode.Session, name, token string) *member {
	t.Helper()
	if err := r.HandleJoin(s, netcode.Join{Name: name, Token: token}); err != nil {
		t.Fatal(err)
	}
	r.drainMembership()
	m := r.members[s]
	if m == nil {
		t.Fatalf("%s did not join", name)
	}
	return m
}

// TestResumeKeepsEntityScoreAndState: a player dropped by accident is held; its token, and
// only its token, takes the same entity back with its score, health and position, on a fresh
// view (the client starts from a full snapshot); after the grace period it is removed and the
// token forgotten.
func TestResumeKeepsEntityScoreAndState(t *testing.T) {
	const grace = time.Minute
	r := membershipRoom(t, grace)
	alice := joinRoom(t, r, session(), "Alice", "")
	bob := joinRoom(t, r, session(), "Bob", "")
	for _, m := range []*member{alice, bob} {
		u, err := uuid.Parse(m.token)
		if err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 {
			t.Errorf("token %q: want a random (version 4) UUID", m.token)
		}
	}
	if alice.token == bob.token {
		t.Fatal("two players share a token")
	}
	p := r.world.Player(alice.id)
	p.Kills, p.Deaths, p.Health, p.Pos, p.Aim = 3, 2, 40, game.Vec{X: 321, Y: 123}, 1.5
	want := *p
	oldView := alice.view

	r.HandleLeave(alice.s, io.ErrUnexpectedEOF) // dropped without a close
	r.drainMembership()
	if r.world.Player(alice.id) == nil || alice.s != nil {
		t.Fatal("Alice was not held for reconnection")
	}

	// Bob's token takes Bob's player over (a half-open Bob), never Alice's.
	bobAgain := joinRoom(t, r, session(), "Alice", bob.token)
	if bobAgain != bob || bobAgain.id == alice.id {
		t.Errorf("Bob's token reached player %d, want Bob's %d", bobAgain.id, bob.id)
	}

	back := session()
	m := joinRoom(t, r, back, "someone", alice.token)
	if m != alice || m.id == 0 || m.s != back {
		t.Fatalf("Alice's token gave player %d, want %d", m.id, alice.id)
	}
	if got := *r.world.Player(alice.id); got.Kills != want.Kills || got.Deaths != want.Deaths ||
		got.Health != want.Health || got.Pos != want.Pos || got.Aim != want.Aim || got.Name != "Alice" || got.Hue != want.Hue {
		t.Errorf("resumed player %+v, want %+v", got, want)
	}
	if m.view == oldView || m.view.Ack != 0 {
		t.Error("the resumed player kept its old view; its client must start from a full snapshot")
	}
	if n := r.Players(); n != 2 {
		t.Errorf("%d players after resuming, want 2", n)
	}

	// Dropped again, and not back within the grace period: removed, token forgotten.
	r.HandleLeave(back, io.ErrUnexpectedEOF)
	r.drainMembership()
	r.expireHeld(time.Now().Add(grace / 2))
	if r.world.Player(alice.id) == nil {
		t.Fatal("Alice removed before the grace period ended")
	}
	r.expireHeld(time.Now().Add(grace + time.Second))
	if r.world.Player(alice.id) != nil {
		t.Fatal("Alice still in the world after the grace period")
	}
	late := joinRoom(t, r, session(), "Alice", alice.token)
	if late.id == alice.id {
		t.Error("an expired token took the removed player back")
	}
}

// TestRoomForgetsMembersWhoLeft: once its members have left, a room that lives on (empty,
// until its idle timeout) keeps none of them, nor so their sessions and views, in the lists
// it reuses from tick to tick.
func TestRoomForgetsMembersWhoLeft(t *testing.T) {
	r := membershipRoom(t, 0)
	built := 0
	r.build = func(*netcode.DeltaScratch, *member) { built++ }
	a, b := joinRoom(t, r, session(), "a", ""), joinRoom(t, r, session(), "b", "")
	r.buildSnapshots()
	if built != 2 {
		t.Fatalf("built %d snapshots, want 2", built)
	}
	r.HandleLeave(a.s, nil)
	r.HandleLeave(b.s, nil)
	r.drainMembership()
	for _, m := range slices.Concat(r.building[:cap(r.building)], r.order[:cap(r.order)]) {
		if m != nil {
			t.Fatalf("the room still holds member %d after everyone left", m.id)
		}
	}
}

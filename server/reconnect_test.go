package main

import (
	"context"
	"testing"
	"time"

	"github.com/tickwire/tickwire/netcode"
)

func dialWith(t *testing.T, ts *testServer, query string, opt netcode.DialOptions) *netcode.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, ts.wsURL()+query, "again", opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestReconnectResumesPlayer drops a player's connection without a close, comes back with its
// token, and gets the same player, where it was; a second connection with the same token
// closes the first (half-open) one; an unknown token just joins anew.
func TestReconnectResumesPlayer(t *testing.T) {
	ts := startServer(t, testConfig(t))
	a := dial(t, ts, "Alice")
	w := a.Welcome
	if w.Token == "" || len(w.Token) != 36 || w.RoomID == "" {
		t.Fatalf("welcome lacks a token or room: %+v", w)
	}
	watcher := dialWith(t, ts, "?room="+w.RoomID, netcode.DialOptions{})
	for seq := uint32(1); seq <= 10; seq++ {
		if err := a.SendInput(netcode.Input{Seq: seq, MoveY: 1}); err != nil {
			t.Fatal(err)
		}
	}
	moved := until(t, a, "Alice's inputs applied", func(s *netcode.Snapshot) bool { return s.LastSeq == 10 })
	_ = moved
	a.Close() // the connection drops: no close frame

	// The watcher still sees Alice, held in the world, standing where she stopped.
	var left netcode.PlayerState
	until(t, watcher, "Alice held and still", func(s *netcode.Snapshot) bool {
		p := find(s, w.PlayerID)
		if p == nil {
			t.Fatal("Alice was removed at once; she should be held for reconnection")
		}
		still := p.X == left.X && p.Y == left.Y
		left = *p
		return still
	})

	back := dialWith(t, ts, "?room="+w.RoomID, netcode.DialOptions{Token: w.Token})
	if back.Welcome.PlayerID != w.PlayerID || back.Welcome.Token != w.Token {
		t.Fatalf("came back as player %d, want %d", back.Welcome.PlayerID, w.PlayerID)
	}
	// The first snapshot after resuming is a full one (base tick 0), applied without a baseline.
	_ = back.SetReadDeadline(time.Now().Add(20 * time.Second))
	var first *netcode.ServerMessage
	for first == nil || first.Type != netcode.MsgSnapshot {
		var err error
		if first, err = back.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if first.Delta.BaseTick != 0 || back.Resyncs != 0 {
		t.Errorf("the first snapshot after resuming has base tick %d (%d resyncs), want a full one", first.Delta.BaseTick, back.Resyncs)
	}
	s := &first.Snapshot
	p := find(s, w.PlayerID)
	if p == nil || p.X != left.X || p.Y != left.Y || p.Name != "Alice" {
		t.Fatalf("resumed player %+v, want Alice at (%v, %v)", p, left.X, left.Y)
	}
	if len(s.Players) != 2 {
		t.Errorf("%d players after resuming, want 2 (no duplicate)", len(s.Players))
	}
	if err := back.SendInput(netcode.Input{Seq: 1, MoveX: 1}); err != nil { // numbering starts afresh
		t.Fatal(err)
	}
	until(t, back, "the resumed player's first input applied", func(s *netcode.Snapshot) bool { return s.LastSeq == 1 })

	// Coming back again while the last connection is still up: the old one is closed.
	third := dialWith(t, ts, "?room="+w.RoomID, netcode.DialOptions{Token: w.Token})
	_ = back.SetReadDeadline(time.Now().Add(20 * time.Second))
	var err error
	for err == nil {
		_, err = back.Next()
	}
	if code := netcode.CloseCodeOf(err); code != netcode.CloseReplaced {
		t.Errorf("the replaced connection ended with %v, want 4003", err)
	}
	if third.Welcome.PlayerID != w.PlayerID {
		t.Errorf("third connection got player %d, want %d", third.Welcome.PlayerID, w.PlayerID)
	}

	if n := value(t, scrape(t, ts), "tickwire_reconnects_total"); n != 2 {
		t.Errorf("tickwire_reconnects_total = %v, want 2", n)
	}

	// A token that is not Alice's does not reach her player.
	stranger := dialWith(t, ts, "?room="+w.RoomID, netcode.DialOptions{Token: "00000000-0000-4000-8000-000000000000"})
	if stranger.Welcome.PlayerID == w.PlayerID {
		t.Error("a made-up token took over Alice's player")
	}
}

func TestHeldPlayerIsRemovedAfterGrace(t *testing.T) {
	ts := startServer(t, testConfig(t, "-reconnect-grace", "300ms"))
	a := dial(t, ts, "Alice")
	id, room := a.Welcome.PlayerID, a.Welcome.RoomID
	watcher := dialWith(t, ts, "?room="+room, netcode.DialOptions{})
	until(t, watcher, "both players", func(s *netcode.Snapshot) bool { return len(s.Players) == 2 })
	a.Close()
	until(t, watcher, "Alice removed after the grace period", func(s *netcode.Snapshot) bool { return find(s, id) == nil })
	if n := ts.server.lobby.Rooms()[0].Players(); n != 1 {
		t.Errorf("room counts %d players, want 1: the held slot was not freed", n)
	}
}

// TestQuickPlayResumesByToken: a player whose connection dropped and who comes back through
// quick play (no room named) with its token gets its player back, in its room, even when that
// room is full and another has space.
func TestQuickPlayResumesByToken(t *testing.T) {
	ts := startServer(t, testConfig(t, "-max-players", "2"))
	a := dialWith(t, ts, "", netcode.DialOptions{})
	other := dialWith(t, ts, "?create=1", netcode.DialOptions{})      // a room with space
	dialWith(t, ts, "?room="+a.Welcome.RoomID, netcode.DialOptions{}) // a's room is full
	a.Close()                                                         // no close frame: a is held
	back := dialWith(t, ts, "", netcode.DialOptions{Token: a.Welcome.Token})
	if back.Welcome.PlayerID != a.Welcome.PlayerID || back.Welcome.RoomID != a.Welcome.RoomID {
		t.Errorf("came back through quick play as player %d in room %s, want player %d in room %s (not room %s)",
			back.Welcome.PlayerID, back.Welcome.RoomID, a.Welcome.PlayerID, a.Welcome.RoomID, other.Welcome.RoomID)
	}
}

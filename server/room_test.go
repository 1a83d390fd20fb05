package main

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
)

func TestRewindTrustsViewTicksWithinBounds(t *testing.T) {
	w := defaultWorld(t, 0)
	for range 100 {
		w.Step(nil)
	}
	r := NewRoom(w, RoomConfig{TickRate: 30, SnapshotRate: 30, MaxPlayers: 10}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tests := []struct {
		name     string
		viewTick uint32
		rtt      time.Duration
		want     int
	}{
		{"unknown view: half the round trip plus 100 ms", 0, 100 * time.Millisecond, 5},
		{"an honest claim: the coming tick 101 minus 95", 95, 150 * time.Millisecond, 6},
		{"a claim beyond the round trip plus 300 ms is cut", 60, 100 * time.Millisecond, 12},
		{"a view tick in the future rewinds nothing", 150, 100 * time.Millisecond, 0},
	}
	for _, tc := range tests {
		if got := r.rewind(tc.viewTick, tc.rtt); got != tc.want {
			t.Errorf("%s: rewind %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestTopPlayersPicksWhatASortWould(t *testing.T) {
	var players []game.Player
	for i := range 200 {
		players = append(players, game.Player{ID: game.EntityID(i + 1), Kills: (i * 7) % 13, Deaths: (i * 5) % 11})
	}
	all := topPlayers(players, len(players))
	for _, n := range []int{0, 1, 10, 199} {
		got := topPlayers(players, n)
		if len(got) != n {
			t.Fatalf("top %d: got %d players", n, len(got))
		}
		for i := range got {
			if got[i].ID != all[i].ID {
				t.Fatalf("top %d: place %d is player %d, want %d", n, i, got[i].ID, all[i].ID)
			}
		}
	}
}

// TestStatsAgreeWhileTicking reads the statistics while the room ticks: every reading's
// histograms count the same ticks as its tick counter.
func TestStatsAgreeWhileTicking(t *testing.T) {
	r := NewRoom(defaultWorld(t, 0), RoomConfig{TickRate: 30, SnapshotRate: 30, MaxPlayers: 10}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.metrics = newMetrics(&Lobby{rooms: map[string]*lobbyRoom{}}).forRoom("test")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 3000 {
			r.step(time.Second / 30)
		}
	}()
	count := func(h HistogramSnapshot) (n uint64) {
		for _, c := range h.Counts {
			n += c
		}
		return n
	}
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
		}
		st := r.Stats()
		if n, m := count(st.TickTime), count(st.StepTime); n != st.Ticks || m != st.Ticks {
			t.Fatalf("a reading counts %d ticks, its histograms %d (tick) and %d (step)", st.Ticks, n, m)
		}
	}
}

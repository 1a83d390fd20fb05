package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/netcode"
	"github.com/vmihailenco/msgpack/v5"
)

// TestHostileClientsDoNotDisturbPlayers runs ordinary players while hostile clients send
// every kind of bad input at once. Each hostile client is closed with its stated code and a
// reason, or refused before the upgrade with its HTTP status; the players stay connected,
// their inputs keep being applied, and each gets a snapshot every tick: every tick from its
// first snapshot to its last, save only those the server counted as replaced by a newer one
// (latest wins, when a player's own writer falls a tick behind).
func TestHostileClientsDoNotDisturbPlayers(t *testing.T) {
	ts := startServerWith(t, testConfig(t, "-max-conns-per-ip", "64", "-allowed-origins", "https://games.example"), nil, func(s *Server) {
		s.session.JoinTimeout = 200 * time.Millisecond
	})
	players := []*netcode.Client{dial(t, ts, "player1"), dial(t, ts, "player2")}
	replacedBefore := ts.server.metrics.counters.SnapshotsReplaced.Load()

	raw := func(vals ...any) []byte {
		b, err := msgpack.Marshal(vals)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	enc := netcode.NewEncoder()
	join := enc.Join(netcode.Join{Name: "hostile"})
	flood := [][]byte{join}
	for i := range 200 {
		flood = append(flood, enc.Input(netcode.Input{Seq: uint32(i + 1)}))
	}
	hostiles := []struct {
		name      string
		protocols []string
		origin    string
		text      bool
		frames    [][]byte
		code      netcode.CloseCode // or, refused before the upgrade:
		status    int
	}{
		{name: "oversize frame", frames: [][]byte{join, make([]byte, 64<<10)}, code: netcode.CloseTooBig},
		{name: "text frame", text: true, frames: [][]byte{[]byte("hello")}, code: netcode.CloseUnsupported},
		{name: "not msgpack", frames: [][]byte{{0xc1, 0xc1}}, code: netcode.CloseInvalid},
		{name: "unknown type", frames: [][]byte{join, raw(42)}, code: netcode.CloseInvalid},
		{name: "NaN move", frames: [][]byte{join, raw(3, 1, 0, math.NaN(), 0, 0, 0)}, code: netcode.CloseInvalid},
		{name: "infinite aim", frames: [][]byte{join, raw(3, 1, 0, 0, 0, math.Inf(1), 0)}, code: netcode.CloseInvalid},
		{name: "move out of range", frames: [][]byte{join, raw(3, 1, 0, 5, 5, 0, 0)}, code: netcode.CloseInvalid},
		{name: "seq replayed", frames: [][]byte{join, enc.Input(netcode.Input{Seq: 9}), enc.Input(netcode.Input{Seq: 3})}, code: netcode.CloseInvalid},
		{name: "ack from the future", frames: [][]byte{join, enc.Input(netcode.Input{Seq: 1, Ack: 1 << 30})}, code: netcode.CloseInvalid},
		{name: "input flood", frames: flood, code: netcode.ClosePolicy},
		{name: "never joins", code: netcode.CloseJoinTimeout},
		{name: "no subprotocol", status: http.StatusBadRequest},
		{name: "foreign origin", protocols: []string{netcode.Subprotocol}, origin: "https://evil.example", status: http.StatusForbidden},
	}
	var wg sync.WaitGroup
	for _, h := range hostiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			protocols := h.protocols
			if h.status == 0 {
				protocols = []string{netcode.Subprotocol}
			}
			header := http.Header{}
			if h.origin != "" {
				header.Set("Origin", h.origin)
			}
			conn, resp, err := (&websocket.Dialer{Subprotocols: protocols}).Dial(ts.wsURL(), header)
			if h.status != 0 {
				if conn != nil {
					conn.Close()
				}
				if resp == nil || resp.StatusCode != h.status {
					t.Errorf("%s: %v, want HTTP %d and no upgrade", h.name, err, h.status)
				}
				return
			}
			if err != nil {
				t.Errorf("%s: %v", h.name, err)
				return
			}
			defer conn.Close()
			mt := websocket.BinaryMessage
			if h.text {
				mt = websocket.TextMessage
			}
			for _, f := range h.frames {
				if conn.WriteMessage(mt, f) != nil {
					break // closed already
				}
			}
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			for {
				if _, _, err = conn.ReadMessage(); err != nil {
					break
				}
			}
			ce, ok := err.(*websocket.CloseError)
			if !ok || netcode.CloseCode(ce.Code) != h.code || ce.Text == "" {
				t.Errorf("%s: ended with %v, want close %d with a reason", h.name, err, h.code)
			}
		}()
	}

	// The players keep playing while the hostiles are at it, and for 30 snapshots after.
	hostilesDone := make(chan struct{})
	go func() { wg.Wait(); close(hostilesDone) }()
	type result struct {
		first, last uint32 // ticks of the first and last snapshots
		received    int
		seq         uint32
		err         error
	}
	results := make([]result, len(players))
	var play sync.WaitGroup
	for i, p := range players {
		play.Add(1)
		go func() {
			defer play.Done()
			r := &results[i]
			_ = p.SetReadDeadline(time.Now().Add(20 * time.Second))
			for after := 0; after < 30; {
				r.seq++
				if r.err = p.SendInput(netcode.Input{Seq: r.seq, MoveX: float64(r.seq%2)*2 - 1}); r.err != nil {
					return
				}
				var m *netcode.ServerMessage
				for m == nil || m.Type != netcode.MsgSnapshot {
					if m, r.err = p.Next(); r.err != nil {
						return
					}
				}
				if m.Snapshot.Tick <= r.last {
					r.err = fmt.Errorf("snapshot ticks went %d -> %d", r.last, m.Snapshot.Tick)
					return
				}
				if r.received == 0 {
					r.first = m.Snapshot.Tick
				}
				r.last = m.Snapshot.Tick
				r.received++
				select {
				case <-hostilesDone:
					after++
				default:
				}
			}
		}()
	}
	play.Wait()
	replaced := ts.server.metrics.counters.SnapshotsReplaced.Load() - replacedBefore
	for i, p := range players {
		r := results[i]
		if r.err != nil {
			t.Fatalf("player %d: %v", i+1, r.err)
		}
		ticks := int(r.last-r.first) + 1
		t.Logf("player %d: %d snapshots for ticks %d to %d; %d replaced on the server", i+1, r.received, r.first, r.last, replaced)
		if missed := ticks - r.received; uint64(missed) > replaced || p.Resyncs != 0 {
			t.Errorf("player %d missed %d of %d ticks' snapshots (%d replaced by newer ones, %d resyncs)", i+1, missed, ticks, replaced, p.Resyncs)
		}
		until(t, p, "the player's inputs to be applied", func(s *netcode.Snapshot) bool { return s.LastSeq == r.seq })
	}

	resp, err := http.Get("http://" + ts.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, code := range []string{"1003", "1007", "1008", "1009", "4001"} {
		if !strings.Contains(string(body), `tickwire_connections_closed_total{code="`+code+`"}`) {
			t.Errorf("closes with %s are not counted", code)
		}
	}
}

package main

import (
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

// TestHostileClientsDoNotDisturbPlayers runs an ordinary player while hostile clients send
// every kind of bad input at once. Each hostile client is closed with its stated code and
// reason; the player stays connected, its inputs keep being applied, and its snapshots keep
// coming.
func TestHostileClientsDoNotDisturbPlayers(t *testing.T) {
	ts := startServer(t, testConfig(t, "-max-conns-per-ip", "64"))
	player := dial(t, ts, "player")

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
		name   string
		text   bool
		frames [][]byte
		code   netcode.CloseCode
	}{
		{"oversize frame", false, [][]byte{join, make([]byte, 64<<10)}, netcode.CloseTooBig},
		{"text frame", true, [][]byte{[]byte("hello")}, netcode.CloseUnsupported},
		{"not msgpack", false, [][]byte{{0xc1, 0xc1}}, netcode.CloseInvalid},
		{"unknown type", false, [][]byte{join, raw(42)}, netcode.CloseInvalid},
		{"NaN move", false, [][]byte{join, raw(3, 1, 0, math.NaN(), 0, 0, 0)}, netcode.CloseInvalid},
		{"infinite aim", false, [][]byte{join, raw(3, 1, 0, 0, 0, math.Inf(1), 0)}, netcode.CloseInvalid},
		{"move out of range", false, [][]byte{join, raw(3, 1, 0, 5, 5, 0, 0)}, netcode.CloseInvalid},
		{"seq replayed", false, [][]byte{join, enc.Input(netcode.Input{Seq: 9}), enc.Input(netcode.Input{Seq: 3})}, netcode.CloseInvalid},
		{"input flood", false, flood, netcode.ClosePolicy},
	}
	var wg sync.WaitGroup
	for _, h := range hostiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, _, err := (&websocket.Dialer{Subprotocols: []string{netcode.Subprotocol}}).Dial(ts.wsURL(), nil)
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

	// The player keeps playing while the hostiles are at it, and after.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var seq, lastTick uint32
	snapshots := 0
	finished := false
	for after := 0; after < 30; {
		seq++
		if err := player.SendInput(netcode.Input{Seq: seq, MoveX: float64(seq%2)*2 - 1}); err != nil {
			t.Fatalf("the player's connection failed: %v", err)
		}
		s := until(t, player, "the player's next snapshot", func(*netcode.Snapshot) bool { return true })
		if s.Tick <= lastTick {
			t.Fatalf("snapshot ticks went %d -> %d", lastTick, s.Tick)
		}
		lastTick = s.Tick
		snapshots++
		select {
		case <-done:
			finished = true
		default:
		}
		if finished {
			after++
		}
	}
	until(t, player, "the player's inputs to be applied", func(s *netcode.Snapshot) bool { return s.LastSeq == seq })

	resp, err := http.Get("http://" + ts.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, code := range []string{"1003", "1007", "1008", "1009"} {
		if !strings.Contains(string(body), `tickwire_connections_closed_total{code="`+code+`"}`) {
			t.Errorf("closes with %s are not counted", code)
		}
	}
}

package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/assets"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/netcode"
)

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(b []byte) (int, error) {
	w.t.Logf("%s", strings.TrimSpace(string(b)))
	return len(b), nil
}

func testConfig(t *testing.T, args ...string) Config {
	t.Helper()
	cfg, err := parseConfig(append([]string{"-addr", "127.0.0.1:0", "-seed", "1"}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testServer runs a server on a loopback port until the test ends; stop shuts it down and
// returns Serve's error.
type testServer struct {
	addr   string
	stop   func() error
	server *Server
}

func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	return startServerWith(t, cfg, nil, nil)
}

// startServerWith is startServer with its log also written to logs, if not nil, and with
// tune, if not nil, applied to the server before it serves.
func startServerWith(t *testing.T, cfg Config, logs io.Writer, tune func(*Server)) *testServer {
	t.Helper()
	var w io.Writer = tlogWriter{t}
	if logs != nil {
		w = io.MultiWriter(w, logs)
	}
	return startServerWithLog(t, cfg, slog.New(slog.NewTextHandler(w, nil)), tune)
}

// startServerWithLog is startServerWith with the server logging to log alone.
func startServerWithLog(t *testing.T, cfg Config, log *slog.Logger, tune func(*Server)) *testServer {
	t.Helper()
	srv, err := NewServer(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if tune != nil {
		tune(srv)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, nil) }()
	stopped := false
	var serveErr error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			serveErr = <-served
		}
		return serveErr
	}
	t.Cleanup(func() { _ = stop() })
	return &testServer{addr: ln.Addr().String(), stop: stop, server: srv}
}

// startHTTPTest serves the server's routes from an httptest server, with its rooms running,
// until the test ends. Its stop drains as Serve does: every session is closed with 1001 and
// waited for (dropped after 10 s), then the HTTP server and the rooms stop.
func startHTTPTest(t *testing.T, cfg Config) *testServer {
	t.Helper()
	srv, err := NewServer(cfg, slog.New(slog.NewTextHandler(tlogWriter{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	stopRooms := srv.startRooms()
	hs := httptest.NewServer(srv.Handler())
	var once sync.Once
	stop := func() error {
		once.Do(func() {
			srv.startDraining()
			srv.sessCancel()
			srv.waitSessions(time.After(10 * time.Second))
			hs.Close()
			stopRooms()
		})
		return nil
	}
	t.Cleanup(func() { _ = stop() })
	return &testServer{addr: hs.Listener.Addr().String(), stop: stop, server: srv}
}

// eventually polls cond until it holds or 20 s have passed, and returns its last result. It
// is for what a test can only observe from outside (an HTTP answer, a count): the deadline
// bounds the test, it is not a timing the behaviour must meet.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return cond()
		}
		time.Sleep(10 * time.Millisecond) // polling, bounded by the deadline
	}
	return true
}

func (ts *testServer) wsURL() string { return "ws://" + ts.addr + "/ws" }

func dial(t *testing.T, ts *testServer, name string) *netcode.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, ts.wsURL(), name, netcode.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// until reads snapshots from c until cond holds for one, within a deadline, and returns it.
func until(t *testing.T, c *netcode.Client, what string, cond func(s *netcode.Snapshot) bool) *netcode.Snapshot {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		m, err := c.Next()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if m.Type == netcode.MsgSnapshot && cond(&m.Snapshot) {
			return &m.Snapshot
		}
	}
}

func find(s *netcode.Snapshot, id uint32) *netcode.PlayerState {
	for i := range s.Players {
		if s.Players[i].ID == id {
			return &s.Players[i]
		}
	}
	return nil
}

// TestPlayersSeeEachOther is the whole path end to end: three real clients join over real
// WebSockets, see each other, one moves and fires and the others see it, one leaves and the
// others see it go.
func TestPlayersSeeEachOther(t *testing.T) {
	ts := startHTTPTest(t, testConfig(t))
	a, b, c := dial(t, ts, "Alice"), dial(t, ts, "Bob"), dial(t, ts, "Carol")
	ida, idb, idc := a.Welcome.PlayerID, b.Welcome.PlayerID, c.Welcome.PlayerID
	if ida == idb || idb == idc || ida == idc {
		t.Fatalf("player ids not distinct: %d %d %d", ida, idb, idc)
	}
	if w := a.Welcome; w.TickRate != 30 || w.Map.Cols == 0 || len(w.Map.Tiles) != w.Map.Cols*w.Map.Rows || w.Rules.PlayerRadius != 16 {
		t.Errorf("welcome %+v", w)
	}
	// The arena is the map file in assets/, embedded into the binary.
	if m, _ := game.LoadMap(assets.DefaultMap); m == nil || a.Welcome.Map.Name != m.Name || a.Welcome.Map.Tiles != m.Tiles || a.Welcome.Map.Cols != m.Cols {
		t.Errorf("welcome map %q (%d columns) is not the embedded %s", a.Welcome.Map.Name, a.Welcome.Map.Cols, assets.DefaultMap)
	}
	all := func(s *netcode.Snapshot) bool {
		return find(s, ida) != nil && find(s, idb) != nil && find(s, idc) != nil
	}
	first := until(t, b, "Bob to see all three", all)
	if p := find(first, ida); p.Name != "Alice" || p.Flags&netcode.FlagAlive == 0 || p.Health != 100 {
		t.Errorf("Bob sees Alice as %+v", p)
	}
	start := *find(first, ida) // a copy: the decoder reuses the snapshot's slices

	// Alice walks: right or left, whichever is open, and fires the same way.
	aim := 0.0
	if start.X > 640 {
		aim = 3.14159
	}
	mx := 1.0
	if aim != 0 {
		mx = -1
	}
	// One input a tick, paced by Alice's own snapshots, as a real client sends them.
	var seq uint32
	for range 15 {
		seq++
		if err := a.SendInput(netcode.Input{Seq: seq, MoveX: mx, Aim: aim, Buttons: netcode.ButtonFire}); err != nil {
			t.Fatal(err)
		}
		until(t, a, "Alice's next snapshot", func(*netcode.Snapshot) bool { return true })
	}
	moved := until(t, b, "Bob to see Alice move and fire", func(s *netcode.Snapshot) bool {
		p := find(s, ida)
		hasBullet := false
		for _, bl := range s.Bullets {
			hasBullet = hasBullet || bl.Owner == ida
		}
		return p != nil && abs(p.X-start.X) > 20 && hasBullet
	})
	if p := find(moved, ida); abs(p.Y-start.Y) > 0.01 {
		t.Errorf("Alice moved sideways only, yet y went %v -> %v", start.Y, p.Y)
	}
	until(t, a, "Alice's own inputs to be acknowledged", func(s *netcode.Snapshot) bool { return s.LastSeq == seq })

	// Carol leaves; Bob sees her go.
	if err := c.Leave(); err != nil {
		t.Fatal(err)
	}
	until(t, b, "Bob to see Carol leave", func(s *netcode.Snapshot) bool { return find(s, idc) == nil && find(s, ida) != nil })
}

func abs(f float32) float32 {
	if f < 0 {
		return -f
	}
	return f
}

func TestServerFull(t *testing.T) {
	ts := startServer(t, testConfig(t, "-max-players", "1", "-max-rooms", "1"))
	dial(t, ts, "first")
	conn, _, err := (&websocket.Dialer{Subprotocols: []string{netcode.Subprotocol}}).Dial(ts.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.WriteMessage(websocket.BinaryMessage, netcode.NewEncoder().Join(netcode.Join{Name: "second"}))
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		if _, _, err = conn.ReadMessage(); err != nil {
			break
		}
	}
	if code := netcode.CloseCodeOf(err); code != netcode.CloseTryAgainLater {
		t.Errorf("second player, with the only room full: %v, want close 1013", err)
	}
}

func TestUpgradeChecks(t *testing.T) {
	ts := startServer(t, testConfig(t, "-allowed-origins", "https://games.example"))
	tests := []struct {
		name      string
		protocols []string
		origin    string
		status    int
		body      string
	}{
		{"no subprotocol", nil, "", http.StatusBadRequest, "subprotocol tickwire.v4 is required"},
		{"wrong subprotocol", []string{"tickwire.v0"}, "", http.StatusBadRequest, "subprotocol"},
		{"retired version 1", []string{"tickwire.v1"}, "", http.StatusBadRequest, "subprotocol tickwire.v4 is required"},
		{"retired version 2", []string{"tickwire.v2"}, "", http.StatusBadRequest, "subprotocol tickwire.v4 is required"},
		{"retired version 3", []string{"tickwire.v3"}, "", http.StatusBadRequest, "subprotocol tickwire.v4 is required"},
		{"foreign origin", []string{netcode.Subprotocol}, "https://evil.example", http.StatusForbidden, "origin not allowed"},
		{"same host", []string{netcode.Subprotocol}, "http://" + ts.addr, http.StatusSwitchingProtocols, ""},
		{"allowed origin", []string{netcode.Subprotocol}, "https://games.example", http.StatusSwitchingProtocols, ""},
		{"no origin (not a browser)", []string{netcode.Subprotocol}, "", http.StatusSwitchingProtocols, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			// The dialer offers permessage-deflate, so that the server has to decline it.
			d := websocket.Dialer{Subprotocols: tc.protocols, EnableCompression: true}
			conn, resp, err := d.Dial(ts.wsURL(), h)
			if conn != nil {
				if conn.Subprotocol() != netcode.Subprotocol {
					t.Errorf("negotiated %q", conn.Subprotocol())
				}
				conn.Close()
			}
			if resp == nil {
				t.Fatalf("no HTTP response: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.body) {
				t.Errorf("HTTP %d %q, want %d with %q", resp.StatusCode, body, tc.status, tc.body)
			}
			if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
				t.Errorf("negotiated extensions %q; compression must stay off", ext)
			}
		})
	}
}

func TestServesClient(t *testing.T) {
	ts := startServer(t, testConfig(t))
	for path, want := range map[string]string{
		"/":                         "text/html",
		"/src/main.js":              "javascript",
		"/vendor/msgpack/index.mjs": "javascript",
		"/healthz":                  "text/plain",
		"/readyz":                   "text/plain",
		"/stats":                    "application/json",
	} {
		resp, err := http.Get("http://" + ts.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), want) {
			t.Errorf("GET %s: %d %q, want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
}

func TestConnectionCapPerIP(t *testing.T) {
	ts := startServer(t, testConfig(t, "-max-conns-per-ip", "2"))
	a, b := dial(t, ts, "a"), dial(t, ts, "b")
	_, err := dialPath(t, ts, "")
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("third connection from one address: %v, want HTTP 429", err)
	}
	b.Close()
	_ = a
	// b's slot frees once the server has seen it go.
	if !eventually(func() bool { _, err = dialPath(t, ts, ""); return err == nil }) {
		t.Errorf("after one left, a new connection: %v", err)
	}
}

// TestPlayersSeeOnlyWhatIsNear checks interest management end to end: with a view radius
// smaller than the distance between any two spawn points, each player sees itself alone,
// while both are in the room.
func TestPlayersSeeOnlyWhatIsNear(t *testing.T) {
	ts := startServer(t, testConfig(t, "-view-radius", "10"))
	a, b := dial(t, ts, "a"), dial(t, ts, "b")
	for _, c := range []*netcode.Client{a, b} {
		s := until(t, c, "a snapshot", func(*netcode.Snapshot) bool { return true })
		if len(s.Players) != 1 || s.Players[0].ID != c.Welcome.PlayerID {
			t.Errorf("player %d sees %+v, want itself only", c.Welcome.PlayerID, s.Players)
		}
	}
	if n := ts.server.lobby.Rooms()[0].Players(); n != 2 {
		t.Errorf("room has %d players, want 2", n)
	}
}

// TestScoresReachEveryone: with a view radius that hides players from each other, the
// scoreboard still lists them all.
func TestScoresReachEveryone(t *testing.T) {
	ts := startServer(t, testConfig(t, "-view-radius", "10"))
	a, b := dial(t, ts, "a"), dial(t, ts, "b")
	_ = b
	_ = a.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		m, err := a.Next()
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != netcode.MsgScores {
			continue
		}
		sc := m.Scores
		ids := map[uint32]bool{}
		for _, e := range sc.Top {
			ids[e.ID] = true
		}
		if sc.Players == 2 && ids[a.Welcome.PlayerID] && ids[b.Welcome.PlayerID] {
			return
		}
	}
}

// TestSpectatorWatchesAnArea: a spectator has no player, sees what is inside the area it
// chooses, and stops seeing what leaves it.
func TestSpectatorWatchesAnArea(t *testing.T) {
	ts := startServer(t, testConfig(t, "-arena-size", "4000"))
	a := dial(t, ts, "a")
	if m := a.Welcome.Map; m.Width != 4000 || m.Height != 4000 {
		t.Fatalf("welcome arena %vx%v, want the -arena-size 4000x4000", m.Width, m.Height)
	}
	s := dialWith(t, ts, "?room="+a.Welcome.RoomID+"&spectate=1", netcode.DialOptions{})
	if s.Welcome.PlayerID != 0 {
		t.Fatalf("spectator got player %d, want 0 (none)", s.Welcome.PlayerID)
	}
	at := *find(until(t, a, "a's own position", func(sn *netcode.Snapshot) bool { return find(sn, a.Welcome.PlayerID) != nil }), a.Welcome.PlayerID)
	look := func(x, y float64, what string, want bool) {
		t.Helper()
		if err := s.Watch(netcode.Watch{X: x, Y: y, Radius: 300}); err != nil {
			t.Fatal(err)
		}
		until(t, s, what, func(sn *netcode.Snapshot) bool {
			_ = s.SendInput(netcode.Input{}) // carries the spectator's ack
			return (find(sn, a.Welcome.PlayerID) != nil) == want
		})
	}
	look(float64(at.X)+50, float64(at.Y), "the spectator to see a", true)
	look(float64(at.X)+2000, float64(at.Y)+2000, "a to leave the spectator's view", false)
	if n := len(until(t, a, "a's snapshot", func(*netcode.Snapshot) bool { return true }).Players); n != 1 {
		t.Errorf("a sees %d players: the spectator must not be one", n)
	}
}

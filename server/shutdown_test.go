package main

import (
	"fmt"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/netcode"
)

// expectGoingAway reads c until its connection ends (reading answers the server's close) and
// checks that the server closed it with 1001, shutting down.
func expectGoingAway(t *testing.T, who string, c *netcode.Client) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var err error
	for err == nil {
		_, err = c.Next()
	}
	if code := netcode.CloseCodeOf(err); code != netcode.CloseGoingAway {
		t.Errorf("%s: %v, want close 1001", who, err)
	}
}

// String returns what the server has logged so far (logBuffer: logging_test.go).
func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// silentClient joins as name, reads its welcome, and from then on reads nothing: it never
// answers a close. The test closes it when it ends.
func silentClient(t *testing.T, ts *testServer, name string) *websocket.Conn {
	t.Helper()
	conn, _, err := (&websocket.Dialer{Subprotocols: []string{netcode.Subprotocol}}).Dial(ts.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.WriteMessage(websocket.BinaryMessage, netcode.NewEncoder().Join(netcode.Join{Name: name})); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, b, err := conn.ReadMessage()
	var m netcode.ServerMessage
	if err != nil || netcode.NewServerDecoder().Decode(b, &m) != nil || m.Type != netcode.MsgWelcome {
		t.Fatalf("%s: no welcome (%v)", name, err)
	}
	return conn
}

// closeOf reads conn until it ends and returns how: the close frame's code, or 0 if it
// ended without one.
func closeOf(t *testing.T, conn *websocket.Conn) netcode.CloseCode {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return netcode.CloseCodeOf(err)
		}
	}
}

// waitGoroutines polls, within a deadline, until no more goroutines run than base.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	if !eventually(func() bool { return runtime.NumGoroutine() <= base }) {
		n := runtime.NumGoroutine()
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after shutdown, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// TestShutdownClosesEveryClient shuts the server down with clients connected: each gets 1001,
// every close handshake completes before the drain deadline, Serve returns nil (the process
// exits 0), the final scores are logged, and no goroutine is left behind.
func TestShutdownClosesEveryClient(t *testing.T) {
	base := runtime.NumGoroutine()
	logs := new(logBuffer)
	ts := startServerWith(t, testConfig(t), logs, nil)
	clients := []*netcode.Client{dial(t, ts, "a"), dial(t, ts, "b"), dial(t, ts, "c")}
	for _, c := range clients {
		until(t, c, "a first snapshot", func(*netcode.Snapshot) bool { return true })
	}
	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop() }()
	for i, c := range clients {
		expectGoingAway(t, fmt.Sprintf("client %d", i), c)
		c.Close()
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Serve returned %v, want nil", err)
	}
	log := logs.String()
	if strings.Contains(log, "drain timeout") {
		t.Error("the drain ran into its deadline, though every client answered the close")
	}
	for _, name := range []string{"a", "b", "c"} {
		if !regexp.MustCompile(`msg="final score" .*name=` + name + ` `).MatchString(log) {
			t.Errorf("no final score for %s", name)
		}
	}
	waitGoroutines(t, base)
}

// TestShutdownDropsClientsAtTheDrainDeadline: a client that never answers the close keeps
// its session waiting (here for an hour) until the drain deadline; then Serve drops its
// connection and returns only once every session has ended. The final scores list every
// player, the one that answered the close at once too.
func TestShutdownDropsClientsAtTheDrainDeadline(t *testing.T) {
	base := runtime.NumGoroutine()
	logs := new(logBuffer)
	ts := startServerWith(t, testConfig(t, "-drain-timeout", "100ms"), logs, func(s *Server) {
		s.session.ShutdownGrace = time.Hour
	})
	quick := dial(t, ts, "quick")
	silent := silentClient(t, ts, "silent")
	until(t, quick, "both players", func(s *netcode.Snapshot) bool { return s.Tick > 0 })

	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop() }()
	expectGoingAway(t, "the quick client", quick)
	if err := <-stopped; err != nil {
		t.Fatalf("Serve returned %v, want nil", err)
	}
	if n := ts.server.liveSessions.Load(); n != 0 {
		t.Errorf("Serve returned with %d sessions still running", n)
	}
	if code := closeOf(t, silent); code != netcode.CloseGoingAway {
		t.Errorf("the silent client was told %d, want 1001 before its connection was dropped", code)
	}
	log := logs.String()
	if !strings.Contains(log, "drain timeout") {
		t.Error("no drain timeout logged")
	}
	for _, name := range []string{"quick", "silent"} {
		if !regexp.MustCompile(`msg="final score" .*name=` + name + ` `).MatchString(log) {
			t.Errorf("no final score for %s", name)
		}
	}
	waitGoroutines(t, base)
}

// TestReadinessWhileDraining checks what a load balancer sees while the server drains: not
// ready and no new players, while health stays up; once the last client has gone, Serve
// returns.
func TestReadinessWhileDraining(t *testing.T) {
	ts := startServerWith(t, testConfig(t, "-drain-timeout", "1h"), nil, func(s *Server) {
		s.session.ShutdownGrace = time.Hour
	})
	get := func(path string) int {
		resp, err := http.Get("http://" + ts.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/readyz") != 200 {
		t.Fatal("not ready before draining")
	}
	silent := silentClient(t, ts, "silent") // holds the drain open until it goes
	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop() }()

	if !eventually(func() bool { return get("/readyz") == http.StatusServiceUnavailable }) {
		t.Fatal("/readyz never went to 503 during the drain")
	}
	if code := get("/healthz"); code != 200 {
		t.Errorf("/healthz while draining: %d, want 200", code)
	}
	_, err := dialPath(t, ts, "")
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("joining while draining: %v, want HTTP 503", err)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) while a client had not answered", err)
	default:
	}
	silent.Close()
	if err := <-stopped; err != nil {
		t.Fatalf("Serve returned %v, want nil", err)
	}
}

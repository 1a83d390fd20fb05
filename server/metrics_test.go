package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/tickwire/tickwire/netcode"
)

func scrape(t *testing.T, ts *testServer) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + ts.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// value returns the value of the series of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range f.Metric {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no series of %s with labels %v", name, want)
	return 0
}

// hasLabels reports whether series m has every label of want, a list of name, value pairs.
func hasLabels(m *dto.Metric, want []string) bool {
	labels := map[string]string{}
	for _, l := range m.Label {
		labels[l.GetName()] = l.GetValue()
	}
	for i := 0; i+1 < len(want); i += 2 {
		if labels[want[i]] != want[i+1] {
			return false
		}
	}
	return true
}

// histogramOf returns the sample count and sum of the histogram series of family name whose
// labels include want.
func histogramOf(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) (count uint64, sum float64) {
	t.Helper()
	for _, m := range fams[name].GetMetric() {
		if hasLabels(m, want) && m.Histogram != nil {
			return m.Histogram.GetSampleCount(), m.Histogram.GetSampleSum()
		}
	}
	t.Fatalf("no histogram %s with labels %v", name, want)
	return 0, 0
}

// TestMetricsAfterAShortRun plays a short run with real clients (moving and firing, leaving,
// dropping and coming back with a token) and checks that every metric is present with sane
// values, and that nothing is labelled per player.
func TestMetricsAfterAShortRun(t *testing.T) {
	ts := startServer(t, testConfig(t))
	a, b := dial(t, ts, "a"), dial(t, ts, "b")
	const inputs = 30
	for i := range inputs {
		if err := a.SendInput(netcode.Input{Seq: uint32(i + 1), MoveX: 1, Buttons: netcode.ButtonFire}); err != nil {
			t.Fatal(err)
		}
		until(t, a, "a snapshot", func(s *netcode.Snapshot) bool { return s.Tick > uint32(i) })
	}
	if err := b.Leave(); err != nil {
		t.Fatal(err)
	}
	rooms := ts.server.lobby.Rooms()
	if len(rooms) != 1 {
		t.Fatalf("%d rooms", len(rooms))
	}
	id := rooms[0].id

	// scrapeUntil scrapes until cond holds, reading a's snapshots meanwhile so that its
	// connection answers the server's pings, within a deadline.
	scrapeUntil := func(what string, cond func(map[string]*dto.MetricFamily) bool) map[string]*dto.MetricFamily {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			fams := scrape(t, ts)
			if cond(fams) {
				return fams
			}
			if time.Now().After(deadline) {
				t.Fatalf("the metrics never showed %s", what)
			}
			until(t, a, "a snapshot", func(*netcode.Snapshot) bool { return true })
		}
	}
	closed := func(fams map[string]*dto.MetricFamily, code string) float64 {
		for _, m := range fams["tickwire_connections_closed_total"].GetMetric() {
			if m.Label[0].GetValue() == code {
				return m.Counter.GetValue()
			}
		}
		return 0
	}

	// c's connection drops without a close frame; it comes back with its token and leaves.
	c := dial(t, ts, "c")
	c.Close()
	scrapeUntil("c's connection drop", func(f map[string]*dto.MetricFamily) bool { return closed(f, "1006") == 1 })
	back := dialWith(t, ts, "?room="+id, netcode.DialOptions{Token: c.Welcome.Token})
	if back.Welcome.PlayerID != c.Welcome.PlayerID {
		t.Fatalf("c came back as player %d, want %d", back.Welcome.PlayerID, c.Welcome.PlayerID)
	}
	if err := back.Leave(); err != nil {
		t.Fatal(err)
	}
	fams := scrapeUntil("b and c leaving, and an RTT sample", func(f map[string]*dto.MetricFamily) bool {
		n, _ := histogramOf(t, f, "tickwire_rtt_seconds")
		return value(t, f, "tickwire_players") == 1 && closed(f, "1000") == 2 && n > 0
	})

	ticks, tickSum := histogramOf(t, fams, "tickwire_tick_duration_seconds", "room", id)
	if ticks < inputs || tickSum <= 0 {
		t.Errorf("tick duration histogram: %d ticks taking %vs in all, want at least %d ticks and some time", ticks, tickSum, inputs)
	}
	rtts, rttSum := histogramOf(t, fams, "tickwire_rtt_seconds")
	if mean := rttSum / float64(rtts); mean <= 0 || mean >= 6 { // 6s: the pong wait, past which a client is dropped
		t.Errorf("mean RTT %vs over %d samples, want above 0 and under the 6s pong wait", mean, rtts)
	}
	checks := []struct {
		name   string
		labels []string
		min    float64
		max    float64
	}{
		{"tickwire_rooms", nil, 1, 1},
		{"tickwire_players", nil, 1, 1},
		{"tickwire_spectators", nil, 0, 0},
		{"tickwire_connections_opened_total", nil, 4, 4},
		{"tickwire_connections_closed_total", []string{"code", "1000"}, 2, 2},
		{"tickwire_connections_closed_total", []string{"code", "1006"}, 1, 1},
		{"tickwire_reconnects_total", nil, 1, 1},
		{"tickwire_resyncs_total", nil, 0, 0},
		{"tickwire_bytes_received_total", nil, inputs * 10, 1e6},
		{"tickwire_bytes_sent_total", nil, inputs * 50, 1e9},
		{"tickwire_tick_overruns_total", []string{"room", id}, 0, float64(ticks)},
		{"tickwire_snapshots_replaced_total", nil, 0, 4 * float64(ticks)},
		{"tickwire_inputs_dropped_total", []string{"reason", "room_queue_full"}, 0, inputs},
		{"tickwire_inputs_dropped_total", []string{"reason", "jitter_buffer_full"}, 0, inputs},
		{"tickwire_inputs_rate_limited_total", nil, 0, 0},
		{"go_goroutines", nil, 1, 1e6},
	}
	for _, c := range checks {
		if v := value(t, fams, c.name, c.labels...); v < c.min || v > c.max {
			t.Errorf("%s%v = %v, want %v to %v", c.name, c.labels, v, c.min, c.max)
		}
	}
	// Labels are bounded: rooms, close codes and drop reasons, never players or sessions.
	allowed := map[string]bool{"room": true, "code": true, "reason": true}
	for name, f := range fams {
		if !strings.HasPrefix(name, "tickwire_") {
			continue
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if !allowed[l.GetName()] || l.GetName() == "room" && l.GetValue() != id {
					t.Errorf("%s has label %s=%q", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestAdminServesPprofAndMetrics(t *testing.T) {
	ts := startServer(t, testConfig(t))
	h := ts.server.adminHandler()
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/metrics"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Errorf("GET %s on the admin address: %d, %d bytes", path, rec.Code, rec.Body.Len())
		}
	}
	// pprof is not on the players' address.
	resp, err := http.Get("http://" + ts.addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/debug/pprof/ on the players' address: HTTP %d, want 404", resp.StatusCode)
	}
}

// TestRunServesPprofOnTheAdminAddress starts the server as the binary does, with
// -admin-addr: pprof answers there, and only there.
func TestRunServesPprofOnTheAdminAddress(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logR, logW := io.Pipe()
	env := map[string]string{"GOGC": "100"} // leave the test process's collector alone
	ran := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, logW)
		logW.Close()
		ran <- err
	}()
	addrRE := regexp.MustCompile(`msg="?(listening|admin listening)"? addr=(127\.0\.0\.1:\d+)`)
	addrs := map[string]string{}
	lines := bufio.NewScanner(logR)
	for len(addrs) < 2 && lines.Scan() {
		t.Log(lines.Text())
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			addrs[m[1]] = m[2]
		}
	}
	if len(addrs) < 2 {
		t.Fatalf("the server logged the addresses %v, want both", addrs)
	}
	logDone := make(chan struct{})
	go func() { // keep draining the log
		defer close(logDone)
		for lines.Scan() {
			t.Log(lines.Text())
		}
	}()
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("http://" + addrs["admin listening"] + "/debug/pprof/"); code != 200 {
		t.Errorf("pprof on the admin address: HTTP %d, want 200", code)
	}
	if code := get("http://" + addrs["listening"] + "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("pprof on the players' address: HTTP %d, want 404", code)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("run returned %v, want nil", err)
	}
	<-logDone
}

// TestResyncsCounted: a client that acknowledges 0 after it had been sent deltas, as one does
// that could not apply a snapshot, is sent a full snapshot, and the room counts a resync, in
// /stats and in tickwire_resyncs_total. The full snapshots before its first acknowledgement
// do not count; nor do those of a client that stopped acknowledging (TestMetricsAfterAShortRun:
// a's inputs stop halfway).
func TestResyncsCounted(t *testing.T) {
	ts := startHTTPTest(t, testConfig(t))
	a := dial(t, ts, "Alice")
	seq := uint32(0)
	next := func(what string) *netcode.ServerMessage {
		t.Helper()
		_ = a.SetReadDeadline(time.Now().Add(20 * time.Second))
		for {
			m, err := a.Next()
			if err != nil {
				t.Fatalf("waiting for %s: %v", what, err)
			}
			if m.Type == netcode.MsgSnapshot {
				return m
			}
		}
	}
	// Each snapshot applied is acknowledged, until one comes as a delta.
	for m := next("a snapshot"); m.Delta.BaseTick == 0; m = next("a delta") {
		seq++
		if err := a.SendInput(netcode.Input{Seq: seq}); err != nil {
			t.Fatal(err)
		}
	}
	room := ts.server.lobby.Rooms()[0]
	if n := room.Stats().Resyncs; n != 0 {
		t.Fatalf("%d resyncs before any mismatch, want 0", n)
	}
	// Acknowledge 0, and nothing more: the next snapshot is full.
	seq++
	if err := a.SendRaw(websocket.BinaryMessage, netcode.NewEncoder().Input(netcode.Input{Seq: seq})); err != nil {
		t.Fatal(err)
	}
	for m := next("a full snapshot"); m.Delta.BaseTick != 0; m = next("a full snapshot") {
	}
	if n := room.Stats().Resyncs; n != 1 {
		t.Errorf("%d resyncs in /stats after one full snapshot, want 1", n)
	}
	if n := value(t, scrape(t, ts), "tickwire_resyncs_total"); n != 1 {
		t.Errorf("tickwire_resyncs_total = %v, want 1", n)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/netcode"
)

// testWriter sends the bench's progress and build messages to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestShortRun runs the whole tool, arena and floor, with a few players for a few seconds,
// and checks that the report holds sane values. It builds the real server, so that the bench
// cannot drift away from it unnoticed.
func TestShortRun(t *testing.T) {
	out := t.TempDir()
	args := []string{
		"-players", "20", "-ramp", "1s", "-window", "3s", "-floor-ramp", "1s", "-floor-window", "2s",
		"-out", out,
	}
	var stdout bytes.Buffer
	if err := run(t.Context(), args, &stdout, testWriter{t}); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + stdout.String())

	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report.json does not parse: %v", err)
	}
	if len(rep.Runs) != 1 {
		t.Fatalf("report has %d runs, want 1", len(rep.Runs))
	}
	pr := rep.Runs[0]
	for _, r := range []*RunResult{pr.Arena, pr.Floor} {
		if r == nil {
			t.Fatal("report lacks the arena or the floor run")
		}
		t.Run(r.Kind, func(t *testing.T) {
			if r.ConnectedAtStart != 20 || r.ConnectedAtEnd != 20 {
				t.Errorf("players connected %d at the start and %d at the end of the window, want 20", r.ConnectedAtStart, r.ConnectedAtEnd)
			}
			if r.Failures.DialAny != 0 || r.Failures.UnexpectedAny != 0 {
				t.Errorf("failures: dial %v, unexpected closes %v", r.Failures.Dial, r.Failures.Unexpected)
			}
			if r.Failures.Teardown["1000"] != 20 {
				t.Errorf("teardown closes %v, want 1000 x20", r.Failures.Teardown)
			}
			c := r.Clients
			if c.Clients != 20 || c.BytesPerSecMean <= 0 || c.BytesPerSecP99 < c.BytesPerSecMean*0.999 || c.SnapshotBytesMean <= 0 {
				t.Errorf("clients: %+v", c)
			}
			if c.SnapshotsReceived == 0 || c.Ack == nil || c.Ack.Count == 0 || c.Ack.P50 <= 0 || c.Ack.P99 < c.Ack.P50 {
				t.Errorf("snapshots received %d, input to ack %+v", c.SnapshotsReceived, c.Ack)
			}
			if c.RTT == nil || c.RTT.Count == 0 || c.AckOverRTT == nil || c.AckOverRTT.Count == 0 {
				t.Errorf("round trip %+v, input to ack over it %+v: no pong measured", c.RTT, c.AckOverRTT)
			}
			if c.Jitter == nil || c.Jitter.Count == 0 {
				t.Errorf("jitter %+v: no inter-arrival measured", c.Jitter)
			}
			if s := r.Server; s.CPUCores <= 0 || s.CPUPerClientTickUS <= 0 || s.RSSEmptyMB <= 0 || s.RSSEndMB <= 0 || s.Goroutines <= 0 {
				t.Errorf("server: %+v", s)
			}
			if len(r.Timeline) == 0 {
				t.Error("no timeline")
			}
		})
	}
	a := pr.Arena
	if a.Tick == nil || a.Tick.Ticks == 0 || a.Tick.Total.Count != a.Tick.Ticks || a.Tick.Total.P50 <= 0 ||
		a.Tick.Total.P99 < a.Tick.Total.P50 || a.Tick.Total.Max < a.Tick.Total.P99 || len(a.Tick.Histogram) == 0 {
		t.Errorf("tick: %+v", a.Tick)
	}
	if a.RoomPlayers != 20 || a.Rooms != 1 {
		t.Errorf("server counted %d players in %d rooms, want 20 in 1", a.RoomPlayers, a.Rooms)
	}
	if pr.Floor.FrameBytes != int(a.Clients.SnapshotBytesMean+0.5) {
		t.Errorf("floor frame %d bytes, want the arena's mean snapshot size %.1f", pr.Floor.FrameBytes, a.Clients.SnapshotBytesMean)
	}
	if diff := pr.Floor.Clients.SnapshotBytesMean - float64(pr.Floor.FrameBytes); diff < -64 || diff > 0 {
		t.Errorf("floor frames of %.1f bytes reached the bots, want about %d", pr.Floor.Clients.SnapshotBytesMean, pr.Floor.FrameBytes)
	}
	if pr.CPURatio <= 0 || len(pr.Targets) == 0 {
		t.Errorf("cpu ratio %v, targets %v", pr.CPURatio, pr.Targets)
	}
	for _, name := range []string{"tick-duration.png", "tick-histogram.png", "bytes-per-client.png", "server-cpu.png"} {
		fi, err := os.Stat(filepath.Join(out, name))
		if err != nil || fi.Size() == 0 {
			t.Errorf("plot %s: missing or empty (%v)", name, err)
		}
	}
	for _, want := range []string{"tick ms p50 / p90 / p99 / max", "input to ack over RTT", "server CPU, tickwire / floor", "targets"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table lacks %q", want)
		}
	}
}

func TestDiffHist(t *testing.T) {
	upper := make([]uint64, histBuckets)
	for i := range upper {
		upper[i] = bucketUpper(i)
	}
	count := func(ds ...time.Duration) histSnap {
		h := histSnap{Counts: make([]uint64, histBuckets)}
		for _, d := range ds {
			h.Counts[bucketOf(uint64(d))]++
			h.SumNS += uint64(d)
			h.MaxNS = max(h.MaxNS, uint64(d))
		}
		return h
	}
	before := count(50 * time.Millisecond) // a slow tick before the window
	var window []time.Duration
	for i := range 100 {
		window = append(window, time.Duration(i+1)*10*time.Microsecond) // 10 us to 1 ms
	}
	after := count(append([]time.Duration{50 * time.Millisecond}, window...)...)
	w := diffHist(&before, after, upper)
	if w.total != 100 {
		t.Fatalf("total %d, want 100", w.total)
	}
	tests := []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"p50", w.quantile(0.5), 500 * time.Microsecond},
		{"p99", w.quantile(0.99), 990 * time.Microsecond},
		{"max", time.Duration(w.maxNS), time.Millisecond},
		{"mean", w.mean(), 505 * time.Microsecond},
	}
	for _, tt := range tests {
		// Buckets are within 12.5% of their values; the window's max is its bucket's edge.
		if tt.got < tt.want || float64(tt.got) > float64(tt.want)*1.125 {
			t.Errorf("%s = %v, want %v to 12.5%% above", tt.name, tt.got, tt.want)
		}
	}
	if got := diffHist(nil, after, upper).maxNS; got != uint64(50*time.Millisecond) {
		t.Errorf("without a first reading the max is %v, want the cumulative 50ms", time.Duration(got))
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
	}{
		{"defaults", nil, false},
		{"sweep", []string{"-players", "250,500, 1000"}, false},
		{"bad players", []string{"-players", "10,x"}, true},
		{"floor without a frame size", []string{"-mode", "floor"}, true},
		{"floor with a frame size", []string{"-mode", "floor", "-floor-frame-bytes", "4000"}, false},
		{"snapshot rate not dividing", []string{"-tick-rate", "30", "-snapshot-rate", "20"}, true},
		{"bad cpu list", []string{"-bot-cpus", "1-0"}, true},
		{"unknown mode", []string{"-mode", "fast"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, testWriter{t})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.name == "defaults" && (len(c.Players) != 1 || c.Players[0] != 1000 || c.Window != 30*time.Second || c.SnapshotRate != 30) {
				t.Errorf("defaults: %+v", c)
			}
		})
	}
}

func TestReadProc(t *testing.T) {
	s, err := readProc("self")
	if err != nil {
		t.Fatal(err)
	}
	if s.rss == 0 {
		t.Errorf("VmRSS of the test process is 0")
	}
	if _, err := readMachineBusy(); err != nil {
		t.Fatal(err)
	}
}

// TestArenaFollowsPlayerCount: each run's arena gives every player about 200x200 units, and
// the server is started with that size.
func TestArenaFollowsPlayerCount(t *testing.T) {
	c, err := parseConfig(nil, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 100, 1000, 4000} {
		side := c.arenaSize(n)
		if perPlayer := side * side / float64(n); math.Abs(perPlayer-200*200) > 200*200*0.01 {
			t.Errorf("%d players: side %v, %v square units each, want 200x200", n, side, perPlayer)
		}
		args := strings.Join(c.arenaSpec(n, "tickwire", true).args, " ")
		if want := fmt.Sprintf("-arena-size %v", side); !strings.Contains(args, want) {
			t.Errorf("%d players: server arguments %q lack %q", n, args, want)
		}
	}
}

// TestPongRTT: a pong answering a bot's ping (its send time in Unix microseconds) gives the
// round trip; other frames give none.
func TestPongRTT(t *testing.T) {
	sent := time.Unix(1_700_000_000, 123_456_000)
	enc := netcode.NewEncoder()
	dec := netcode.NewServerDecoder()
	var m netcode.ServerMessage
	pong := enc.Pong(netcode.Pong{ClientTime: float64(sent.UnixMicro()), ServerTick: 9})
	if rtt, ok := pongRTT(dec, &m, pong, sent.Add(150*time.Millisecond)); !ok || rtt != 150*time.Millisecond {
		t.Errorf("pongRTT = %v, %v; want 150ms, true", rtt, ok)
	}
	if _, ok := pongRTT(dec, &m, pong, sent.Add(-time.Millisecond)); ok {
		t.Error("a pong from the future gave a round trip")
	}
	if _, ok := pongRTT(dec, &m, enc.ServerLeave(netcode.Leave{Code: 1000, Reason: "bye"}), sent); ok {
		t.Error("a leave message gave a round trip")
	}
}

// TestAckOverRTTTarget: input to ack may exceed the round trip by a tick plus 1 ms at p99.
func TestAckOverRTTTarget(t *testing.T) {
	for _, tc := range []struct {
		p99  float64
		want bool
	}{{20, true}, {34.3, true}, {34.4, false}, {60, false}} {
		a := &RunResult{Tick: &tickResult{BudgetMS: 1000.0 / 30, Total: &durSummary{}}, Clients: clientResult{AckOverRTT: &durSummary{Count: 100, P99: tc.p99}}}
		var got *target
		for _, tg := range checkTargets(&playerRun{Players: 100, Arena: a}) {
			if tg.Name == "input to ack over RTT p99" {
				got = &tg
			}
		}
		if got == nil || got.OK != tc.want {
			t.Errorf("p99 %v ms over the round trip at 30 Hz: target %+v, want ok %v", tc.p99, got, tc.want)
		}
	}
}

// TestHistogramBuckets: every duration falls in a bucket whose edges hold it, and a quantile
// is within 1/64 of the value it stands for.
func TestHistogramBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		ns := rng.Uint64N(1 << uint(rng.IntN(40)+1))
		b := bucketOf(ns)
		if up := bucketUpper(b); up < ns || float64(up-ns) > float64(ns)/histSub+1 {
			t.Fatalf("%d ns: bucket %d ends at %d", ns, b, up)
		}
		if b > 0 && bucketUpper(b-1) >= ns {
			t.Fatalf("%d ns: bucket %d, but the bucket before ends at %d", ns, b, bucketUpper(b-1))
		}
	}
	var h histogram
	for i := range 1000 {
		h.observe(time.Duration(i+1) * 100 * time.Microsecond) // 0.1 to 100 ms
	}
	if p99 := h.quantile(0.99); p99 < 99*time.Millisecond || p99 > 99*time.Millisecond*65/64 {
		t.Errorf("p99 of 0.1..100 ms: %v, want 99 ms within 1/64", p99)
	}
}

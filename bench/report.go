package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what report.json holds: the configuration, the machine, and one entry per player
// count with the arena run, the floor run and their CPU ratio.
type Report struct {
	Tool      string       `json:"tool"`
	Started   time.Time    `json:"started"`
	DurationS float64      `json:"duration_s"`
	Config    reportConfig `json:"config"`
	Machine   machine      `json:"machine"`
	Runs      []playerRun  `json:"runs"`
	// LargestHeld is, in a sweep, the most players with which the server held its tick rate
	// (no skipped ticks, tick p99 <= 10 ms, no disconnects): with -server-cpus 0, the issue's
	// one-core target. 0 if none did.
	LargestHeld int `json:"largest_n_held,omitempty"`
}

// held reports whether a run held its tick rate: no ticks skipped, tick p99 within 10 ms, and
// no connection failed or was lost.
func held(a *RunResult) bool {
	return a != nil && a.Tick != nil && a.Tick.Skipped == 0 && a.Tick.Total.P99 <= 10 &&
		a.Failures.UnexpectedAny+a.Failures.DialAny == 0
}

func largestHeld(runs []playerRun) int {
	best := 0
	for _, pr := range runs {
		if held(pr.Arena) {
			best = max(best, pr.Players)
		}
	}
	return best
}

type reportConfig struct {
	Players           []int    `json:"players"`
	Mode              string   `json:"mode"`
	RampS             float64  `json:"ramp_s"`
	WindowS           float64  `json:"window_s"`
	FloorRampS        float64  `json:"floor_ramp_s"`
	FloorWindowS      float64  `json:"floor_window_s"`
	TickRate          int      `json:"tick_rate"`
	SnapshotRate      int      `json:"snapshot_rate"`
	ViewRadius        float64  `json:"view_radius"`
	ViewRadiusApplied bool     `json:"view_radius_applied"` // false: the server has no -view-radius (full snapshots)
	ArenaPerPlayer    float64  `json:"arena_per_player"`
	Seed              uint64   `json:"seed"`
	ServerCPUs        string   `json:"server_cpus"`
	BotCPUs           string   `json:"bot_cpus"`
	ServerArgs        []string `json:"server_args,omitempty"`
}

type machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	GOARCH    string `json:"goarch"`
	LoadAvg   string `json:"loadavg_at_start"` // /proc/loadavg when the bench began
}

func thisMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), GOARCH: runtime.GOARCH}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// playerRun is everything measured for one player count.
type playerRun struct {
	Players   int        `json:"players"`
	ArenaSize float64    `json:"arena_size"`
	Arena     *RunResult `json:"arena,omitempty"`
	Floor     *RunResult `json:"floor,omitempty"`
	// CPURatio is the arena's server CPU per client-tick over the floor's; 0 without both.
	CPURatio float64 `json:"cpu_ratio_vs_floor,omitempty"`
	// CPUFrameRatio is the same ratio per snapshot delivered instead of per client-tick.
	CPUFrameRatio float64  `json:"cpu_per_frame_ratio_vs_floor,omitempty"`
	Targets       []target `json:"targets,omitempty"`
}

// RunResult is one run against one server process.
type RunResult struct {
	Kind             string    `json:"kind"` // arena or floor
	StartedAt        time.Time `json:"started_at"`
	PlayersWanted    int       `json:"players_wanted"`
	ConnectedAtStart int       `json:"players_connected_window_start"`
	ConnectedAtEnd   int       `json:"players_connected_window_end"`
	RoomPlayers      int       `json:"room_players,omitempty"` // as the server counts them
	Rooms            int       `json:"rooms"`
	RampS            float64   `json:"ramp_s"`
	WindowStartS     float64   `json:"window_start_s"` // from the first dial: the ramp, and the last dials' handshakes
	WindowS          float64   `json:"window_s"`
	windowStart      time.Time
	FrameBytes       int          `json:"floor_frame_bytes,omitempty"` // the floor's frame size
	Tick             *tickResult  `json:"tick,omitempty"`              // nil for the floor: it has no tick to time
	Server           serverResult `json:"server"`
	Clients          clientResult `json:"clients"`
	Bench            benchResult  `json:"bench"`
	// OtherCPUCores is the CPU that other processes on the machine used during the window:
	// when it is high, the server and the bots were competing with them.
	OtherCPUCores float64         `json:"other_cpu_cores"`
	Failures      failures        `json:"failures"`
	ServerExit    string          `json:"server_exit,omitempty"` // a failed shutdown
	Timeline      []timelinePoint `json:"timeline"`
}

type tickResult struct {
	Ticks         uint64        `json:"ticks"`
	Overruns      uint64        `json:"overruns"` // ticks longer than the budget
	Skipped       uint64        `json:"skipped"`  // ticks dropped after falling behind
	InputsDropped uint64        `json:"inputs_dropped"`
	Resyncs       uint64        `json:"resyncs"` // full snapshots clients asked for after deltas: a mismatch
	BudgetMS      float64       `json:"budget_ms"`
	Total         *durSummary   `json:"tick_ms"`     // simulate, encode and hand off
	Step          *durSummary   `json:"step_ms"`     // game.World.Step
	Snapshot      *durSummary   `json:"snapshot_ms"` // encoding and hand-off
	Encode        *durSummary   `json:"encode_ms"`   // interest, deltas and encoding, all clients
	Handoff       *durSummary   `json:"handoff_ms"`  // handing the frames to the sessions
	Histogram     []bucketCount `json:"histogram"`   // the window's tick durations, non-empty buckets
}

// durSummary is a distribution of durations, in milliseconds.
type durSummary struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// bucketCount is one bucket of a histogram: the durations above LowerMS up to UpperMS.
type bucketCount struct {
	LowerMS float64 `json:"lower_ms"`
	UpperMS float64 `json:"upper_ms"`
	Count   uint64  `json:"count"`
}

func (w windowHist) buckets() []bucketCount {
	var out []bucketCount
	for i, c := range w.counts {
		if c > 0 && i < len(w.upper) {
			var lo float64
			if i > 0 {
				lo = ms(time.Duration(w.upper[i-1]))
			}
			out = append(out, bucketCount{LowerMS: lo, UpperMS: ms(time.Duration(w.upper[i])), Count: c})
		}
	}
	return out
}

type serverResult struct {
	CPUCores           float64 `json:"cpu_cores"`
	CPUPerClientTickUS float64 `json:"cpu_per_client_tick_us"`
	// CPUPerFrameUS is the CPU per snapshot the bots received: when the server could not
	// deliver every snapshot, it compares with the floor better than per client-tick.
	CPUPerFrameUS  float64 `json:"cpu_per_frame_delivered_us"`
	RSSEmptyMB     float64 `json:"rss_empty_mib"`
	RSSEndMB       float64 `json:"rss_end_mib"`
	RSSPerPlayerKB float64 `json:"rss_per_player_kib"` // (end - empty) / players
	Goroutines     int     `json:"goroutines"`
	Sessions       int64   `json:"sessions"`
}

type clientResult struct {
	Clients           int         `json:"clients"` // bots connected when the window opened
	BytesPerSecMean   float64     `json:"bytes_per_s_mean"`
	BytesPerSecP99    float64     `json:"bytes_per_s_p99"` // across clients
	BytesPerSecMin    float64     `json:"bytes_per_s_min"`
	SnapshotBytesMean float64     `json:"snapshot_bytes_mean"`
	SnapshotsReceived uint64      `json:"snapshots_received"`
	SnapshotsMissed   uint64      `json:"snapshots_missed"`
	MissedPct         float64     `json:"snapshots_missed_pct"`
	Jitter            *durSummary `json:"jitter_ms"` // |inter-arrival - ticks advanced x period|
	Ack               *durSummary `json:"input_ack_ms"`
	RTT               *durSummary `json:"rtt_ms"` // the protocol's ping to its pong
	// AckOverRTT is each input-to-ack sample less its bot's newest round trip: what the server
	// adds to the network (the wait for the tick, the tick, the snapshot's hand-off).
	AckOverRTT *durSummary `json:"input_ack_over_rtt_ms"`
}

type benchResult struct {
	CPUCores float64 `json:"cpu_cores"` // the bench process: bots, sampling
}

// timelinePoint is one second of a run.
type timelinePoint struct {
	T                  float64 `json:"t_s"` // since the ramp began
	Phase              string  `json:"phase"`
	Players            int     `json:"players"` // bots connected
	RoomPlayers        int     `json:"room_players"`
	Ticks              uint64  `json:"ticks"`
	Overruns           uint64  `json:"overruns"`
	TickP50MS          float64 `json:"tick_p50_ms"` // of the ticks in this second
	TickP99MS          float64 `json:"tick_p99_ms"` // of the ticks in the trailing five seconds
	TickMaxMS          float64 `json:"tick_max_ms"` // of the ticks in this second
	CPUCores           float64 `json:"cpu_cores"`
	BenchCPUCores      float64 `json:"bench_cpu_cores"`
	OtherCPUCores      float64 `json:"other_cpu_cores"` // the rest of the machine
	RSSMB              float64 `json:"rss_mib"`
	Goroutines         int     `json:"goroutines"`
	Clients            int     `json:"clients"` // bots connected through this second: the byte rates' sample
	BytesPerClientMean float64 `json:"bytes_per_client_mean"`
	BytesPerClientP99  float64 `json:"bytes_per_client_p99"`
}

// target is one of the issues' targets, checked against a run.
type target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	OK   bool   `json:"ok"`
}

// checkTargets compares a player run with the targets of issue #6 that apply to it: those of
// 1,000 players up to 1,000, those of 1,500 above, and the memory target always; and with
// issue #4's: input to ack at most a tick plus 1 ms over the round trip at p99. The
// targets are written for 30 Hz; at other rates they are shown all the same.
func checkTargets(pr *playerRun) []target {
	a := pr.Arena
	if a == nil {
		return nil
	}
	var ts []target
	add := func(name, want, got string, ok bool) { ts = append(ts, target{name, want, got, ok}) }
	limit := 5.0
	if pr.Players > 1000 {
		limit = 10
	}
	if a.Tick != nil {
		add("tick p99", fmt.Sprintf("<= %.0f ms", limit), fmt.Sprintf("%.2f ms", a.Tick.Total.P99), a.Tick.Total.P99 <= limit)
		if pr.Players <= 1000 {
			add("overruns", "0", fmt.Sprint(a.Tick.Overruns), a.Tick.Overruns == 0)
		}
		add("resyncs", "0", fmt.Sprint(a.Tick.Resyncs), a.Tick.Resyncs == 0)
	}
	disc := a.Failures.UnexpectedAny + a.Failures.DialAny
	add("disconnects", "0", fmt.Sprintf("%d (%d dial failures, %d closes)", disc, a.Failures.DialAny, a.Failures.UnexpectedAny), disc == 0)
	if pr.Players <= 1000 && pr.CPURatio > 0 {
		add("server CPU vs floor", "<= 1.3x", fmt.Sprintf("%.2fx", pr.CPURatio), pr.CPURatio <= 1.3)
	}
	add("RSS per player", "<= 20 KiB", fmt.Sprintf("%.1f KiB", a.Server.RSSPerPlayerKB), a.Server.RSSPerPlayerKB <= 20)
	// Issue #4: beyond the round trip, an input waits at most for the next tick, plus 1 ms.
	if o := a.Clients.AckOverRTT; a.Tick != nil && o != nil && o.Count > 0 {
		limit := a.Tick.BudgetMS + 1
		add("input to ack over RTT p99", fmt.Sprintf("<= %.1f ms (a tick + 1 ms)", limit), fmt.Sprintf("%.2f ms", o.P99), o.P99 <= limit)
	}
	return ts
}

// noisyCores is how much CPU other processes may use in a second before the report warns.
const noisyCores = 0.25

// noisySeconds counts the window's seconds in which other processes used more than
// noisyCores, out of the window's seconds, and the most they used.
func noisySeconds(r *RunResult) (n, secs int, peak float64) {
	for _, pt := range r.Timeline {
		if pt.Phase != phaseNames[phaseWindow] || pt.T-r.WindowStartS < 0.5 { // mostly before the window
			continue
		}
		secs++
		if pt.OtherCPUCores > noisyCores {
			n++
			peak = max(peak, pt.OtherCPUCores)
		}
	}
	return n, secs, peak
}

func writeJSON(path string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// printRun prints the table of one player count: the arena and the floor side by side.
func printRun(w io.Writer, cfg Config, pr *playerRun) {
	fmt.Fprintf(w, "\n== %d players, arena %.0fx%.0f, %d Hz ticks, %d Hz snapshots ==\n",
		pr.Players, pr.ArenaSize, pr.ArenaSize, cfg.TickRate, cfg.SnapshotRate)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	cols := []*RunResult{pr.Arena, pr.Floor}
	head := "\ttickwire\tfloor"
	fmt.Fprintln(tw, head)
	row := func(name string, f func(r *RunResult) string) {
		cells := []string{name}
		for _, r := range cols {
			if r == nil {
				cells = append(cells, "-")
			} else {
				cells = append(cells, f(r))
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tick := func(f func(t *tickResult) string) func(r *RunResult) string {
		return func(r *RunResult) string {
			if r.Tick == nil {
				return "-"
			}
			return f(r.Tick)
		}
	}
	quad := func(d *durSummary) string {
		if d == nil || d.Count == 0 {
			return "-"
		}
		return fmt.Sprintf("%s / %s / %s / %s", f2(d.P50), f2(d.P90), f2(d.P99), f2(d.Max))
	}
	row("players connected (start/end of window)", func(r *RunResult) string {
		return fmt.Sprintf("%d / %d of %d", r.ConnectedAtStart, r.ConnectedAtEnd, r.PlayersWanted)
	})
	row("window", func(r *RunResult) string { return fmt.Sprintf("%.1f s", r.WindowS) })
	row("tick ms p50 / p90 / p99 / max", tick(func(t *tickResult) string { return quad(t.Total) }))
	row("  step (simulate) ms", tick(func(t *tickResult) string { return quad(t.Step) }))
	row("  snapshots (encode, hand-off) ms", tick(func(t *tickResult) string { return quad(t.Snapshot) }))
	row("    encode ms", tick(func(t *tickResult) string { return quad(t.Encode) }))
	row("    hand-off ms", tick(func(t *tickResult) string { return quad(t.Handoff) }))
	row("ticks / overruns / skipped", tick(func(t *tickResult) string {
		return fmt.Sprintf("%d / %d / %d (budget %.1f ms)", t.Ticks, t.Overruns, t.Skipped, t.BudgetMS)
	}))
	row("inputs dropped (room queue)", tick(func(t *tickResult) string { return fmt.Sprint(t.InputsDropped) }))
	row("resyncs (snapshots clients could not apply)", tick(func(t *tickResult) string { return fmt.Sprint(t.Resyncs) }))
	row("server CPU", func(r *RunResult) string { return fmt.Sprintf("%.2f cores", r.Server.CPUCores) })
	row("server CPU per client-tick", func(r *RunResult) string { return fmt.Sprintf("%.1f us", r.Server.CPUPerClientTickUS) })
	row("server CPU per snapshot delivered", func(r *RunResult) string { return fmt.Sprintf("%.1f us", r.Server.CPUPerFrameUS) })
	row("server RSS empty / end", func(r *RunResult) string {
		return fmt.Sprintf("%.1f / %.1f MiB", r.Server.RSSEmptyMB, r.Server.RSSEndMB)
	})
	row("RSS per player over empty", func(r *RunResult) string { return fmt.Sprintf("%.1f KiB", r.Server.RSSPerPlayerKB) })
	row("server goroutines", func(r *RunResult) string { return fmt.Sprint(r.Server.Goroutines) })
	row("bytes/s per client mean / p99", func(r *RunResult) string {
		return fmt.Sprintf("%s / %s", fmtBytes(r.Clients.BytesPerSecMean), fmtBytes(r.Clients.BytesPerSecP99))
	})
	row("snapshot size mean", func(r *RunResult) string { return fmtBytes(r.Clients.SnapshotBytesMean) })
	row("snapshots received / missed", func(r *RunResult) string {
		return fmt.Sprintf("%d / %d (%.2f%%)", r.Clients.SnapshotsReceived, r.Clients.SnapshotsMissed, r.Clients.MissedPct)
	})
	row("snapshot jitter ms p50 / p90 / p99 / max", func(r *RunResult) string { return quad(r.Clients.Jitter) })
	row("input to ack ms p50 / p90 / p99 / max", func(r *RunResult) string { return quad(r.Clients.Ack) })
	row("RTT (ping to pong) ms p50 / p90 / p99 / max", func(r *RunResult) string { return quad(r.Clients.RTT) })
	row("input to ack over RTT ms p50 / p90 / p99 / max", func(r *RunResult) string { return quad(r.Clients.AckOverRTT) })
	row("bench (bots) CPU", func(r *RunResult) string { return fmt.Sprintf("%.2f cores", r.Bench.CPUCores) })
	row("other processes' CPU", func(r *RunResult) string { return fmt.Sprintf("%.2f cores", r.OtherCPUCores) })
	row("dial failures", func(r *RunResult) string { return countMap(r.Failures.Dial) })
	row("unexpected closes", func(r *RunResult) string { return countMap(r.Failures.Unexpected) })
	row("closes at teardown", func(r *RunResult) string { return countMap(r.Failures.Teardown) })
	tw.Flush()
	if pr.CPURatio > 0 {
		fmt.Fprintf(w, "server CPU, tickwire / floor: %.2fx per client-tick, %.2fx per snapshot delivered\n", pr.CPURatio, pr.CPUFrameRatio)
	}
	for _, r := range cols {
		if r == nil {
			continue
		}
		busy := r.Server.CPUCores + r.Bench.CPUCores + r.OtherCPUCores
		if cpus := runtime.NumCPU(); busy >= 0.9*float64(cpus) {
			fmt.Fprintf(w, "warning: the machine was saturated during the %s window (%.2f of %d cores busy: server %.2f, bots %.2f, others %.2f):\n"+
				"  the server waited for CPU, so its tick times and the floor ratio include that wait.\n",
				r.Kind, busy, cpus, r.Server.CPUCores, r.Bench.CPUCores, r.OtherCPUCores)
		}
		if n, secs, peak := noisySeconds(r); n > 0 {
			fmt.Fprintf(w, "warning: other processes used over %.2f core in %d of the %s window's %d seconds (up to %.2f cores):\n"+
				"  the timeline (report.json, server-cpu plot) shows when; those seconds are in the window's numbers.\n",
				noisyCores, n, r.Kind, secs, peak)
		}
	}
	if len(pr.Targets) > 0 {
		fmt.Fprintln(w, "targets:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, t := range pr.Targets {
			mark := "MISS"
			if t.OK {
				mark = "ok"
			}
			fmt.Fprintf(tw, "  %s\t%s\twant %s\tgot %s\n", mark, t.Name, t.Want, t.Got)
		}
		tw.Flush()
	}
}

// printSweep prints one line per player count, and the largest count that held the tick rate.
func printSweep(w io.Writer, cfg Config, runs []playerRun) {
	fmt.Fprintln(w, "\n== sweep ==")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "players\ttick p50 ms\ttick p99 ms\ttick max ms\toverruns\tserver cores\tus/client-tick\tfloor us\tratio\trx/client/s\tRSS/player KiB\tmissed %\tcloses\t")
	for _, pr := range runs {
		a := pr.Arena
		if a == nil {
			continue
		}
		p50, p99, mx, over := "-", "-", "-", "-"
		if a.Tick != nil {
			p50, p99, mx = f2(a.Tick.Total.P50), f2(a.Tick.Total.P99), f2(a.Tick.Total.Max)
			over = fmt.Sprint(a.Tick.Overruns)
		}
		floorUS, ratio := "-", "-"
		if pr.Floor != nil {
			floorUS = fmt.Sprintf("%.1f", pr.Floor.Server.CPUPerClientTickUS)
		}
		if pr.CPURatio > 0 {
			ratio = fmt.Sprintf("%.2fx", pr.CPURatio)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%.2f\t%.1f\t%s\t%s\t%s\t%.1f\t%.2f\t%d\t\n",
			pr.Players, p50, p99, mx, over, a.Server.CPUCores, a.Server.CPUPerClientTickUS, floorUS, ratio,
			fmtBytes(a.Clients.BytesPerSecMean), a.Server.RSSPerPlayerKB, a.Clients.MissedPct,
			a.Failures.UnexpectedAny+a.Failures.DialAny)
	}
	tw.Flush()
	cpus := "any CPU"
	if cfg.ServerCPUs != "" {
		cpus = "CPUs " + cfg.ServerCPUs
	}
	if n := largestHeld(runs); n > 0 {
		fmt.Fprintf(w, "largest N that held %d Hz (no skipped ticks, tick p99 <= 10 ms, no disconnects), server on %s: %d\n", cfg.TickRate, cpus, n)
	} else {
		fmt.Fprintf(w, "no N held %d Hz (no skipped ticks, tick p99 <= 10 ms, no disconnects), server on %s\n", cfg.TickRate, cpus)
	}
}

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

// countMap formats counts by reason: "none", or "1006 x3, 4000 x1".
func countMap(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s x%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runSpec is one run: a server process, a number of players, a ramp and a window.
type runSpec struct {
	kind    string // "arena" (the tickwire binary) or "floor" (the floor server)
	players int
	ramp    time.Duration
	window  time.Duration
	bin     string
	args    []string
	cpus    string // taskset CPU list for the server, or empty
	timing  fleetTiming
}

// Phases of a run, for the timeline and the progress line.
const (
	phaseRamp int32 = iota
	phaseWindow
	phaseTeardown
)

var phaseNames = [...]string{"ramp", "window", "teardown"}

// runner runs specs with one configuration.
type runner struct {
	cfg      Config
	progress io.Writer // nil: quiet
	tty      bool      // progress rewrites one line
}

// run starts the server, brings the players in over the ramp, measures the window, takes
// everything down and returns what it measured. Whatever happens, the server is stopped and
// every bot closed before it returns.
func (r *runner) run(ctx context.Context, spec runSpec) (*RunResult, error) {
	proc, err := startServer(ctx, spec.bin, spec.args, spec.cpus, 30*time.Second)
	if err != nil {
		return nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = proc.stop(10 * time.Second)
		}
	}()
	pid := strconv.Itoa(proc.pid)
	stats := newStatsClient(proc.addr)
	if err := waitStats(ctx, stats, 10*time.Second); err != nil {
		return nil, err
	}
	empty, err := readProc(pid) // the empty server's memory, before anyone joins
	if err != nil {
		return nil, err
	}

	botAddr := proc.addr
	if r.cfg.Impair != nil { // the bots reach the server through a simulated bad network
		relay, stopRelay, err := startRelay(ctx, proc.addr, *r.cfg.Impair)
		if err != nil {
			return nil, err
		}
		defer stopRelay()
		botAddr = relay
	}
	f := newFleet(botAddr, spec.timing, r.cfg.Behaviour, r.cfg.Seed, r.cfg.DialTimeout)
	var phase atomic.Int32
	start := time.Now()
	sampler := &sampler{fleet: f, stats: stats, pid: pid, start: start, phase: &phase, spec: spec, r: r}
	sctx, stopSampler := context.WithCancel(ctx)
	var swg sync.WaitGroup
	swg.Add(1)
	go func() { defer swg.Done(); sampler.loop(sctx) }()
	finish := func() {
		stopSampler()
		swg.Wait()
		r.endProgress()
	}

	runErr := f.ramp(ctx, spec.players, spec.ramp)
	var res *RunResult
	if runErr == nil {
		phase.Store(phaseWindow)
		res, runErr = r.measure(ctx, spec, f, stats, pid, empty)
	}
	phase.Store(phaseTeardown)
	finish()
	f.teardown(3 * time.Second)
	stopped = true
	stopErr := proc.stop(10 * time.Second)
	if runErr != nil {
		return nil, fmt.Errorf("bench: %s run with %d players: %w\nserver log tail:\n%s", spec.kind, spec.players, runErr, proc.log)
	}
	if stopErr != nil {
		res.ServerExit = stopErr.Error()
	}
	res.Failures = f.failures()
	res.Timeline = sampler.points()
	res.RampS = spec.ramp.Seconds()
	res.StartedAt = start
	res.WindowStartS = res.windowStart.Sub(start).Seconds()
	return res, nil
}

// waitStats polls /stats until it answers, up to timeout.
func waitStats(ctx context.Context, c *statsClient, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tk := time.NewTicker(50 * time.Millisecond)
	defer tk.Stop()
	for {
		_, err := c.read(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: the server's /stats did not answer within %v: %w", timeout, err)
		case <-tk.C:
		}
	}
}

// measure opens the window, waits it out and computes the run's result from readings taken
// at both ends.
func (r *runner) measure(ctx context.Context, spec runSpec, f *fleet, stats *statsClient, pid string, empty procSample) (*RunResult, error) {
	st0, err := stats.readRetry(ctx)
	if err != nil {
		return nil, err
	}
	p0, err0 := readProc(pid)
	s0, err1 := readProc("self")
	if err := errors.Join(err0, err1); err != nil {
		return nil, err
	}
	busy0, err := readMachineBusy()
	if err != nil {
		return nil, err
	}
	f.measuring.Store(true)
	m0 := f.mark()

	timer := time.NewTimer(spec.window)
	select {
	case <-ctx.Done():
		timer.Stop()
		return nil, ctx.Err()
	case <-timer.C:
	}

	m1 := f.mark()
	f.measuring.Store(false)
	p1, err0 := readProc(pid)
	s1, err1 := readProc("self")
	if err := errors.Join(err0, err1); err != nil {
		return nil, err
	}
	busy1, err := readMachineBusy()
	if err != nil {
		return nil, err
	}
	st1, err := stats.readRetry(ctx)
	if err != nil {
		return nil, err
	}
	window := m1.at.Sub(m0.at)

	res := &RunResult{
		windowStart:      m0.at,
		Kind:             spec.kind,
		PlayersWanted:    spec.players,
		ConnectedAtStart: len(m0.alive),
		ConnectedAtEnd:   len(m1.alive),
		WindowS:          window.Seconds(),
		Rooms:            len(st1.Rooms),
	}

	// The server: ticks from /stats, CPU and memory from /proc.
	if r1 := st1.busiestRoom(); r1 != nil {
		r0 := st0.room(r1.ID)
		var t0, s0h, n0, e0, h0 *histSnap
		var base roomStats
		if r0 != nil {
			base = *r0
			t0, s0h, n0, e0, h0 = &r0.TickTime, &r0.StepTime, &r0.SnapshotTime, &r0.EncodeTime, &r0.HandoffTime
		}
		total := diffHist(t0, r1.TickTime, st1.BucketUpperNS)
		res.Tick = &tickResult{
			Ticks:         r1.Ticks - base.Ticks,
			Overruns:      r1.Overruns - base.Overruns,
			Skipped:       r1.Skipped - base.Skipped,
			InputsDropped: r1.InputsDropped - base.InputsDropped,
			Resyncs:       r1.Resyncs - base.Resyncs,
			BudgetMS:      ms(time.Second / time.Duration(r1.TickRate)),
			Total:         total.summary(),
			Step:          diffHist(s0h, r1.StepTime, st1.BucketUpperNS).summary(),
			Snapshot:      diffHist(n0, r1.SnapshotTime, st1.BucketUpperNS).summary(),
			Encode:        diffHist(e0, r1.EncodeTime, st1.BucketUpperNS).summary(),
			Handoff:       diffHist(h0, r1.HandoffTime, st1.BucketUpperNS).summary(),
			Histogram:     total.buckets(),
		}
		res.RoomPlayers = r1.Players
	}
	players := float64(len(m0.alive)+len(m1.alive)) / 2
	cpu := cores(p0, p1)
	res.Server = serverResult{
		CPUCores:   cpu,
		RSSEmptyMB: mb(empty.rss),
		RSSEndMB:   mb(p1.rss),
		Goroutines: st1.Goroutines,
		Sessions:   st1.Sessions,
	}
	if players > 0 {
		res.Server.CPUPerClientTickUS = cpu * 1e6 / (players * float64(r.cfg.TickRate))
	}
	if n := len(m1.alive); n > 0 && p1.rss > empty.rss {
		res.Server.RSSPerPlayerKB = float64(p1.rss-empty.rss) / 1024 / float64(n)
	}
	res.Bench = benchResult{CPUCores: cores(s0, s1)}
	// Whatever else ran on the machine during the window competed with the server and the bots.
	res.OtherCPUCores = max(0, float64(busy1-busy0)/float64(window)-cpu-res.Bench.CPUCores)

	// The clients: bytes from the counters, the rest from what each bot measured.
	var rates []float64
	var snaps, snapBytes uint64
	var jitter, ack, rtt, overRTT histogram
	var received, missed uint64
	for b := range m0.alive {
		rates = append(rates, float64(m1.bytes[b]-m0.bytes[b])/window.Seconds())
		snaps += m1.snaps[b] - m0.snaps[b]
		snapBytes += m1.snapBytes[b] - m0.snapBytes[b]
		w := b.window()
		jitter.merge(&w.jitter)
		ack.merge(&w.ack)
		rtt.merge(&w.rtt)
		overRTT.merge(&w.overRTT)
		received += w.received
		missed += w.missed
	}
	slices.Sort(rates)
	c := clientResult{
		Clients:           len(rates),
		BytesPerSecMean:   meanOf(rates),
		BytesPerSecP99:    quantileOf(rates, 0.99),
		BytesPerSecMin:    quantileOf(rates, 0),
		SnapshotsReceived: received,
		SnapshotsMissed:   missed,
		Jitter:            histSummary(&jitter),
		Ack:               histSummary(&ack),
		RTT:               histSummary(&rtt),
		AckOverRTT:        histSummary(&overRTT),
	}
	if snaps > 0 {
		c.SnapshotBytesMean = float64(snapBytes) / float64(snaps)
		res.Server.CPUPerFrameUS = float64(p1.cpu-p0.cpu) / float64(time.Microsecond) / float64(snaps)
	}
	if received+missed > 0 {
		c.MissedPct = 100 * float64(missed) / float64(received+missed)
	}
	res.Clients = c
	return res, nil
}

func histSummary(h *histogram) *durSummary {
	return &durSummary{
		Count: h.n, Mean: ms(h.mean()),
		P50: ms(h.quantile(0.5)), P90: ms(h.quantile(0.9)), P99: ms(h.quantile(0.99)), Max: ms(h.max),
	}
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func meanOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// quantileOf returns the q-quantile of sorted xs (nearest rank), or 0 for none.
func quantileOf(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

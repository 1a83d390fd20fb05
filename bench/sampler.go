package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sampler reads the server, the bench process and the bots once a second during a run: the
// timeline the plots draw, and the live progress line.
type sampler struct {
	fleet *fleet
	stats *statsClient
	pid   string
	start time.Time
	phase *atomic.Int32
	spec  runSpec
	r     *runner

	mu  sync.Mutex // guards pts
	pts []timelinePoint

	// Owned by loop: the previous readings; recent holds the last few /stats readings, oldest
	// first, for the trailing p99.
	prevStats *serverStats
	recent    []*serverStats
	prevProc  procSample
	prevSelf  procSample
	prevBusy  time.Duration
	prevBytes map[*bot]uint64
	prevAt    time.Time
}

// samplePeriod is the timeline's resolution. A second holds only TickRate ticks, too few
// for a p99 of its own (at 30 Hz it would be the maximum), so the timeline's p99 covers the
// trailing p99Samples seconds.
const (
	samplePeriod = time.Second
	p99Samples   = 5
)

func (s *sampler) loop(ctx context.Context) {
	s.prevBytes = make(map[*bot]uint64)
	s.prevStats, _ = s.stats.read(ctx)
	if s.prevStats != nil {
		s.recent = append(s.recent, s.prevStats)
	}
	s.prevProc, _ = readProc(s.pid)
	s.prevSelf, _ = readProc("self")
	s.prevBusy, _ = readMachineBusy()
	s.prevAt = time.Now()
	tk := time.NewTicker(samplePeriod)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		s.sample(ctx)
	}
}

func (s *sampler) sample(ctx context.Context) {
	now := time.Now()
	pt := timelinePoint{
		T:       now.Sub(s.start).Seconds(),
		Phase:   phaseNames[s.phase.Load()],
		Players: int(s.fleet.connected.Load()),
	}
	if p, err := readProc(s.pid); err == nil {
		pt.CPUCores = cores(s.prevProc, p)
		pt.RSSMB = mb(p.rss)
		s.prevProc = p
	}
	if p, err := readProc("self"); err == nil {
		pt.BenchCPUCores = cores(s.prevSelf, p)
		s.prevSelf = p
	}
	if busy, err := readMachineBusy(); err == nil {
		if dt := now.Sub(s.prevAt); dt > 0 {
			pt.OtherCPUCores = max(0, float64(busy-s.prevBusy)/float64(dt)-pt.CPUCores-pt.BenchCPUCores)
		}
		s.prevBusy = busy
	}
	if st, err := s.stats.read(ctx); err == nil {
		pt.Goroutines = st.Goroutines
		if r1 := st.busiestRoom(); r1 != nil {
			pt.RoomPlayers = r1.Players
			var h0 *histSnap
			var base roomStats
			if s.prevStats != nil {
				if r0 := s.prevStats.room(r1.ID); r0 != nil {
					h0, base = &r0.TickTime, *r0
				}
			}
			w := diffHist(h0, r1.TickTime, st.BucketUpperNS)
			pt.Ticks = r1.Ticks - base.Ticks
			pt.Overruns = r1.Overruns - base.Overruns
			pt.TickP50MS = ms(w.quantile(0.5))
			pt.TickMaxMS = ms(time.Duration(w.maxNS))
			var t0 *histSnap
			if len(s.recent) > 0 {
				if r0 := s.recent[0].room(r1.ID); r0 != nil {
					t0 = &r0.TickTime
				}
			}
			pt.TickP99MS = ms(diffHist(t0, r1.TickTime, st.BucketUpperNS).quantile(0.99))
		}
		s.prevStats = st
		if s.recent = append(s.recent, st); len(s.recent) > p99Samples {
			s.recent = s.recent[1:]
		}
	}
	// Bytes per client over the last period, among the bots connected at both ends.
	dt := now.Sub(s.prevAt).Seconds()
	var rates []float64
	next := make(map[*bot]uint64, len(s.prevBytes))
	for _, b := range s.fleet.snapshot() {
		n := b.bytes.Load()
		select {
		case <-b.readerDone:
			continue
		default:
		}
		if p, ok := s.prevBytes[b]; ok && dt > 0 {
			rates = append(rates, float64(n-p)/dt)
		}
		next[b] = n
	}
	slices.Sort(rates)
	pt.Clients = len(rates)
	pt.BytesPerClientMean = meanOf(rates)
	pt.BytesPerClientP99 = quantileOf(rates, 0.99)
	s.prevBytes, s.prevAt = next, now

	s.mu.Lock()
	s.pts = append(s.pts, pt)
	s.mu.Unlock()
	s.r.showProgress(s.spec, pt)
}

func (s *sampler) points() []timelinePoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pts)
}

// showProgress prints one progress line: rewritten in place on a terminal, one per sample
// otherwise.
func (r *runner) showProgress(spec runSpec, pt timelinePoint) {
	if r.progress == nil {
		return
	}
	line := fmt.Sprintf("%-5s N=%-5d %-8s %3.0fs  players %d/%d  tick p99 (5 s) %s  server cpu %.2f  bots cpu %.2f  rx %s/client",
		spec.kind, spec.players, pt.Phase, pt.T, pt.Players, spec.players, fmtMS(pt.TickP99MS, spec.kind),
		pt.CPUCores, pt.BenchCPUCores, fmtBytes(pt.BytesPerClientMean)+"/s")
	if r.tty {
		fmt.Fprintf(r.progress, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(r.progress, line)
	}
}

// endProgress ends the progress line on a terminal.
func (r *runner) endProgress() {
	if r.progress != nil && r.tty {
		fmt.Fprintln(r.progress)
	}
}

func fmtMS(v float64, kind string) string {
	if kind == "floor" {
		return "-"
	}
	return fmt.Sprintf("%.2fms", v)
}

// fmtBytes formats a byte count with a binary unit.
func fmtBytes(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.2f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// isTerminal reports whether f is a character device (a terminal), without a dependency.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && !strings.EqualFold(os.Getenv("TERM"), "dumb")
}

package main

import (
	"math"
	"math/bits"
	"runtime"
	"sync/atomic"
	"time"
)

// histogram counts durations in logarithmic buckets: eight per power of two, so any quantile it
// reports is within about 9% of the truth, from 1 ns to far beyond any tick. Counts only rise:
// a reader takes two snapshots and subtracts them to see one window. Safe for one writer and
// any number of readers.
type histogram struct {
	counts [histBuckets]atomic.Uint64
	sum    atomic.Uint64 // nanoseconds
	max    atomic.Uint64 // nanoseconds
}

const (
	histSub     = 8 // buckets per power of two
	histBuckets = 40 * histSub
)

// bucketOf returns the bucket that holds ns.
func bucketOf(ns uint64) int {
	if ns < histSub {
		return int(ns)
	}
	exp := bits.Len64(ns) - 1                       // ns is in [2^exp, 2^(exp+1))
	frac := int(ns>>(exp-3)) & (histSub - 1)        // the next three bits below the leading one
	return min(histBuckets-1, (exp-2)*histSub+frac) // exp 3 starts at bucket 8
}

// bucketUpper returns the largest duration bucket b holds, in nanoseconds.
func bucketUpper(b int) uint64 {
	if b < histSub {
		return uint64(b)
	}
	exp := b/histSub + 2
	frac := uint64(b % histSub)
	return (uint64(1)<<exp | frac<<(exp-3)) + (uint64(1) << (exp - 3)) - 1
}

func (h *histogram) observe(d time.Duration) {
	ns := uint64(max(d, 0))
	h.counts[bucketOf(ns)].Add(1)
	h.sum.Add(ns)
	if ns > h.max.Load() { // one writer: no lost update
		h.max.Store(ns)
	}
}

// HistogramSnapshot is a histogram's counts at one moment, as /stats serves them.
type HistogramSnapshot struct {
	Counts []uint64 `json:"counts"` // per bucket; see bucketUpper
	SumNS  uint64   `json:"sum_ns"`
	MaxNS  uint64   `json:"max_ns"`
}

func (h *histogram) snapshot() HistogramSnapshot {
	s := HistogramSnapshot{Counts: make([]uint64, histBuckets), SumNS: h.sum.Load(), MaxNS: h.max.Load()}
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
	}
	return s
}

// Quantile returns the q-quantile (0 to 1) of the durations counted, as the upper edge of its
// bucket, or 0 when there are none.
func (s HistogramSnapshot) Quantile(q float64) time.Duration {
	var total uint64
	for _, c := range s.Counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for b, c := range s.Counts {
		seen += c
		if seen >= max(rank, 1) {
			return time.Duration(min(bucketUpper(b), max(s.MaxNS, 1)))
		}
	}
	return time.Duration(s.MaxNS)
}

// tickStats is what a room records about its ticks. The room goroutine writes; /stats reads.
type tickStats struct {
	total    histogram // the whole tick: step, encode and hand-off
	step     histogram // game.World.Step
	snapshot histogram // encoding and handing snapshots to sessions
	encode   histogram // interest, deltas and encoding for every client
	handoff  histogram // handing the frames to the sessions
	ticks    atomic.Uint64
	overruns atomic.Uint64 // ticks that took longer than the tick period
	// seq is odd while a tick's numbers are being recorded, and grows by two for each
	// tick: a reader that saw the same even value before and after read one tick's whole.
	seq atomic.Uint64
}

// record records one tick: how long its simulation step, its encoding and its hand-off took
// (its snapshots, the last two together), the whole of it, and whether it overran.
func (s *tickStats) record(step, encode, handoff, total time.Duration, overrun bool) {
	s.seq.Add(1)
	s.step.observe(step)
	s.snapshot.observe(encode + handoff)
	s.encode.observe(encode)
	s.handoff.observe(handoff)
	s.total.observe(total)
	s.ticks.Add(1)
	if overrun {
		s.overruns.Add(1)
	}
	s.seq.Add(1)
}

// tickReading is a tickStats read between two ticks' recording, so that its numbers agree.
type tickReading struct {
	ticks, overruns                        uint64
	total, step, snapshot, encode, handoff HistogramSnapshot
}

// read reads s from any goroutine. A reading that a tick's recording overlapped is taken
// again.
func (s *tickStats) read() tickReading {
	for {
		seq := s.seq.Load()
		r := tickReading{
			ticks: s.ticks.Load(), overruns: s.overruns.Load(),
			total: s.total.snapshot(), step: s.step.snapshot(), snapshot: s.snapshot.snapshot(),
			encode: s.encode.snapshot(), handoff: s.handoff.snapshot(),
		}
		if seq%2 == 0 && s.seq.Load() == seq {
			return r
		}
		runtime.Gosched()
	}
}

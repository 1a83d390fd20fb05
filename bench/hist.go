package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts durations in logarithmic buckets, eight per power of two: the layout of the
// server's tick histograms (server/tickstats.go), so quantiles on both sides have the same
// precision (within about 9%). The bench uses it for what the bots measure: snapshot jitter
// and input-to-acknowledgement latency. Not safe for concurrent use; each bot owns its own
// and they are merged at the end of the window.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

const (
	histSub     = 8 // buckets per power of two
	histBuckets = 40 * histSub
)

// bucketOf returns the bucket that holds ns (the same function as the server's).
func bucketOf(ns uint64) int {
	if ns < histSub {
		return int(ns)
	}
	exp := bits.Len64(ns) - 1
	frac := int(ns>>(exp-3)) & (histSub - 1)
	return min(histBuckets-1, (exp-2)*histSub+frac)
}

// bucketUpper returns the largest duration, in nanoseconds, that bucket b holds.
func bucketUpper(b int) uint64 {
	if b < histSub {
		return uint64(b)
	}
	exp := b/histSub + 2
	frac := uint64(b % histSub)
	return (uint64(1)<<exp | frac<<(exp-3)) + (uint64(1) << (exp - 3)) - 1
}

func (h *histogram) observe(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile as the upper edge of its bucket (never above the largest
// value seen), or 0 when the histogram is empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(h.n))), 1)
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketUpper(b)), h.max)
		}
	}
	return h.max
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts durations in logarithmic buckets, 64 per power of two, so that a quantile
// is within about 1.6% of the truth (half a millisecond around a 30 Hz tick, where issue #4's
// input-to-ack target lies). The bench uses it for what the bots measure: snapshot jitter,
// round trips and input-to-acknowledgement latency. Not safe for concurrent use; each bot owns
// its own and they are merged at the end of the window. (The server's tick histograms have
// eight buckets per power of two; the bench reads those through their own bucket edges.)
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

const (
	histBits    = 6             // log2 of the buckets per power of two
	histSub     = 1 << histBits // buckets per power of two
	histBuckets = 36 * histSub  // up to 2^(36+histBits-1) ns, about 18 hours
)

// bucketOf returns the bucket that holds ns: below histSub ns one bucket per nanosecond, then
// histSub buckets per power of two, split by the histBits bits below the leading one.
func bucketOf(ns uint64) int {
	if ns < histSub {
		return int(ns)
	}
	exp := bits.Len64(ns) - 1
	frac := int(ns>>(exp-histBits)) & (histSub - 1)
	return min(histBuckets-1, (exp-histBits+1)*histSub+frac)
}

// bucketUpper returns the largest duration, in nanoseconds, that bucket b holds.
func bucketUpper(b int) uint64 {
	if b < histSub {
		return uint64(b)
	}
	exp := b/histSub + histBits - 1
	frac := uint64(b % histSub)
	return (uint64(1)<<exp | frac<<(exp-histBits)) + (uint64(1) << (exp - histBits)) - 1
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

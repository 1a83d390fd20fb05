package main

import (
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for _, ns := range []uint64{0, 1, 7, 8, 9, 15, 16, 100, 1000, 1e6, 33e6, 1e9, 1 << 40} {
		b := bucketOf(ns)
		if b < prev {
			t.Errorf("bucketOf(%d) = %d, below the bucket of a smaller value (%d)", ns, b, prev)
		}
		prev = b
		if b < histBuckets-1 && bucketUpper(b) < ns {
			t.Errorf("bucket %d of %d ns ends at %d", b, ns, bucketUpper(b))
		}
		if b > 0 && b < histBuckets-1 && bucketUpper(b-1) >= ns {
			t.Errorf("%d ns would fit the bucket below (%d ends at %d)", ns, b-1, bucketUpper(b-1))
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.observe(time.Duration(i) * time.Microsecond)
	}
	s := h.snapshot()
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, time.Millisecond}} {
		got := s.Quantile(tc.q)
		if got < tc.want || float64(got) > float64(tc.want)*1.1 {
			t.Errorf("q%.2f = %v, want %v to 10%% above", tc.q, got, tc.want)
		}
	}
	if s.MaxNS != uint64(time.Millisecond) {
		t.Errorf("max %d", s.MaxNS)
	}
	if (HistogramSnapshot{Counts: make([]uint64, histBuckets)}).Quantile(0.5) != 0 {
		t.Error("an empty histogram has a quantile")
	}
}

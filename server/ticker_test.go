package main

import (
	"testing"
	"time"
)

func TestTickClock(t *testing.T) {
	t0 := time.Unix(0, 0)
	const p = 10 * time.Millisecond
	tests := []struct {
		name        string
		at          []time.Duration // times of successive calls, after t0
		want        []int           // ticks due at each
		wantSkipped uint64
		wantWait    time.Duration // wait after the last call
	}{
		{"on time", []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond}, []int{1, 1, 1}, 0, p},
		{"early wake runs nothing", []time.Duration{0, 5 * time.Millisecond}, []int{1, 0}, 0, 5 * time.Millisecond},
		{"one slow tick is made up", []time.Duration{0, 25 * time.Millisecond}, []int{1, 2}, 0, 5 * time.Millisecond},
		{"catch-up is capped, the rest skipped", []time.Duration{0, 105 * time.Millisecond}, []int{1, maxCatchUp}, 10 - maxCatchUp, 5 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newTickClock(t0, p)
			var now time.Time
			for i, at := range tc.at {
				now = t0.Add(at)
				if got := c.due(now); got != tc.want[i] {
					t.Errorf("call %d at %v: %d ticks due, want %d", i, at, got, tc.want[i])
				}
			}
			if c.Skipped != tc.wantSkipped {
				t.Errorf("skipped %d, want %d", c.Skipped, tc.wantSkipped)
			}
			if w := c.wait(now); w != tc.wantWait {
				t.Errorf("wait %v, want %v", w, tc.wantWait)
			}
		})
	}
}

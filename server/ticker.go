package main

import "time"

// maxCatchUp is how many ticks the room runs back to back when it has fallen behind. One slow
// tick (a GC pause, a busy machine) is made up for; a longer stall is not replayed in a burst
// that would only make the next tick late too: the missed ticks are skipped and counted.
const maxCatchUp = 3

// tickClock schedules a fixed timestep from the times it is given; it reads no clock itself,
// so tests drive it with made-up times.
type tickClock struct {
	period  time.Duration
	next    time.Time // when the next tick is due
	Skipped uint64    // ticks dropped because the room fell too far behind
}

func newTickClock(start time.Time, period time.Duration) *tickClock {
	return &tickClock{period: period, next: start}
}

// due returns how many ticks to run at now (at most maxCatchUp) and moves the schedule on.
func (c *tickClock) due(now time.Time) int {
	n := 0
	for !c.next.After(now) && n < maxCatchUp {
		c.next = c.next.Add(c.period)
		n++
	}
	if !c.next.After(now) { // still behind after catching up: skip to the present
		missed := now.Sub(c.next)/c.period + 1
		c.Skipped += uint64(missed)
		c.next = c.next.Add(missed * c.period)
	}
	return n
}

// wait is how long to sleep from now until the next tick is due.
func (c *tickClock) wait(now time.Time) time.Duration { return max(0, c.next.Sub(now)) }

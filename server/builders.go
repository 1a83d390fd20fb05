package main

import (
	"runtime"
	"sync"

	"github.com/tickwire/tickwire/netcode"
)

// parallelFrom is the member count from which snapshots are built on several goroutines:
// below it, handing out the work costs more than it saves.
const parallelFrom = 64

// builders build the members' protocol 2 snapshots on several goroutines. Each client's
// snapshot depends only on the tick's shared encoding (read-only once DeltaEncoder.Update has
// run) and on that client's view, so they split cleanly. The room goroutine builds one share
// itself and waits for the others: while they run it does nothing else, so the world is still
// read only on its behalf, and never written.
type builders struct {
	jobs    []chan []*member // one per extra goroutine
	done    sync.WaitGroup
	scratch []netcode.DeltaScratch // one per goroutine, the room's first
	build   func(sc *netcode.DeltaScratch, m *member)
}

// newBuilders starts n-1 goroutines (the room's is the n-th) that call build for members.
// Each first calls setup, if it is not nil.
func newBuilders(n int, setup func(), build func(sc *netcode.DeltaScratch, m *member)) *builders {
	b := &builders{scratch: make([]netcode.DeltaScratch, n), build: build}
	for i := 1; i < n; i++ {
		ch := make(chan []*member)
		b.jobs = append(b.jobs, ch)
		go func() {
			if setup != nil {
				setup()
			}
			for ms := range ch {
				for _, m := range ms {
					b.build(&b.scratch[i], m)
				}
				b.done.Done()
			}
		}()
	}
	return b
}

// run builds every member's snapshot and returns when all are built.
func (b *builders) run(members []*member) {
	if len(members) < parallelFrom || len(b.jobs) == 0 {
		for _, m := range members {
			b.build(&b.scratch[0], m)
		}
		return
	}
	share := (len(members) + len(b.jobs)) / (len(b.jobs) + 1)
	rest := members[share:]
	for _, ch := range b.jobs {
		n := min(share, len(rest))
		b.done.Add(1)
		ch <- rest[:n]
		rest = rest[n:]
	}
	for _, m := range members[:share] {
		b.build(&b.scratch[0], m)
	}
	b.done.Wait()
}

// stop ends the goroutines.
func (b *builders) stop() {
	for _, ch := range b.jobs {
		close(ch)
	}
}

// defaultBuilders is how many goroutines build snapshots: one per processor Go may use.
func defaultBuilders() int { return runtime.GOMAXPROCS(0) }

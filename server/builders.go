package main

import (
	"runtime"
	"sync"

	"github.com/tickwire/tickwire/netcode"
)

// parallelFrom is the member count from which snapshots are built on several goroutines:
// below it, handing out the work costs more than it saves.
const parallelFrom = 64

// buildPool builds the rooms' snapshots on a fixed set of goroutines shared by every room in
// the process: one fewer than the processors Go may use, since a room's own goroutine builds
// a share of its tick's snapshots itself. Each client's snapshot depends only on the tick's
// shared encoding (read-only once DeltaEncoder.Update and ShareBaselines have run) and on
// that client's view, so a tick's snapshots split cleanly. The room waits for its shares:
// while they are built it does nothing else, so its world is still read only on its behalf,
// and never written.
type buildPool struct {
	jobs chan buildJob
	wg   sync.WaitGroup
}

// buildJob is a share of one room's tick.
type buildJob struct {
	members []*member
	build   func(sc *netcode.DeltaScratch, m *member)
	done    *sync.WaitGroup
}

// newBuildPool starts workers goroutines. Each first calls setup, if it is not nil.
func newBuildPool(workers int, setup func()) *buildPool {
	p := &buildPool{jobs: make(chan buildJob, workers)}
	for range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			if setup != nil {
				setup()
			}
			var sc netcode.DeltaScratch
			for j := range p.jobs {
				for _, m := range j.members {
					j.build(&sc, m)
				}
				j.done.Done()
			}
		}()
	}
	return p
}

// stop ends the workers once no room uses the pool, and waits for them.
func (p *buildPool) stop() {
	close(p.jobs)
	p.wg.Wait()
}

// run calls build for every member and returns when all are done: the caller builds one share
// itself with sc, the pool's workers the others. A share that finds the pool's queue full
// (other rooms' ticks) is built by the caller too. A nil pool builds everything on the
// caller's goroutine.
func (p *buildPool) run(sc *netcode.DeltaScratch, done *sync.WaitGroup, members []*member, build func(sc *netcode.DeltaScratch, m *member)) {
	workers := 0
	if p != nil {
		workers = cap(p.jobs)
	}
	if len(members) < parallelFrom || workers == 0 {
		for _, m := range members {
			build(sc, m)
		}
		return
	}
	share := (len(members) + workers) / (workers + 1)
	own := members[:share]
	for rest := members[share:]; len(rest) > 0; {
		n := min(share, len(rest))
		done.Add(1)
		select {
		case p.jobs <- buildJob{members: rest[:n], build: build, done: done}:
		default:
			done.Done()
			own = append(own[:len(own):len(own)], rest[:n]...) // rare: every worker is busy
		}
		rest = rest[n:]
	}
	for _, m := range own {
		build(sc, m)
	}
	done.Wait()
}

// defaultBuildWorkers is how many goroutines the pool has: one per processor Go may use,
// but the one a room's own goroutine runs on.
func defaultBuildWorkers() int { return runtime.GOMAXPROCS(0) - 1 }

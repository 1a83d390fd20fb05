package main

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tickwire/tickwire/netcode"
)

// parallelFrom is the member count from which snapshots are built on several goroutines:
// below it, handing out the work costs more than it saves.
const parallelFrom = 64

// buildChunk is how many members a goroutine claims at a time: about 50 µs of work, so that
// claiming costs nothing next to it, and a room never waits long for a chunk another
// goroutine is still building.
const buildChunk = 16

// buildPool builds the rooms' snapshots on a fixed set of goroutines shared by every room in
// the process: one fewer than the processors Go may use, since a room's own goroutine builds
// snapshots itself. Each client's snapshot depends only on the tick's shared encoding
// (read-only once DeltaEncoder.Update and ShareBaselines have run) and on that client's view,
// so a tick's snapshots split cleanly. The room waits for them: while they are built it does
// nothing else, so its world is still read only on its behalf, and never written.
//
// The work is shared, not split: the room and the workers claim chunks of one list until none
// is left. A worker that the Go scheduler runs late (behind the connections' goroutines) or
// that is busy with another room finds less to do, or nothing, and the room never waits for
// a worker to start, only for chunks already being built.
type buildPool struct {
	jobs chan *buildBatch
	wg   sync.WaitGroup
}

// buildBatch is one room's tick.
type buildBatch struct {
	members []*member
	build   func(sc *netcode.DeltaScratch, m *member)
	next    atomic.Int64    // the first member no goroutine has claimed
	left    atomic.Int64    // members not built yet
	done    chan<- struct{} // gets one value when left reaches zero
}

// work builds chunks of b until every member is claimed.
func (b *buildBatch) work(sc *netcode.DeltaScratch) {
	n := int64(len(b.members))
	for {
		i := b.next.Add(buildChunk) - buildChunk
		if i >= n {
			return // a late worker ends here without touching the members
		}
		end := min(i+buildChunk, n)
		buildAll(sc, b.members[i:end], b.build)
		if b.left.Add(i-end) == 0 {
			b.done <- struct{}{}
		}
	}
}

// buildAll builds the members' snapshots one after the other, naming each next member to the
// encoder, which fetches its view while the one before is built.
func buildAll(sc *netcode.DeltaScratch, members []*member, build func(sc *netcode.DeltaScratch, m *member)) {
	for k, m := range members {
		if k+1 < len(members) {
			sc.Prefetch(members[k+1].view)
		}
		build(sc, m)
	}
}

// newBuildPool starts workers goroutines. Each first calls setup, if it is not nil.
func newBuildPool(workers int, setup func()) *buildPool {
	p := &buildPool{jobs: make(chan *buildBatch, workers)}
	for range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			if setup != nil {
				setup()
			}
			var sc netcode.DeltaScratch
			for b := range p.jobs {
				b.work(&sc)
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

// run calls build for every member and returns when all are done. The caller builds with sc,
// each worker with its own scratch. done is the caller's, with a capacity of one, and empty
// between calls. A nil pool builds everything on the caller's goroutine.
func (p *buildPool) run(sc *netcode.DeltaScratch, done chan struct{}, members []*member, build func(sc *netcode.DeltaScratch, m *member)) {
	workers := 0
	if p != nil {
		workers = cap(p.jobs)
	}
	if len(members) < parallelFrom || workers == 0 {
		buildAll(sc, members, build)
		return
	}
	// A batch per tick: a worker that takes it after the tick finds it used up, whatever the
	// room does by then.
	b := &buildBatch{members: members, build: build, done: done}
	b.left.Store(int64(len(members)))
	for range workers {
		select {
		case p.jobs <- b:
		default: // every worker has a batch waiting (other rooms): they may still help
		}
	}
	b.work(sc)
	<-done
}

// defaultBuildWorkers is how many goroutines the pool has: one per processor Go may use,
// but the one a room's own goroutine runs on.
func defaultBuildWorkers() int { return runtime.GOMAXPROCS(0) - 1 }

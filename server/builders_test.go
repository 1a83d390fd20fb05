package main

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tickwire/tickwire/netcode"
)

// TestBuildersBuildEachMemberOnce runs the pool over more members than the parallel threshold,
// tick after tick: every member is built exactly once a tick, the workers take part, and no
// scratch is used by two goroutines at once.
func TestBuildersBuildEachMemberOnce(t *testing.T) {
	var calls, setups atomic.Int64
	var own netcode.DeltaScratch
	var mu sync.Mutex
	busy := map[*netcode.DeltaScratch]bool{} // scratches in use right now
	seen := map[*netcode.DeltaScratch]bool{}
	helped := make(chan struct{}) // closed by the first build on a worker's scratch
	var helpedOnce sync.Once
	p := newBuildPool(2, func() { setups.Add(1) })
	build := func(sc *netcode.DeltaScratch, m *member) {
		mu.Lock()
		if busy[sc] {
			t.Error("a scratch used by two goroutines at once")
		}
		busy[sc], seen[sc] = true, true
		mu.Unlock()
		if sc != &own {
			helpedOnce.Do(func() { close(helped) })
		} else if calls.Load() == 0 {
			<-helped // the caller's first build waits for a worker: the work is shared
		}
		calls.Add(1)
		m.frame = append(m.frame, 1) // each member is written by one goroutine only (-race checks)
		mu.Lock()
		busy[sc] = false
		mu.Unlock()
	}
	done := make(chan struct{}, 1)
	members := make([]*member, 200)
	for i := range members {
		members[i] = &member{}
	}
	for tick := 1; tick <= 5; tick++ {
		p.run(&own, done, members, build)
		for i, m := range members {
			if len(m.frame) != tick {
				t.Fatalf("tick %d: member %d built %d times in all", tick, i, len(m.frame))
			}
		}
	}
	p.stop()
	if calls.Load() != 5*200 {
		t.Errorf("%d builds, want 1000", calls.Load())
	}
	if setups.Load() != 2 {
		t.Errorf("setup ran %d times, want once in each worker (2)", setups.Load())
	}
	if len(seen) < 2 || !seen[&own] {
		t.Errorf("%d scratch spaces used, want the caller's and at least one worker's", len(seen))
	}
}

// TestBuildPoolLateWorker holds the only worker until the room has built the whole tick by
// itself: the room does not wait for it, and when the worker runs, it finds the tick used up
// and builds nothing twice.
func TestBuildPoolLateWorker(t *testing.T) {
	release := make(chan struct{})
	p := newBuildPool(1, func() { <-release })
	defer p.stop()
	var sc netcode.DeltaScratch
	done := make(chan struct{}, 1)
	members := make([]*member, 100)
	for i := range members {
		members[i] = &member{}
	}
	build := func(_ *netcode.DeltaScratch, m *member) { m.frame = append(m.frame, 1) }
	p.run(&sc, done, members, build) // returns although the worker has not started
	close(release)
	p.run(&sc, done, members, build) // the worker now takes the old tick's batch, then this one's
	for i, m := range members {
		if len(m.frame) != 2 {
			t.Fatalf("member %d built %d times in two ticks", i, len(m.frame))
		}
	}
}

// TestBuildPoolSharedByRooms has several rooms tick at once on one pool, so that shares queue
// behind each other's and some find the queue full: each room's members are still built
// exactly once a tick, and each room's run returns only when its own are.
func TestBuildPoolSharedByRooms(t *testing.T) {
	p := newBuildPool(2, nil)
	defer p.stop()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc netcode.DeltaScratch
			done := make(chan struct{}, 1)
			members := make([]*member, 150)
			for i := range members {
				members[i] = &member{}
			}
			build := func(_ *netcode.DeltaScratch, m *member) { m.frame = append(m.frame, 1) }
			for tick := 1; tick <= 20; tick++ {
				p.run(&sc, done, members, build)
				for i, m := range members {
					if len(m.frame) != tick {
						t.Errorf("tick %d: member %d built %d times in all", tick, i, len(m.frame))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

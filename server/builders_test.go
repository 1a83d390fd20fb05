package main

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tickwire/tickwire/netcode"
)

// TestBuildersBuildEachMemberOnce runs the pool over more members than the parallel threshold,
// tick after tick: every member is built exactly once a tick, and no scratch is shared.
// (With two workers and the caller, a share that finds the queue full is built by the caller,
// which changes who builds it, not how often.)
func TestBuildersBuildEachMemberOnce(t *testing.T) {
	var calls atomic.Int64
	seen := map[*netcode.DeltaScratch]bool{}
	scratches := make(chan *netcode.DeltaScratch, 4096)
	var setups atomic.Int64
	p := newBuildPool(2, func() { setups.Add(1) })
	defer p.stop()
	build := func(sc *netcode.DeltaScratch, m *member) {
		calls.Add(1)
		m.frame = append(m.frame, 1) // each member is written by one goroutine only (-race checks)
		scratches <- sc
	}
	var own netcode.DeltaScratch
	var done sync.WaitGroup
	members := make([]*member, 200)
	for i := range members {
		members[i] = &member{}
	}
	for tick := 1; tick <= 5; tick++ {
		p.run(&own, &done, members, build)
		for i, m := range members {
			if len(m.frame) != tick {
				t.Fatalf("tick %d: member %d built %d times in all", tick, i, len(m.frame))
			}
		}
		for len(scratches) > 0 {
			seen[<-scratches] = true
		}
	}
	if calls.Load() != 5*200 {
		t.Errorf("%d builds, want 1000", calls.Load())
	}
	if setups.Load() != 2 {
		t.Errorf("setup ran %d times, want once in each worker (2)", setups.Load())
	}
	if len(seen) != 3 || !seen[&own] {
		t.Errorf("%d scratch spaces used, want one per goroutine (3), the caller's among them", len(seen))
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
			var done sync.WaitGroup
			members := make([]*member, 150)
			for i := range members {
				members[i] = &member{}
			}
			build := func(_ *netcode.DeltaScratch, m *member) { m.frame = append(m.frame, 1) }
			for tick := 1; tick <= 20; tick++ {
				p.run(&sc, &done, members, build)
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

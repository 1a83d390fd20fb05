package main

import (
	"sync/atomic"
	"testing"

	"github.com/tickwire/tickwire/netcode"
)

// TestBuildersBuildEachMemberOnce runs the pool over more members than the parallel threshold,
// tick after tick: every member is built exactly once a tick, and no scratch is shared.
func TestBuildersBuildEachMemberOnce(t *testing.T) {
	var calls atomic.Int64
	seen := map[*netcode.DeltaScratch]bool{}
	scratches := make(chan *netcode.DeltaScratch, 4096)
	var setups atomic.Int64
	b := newBuilders(3, func() { setups.Add(1) }, func(sc *netcode.DeltaScratch, m *member) {
		calls.Add(1)
		m.frame = append(m.frame, 1) // each member is written by one goroutine only (-race checks)
		scratches <- sc
	})
	defer b.stop()
	members := make([]*member, 200)
	for i := range members {
		members[i] = &member{}
	}
	for tick := 1; tick <= 5; tick++ {
		b.run(members)
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
		t.Errorf("setup ran %d times, want once in each extra goroutine (2)", setups.Load())
	}
	if len(seen) != 3 {
		t.Errorf("%d scratch spaces used, want one per goroutine (3)", len(seen))
	}
}

package main

import (
	"syscall"
	"testing"
)

// threadNice returns the nice value of the calling thread.
func threadNice() (int, error) {
	// getpriority's raw syscall returns 20 - nice, so that it is never negative.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	return 20 - p, err
}

// TestPrioritizeTickThread raises a goroutine's thread's nice value (which needs no
// privilege) and checks that it applies to that thread only.
func TestPrioritizeTickThread(t *testing.T) {
	before, err := threadNice()
	if err != nil {
		t.Fatal(err)
	}
	want := min(before+7, 19)
	got := make(chan int)
	go func() {
		if err := prioritizeTickThread(want); err != nil {
			t.Error(err)
		}
		n, _ := threadNice()
		got <- n
		// Returning ends the locked thread with its priority.
	}()
	if n := <-got; n != want {
		t.Errorf("tick thread nice %d, want %d", n, want)
	}
	if n, _ := threadNice(); n != before {
		t.Errorf("the test's own thread went from nice %d to %d", before, n)
	}
}

package main

import (
	"fmt"
	"runtime"
	"syscall"
)

// prioritizeTickThread gives the calling goroutine an OS thread of its own at the nice value
// nice (-20, the most favoured, to 19), so that a room's tick, which the snapshots of every
// player wait on, is not the thread the kernel takes turns away from when the machine is
// busy. Linux sets niceness per thread. The goroutine keeps the thread until it returns, and
// the thread then ends with it, so no other goroutine ever runs at that priority. A nice
// value below the current one needs CAP_SYS_NICE (root); without it the thread stays locked
// at its old priority and the error says why.
func prioritizeTickThread(nice int) error {
	runtime.LockOSThread()
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice); err != nil {
		return fmt.Errorf("tick thread priority %d: %w (a nice value below 0 needs CAP_SYS_NICE)", nice, err)
	}
	return nil
}

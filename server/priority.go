package main

import (
	"log/slog"
	"sync"
)

// tickThreads returns a function that prioritizes the calling goroutine's thread at nice
// value nice (prioritizeTickThread), logging once on log if it cannot; nil for nice 0.
func tickThreads(nice int, log *slog.Logger) func() {
	if nice == 0 {
		return nil
	}
	var warned sync.Once
	return func() {
		if err := prioritizeTickThread(nice); err != nil {
			warned.Do(func() { log.Warn("tick threads keep the process's priority", "err", err) })
		}
	}
}

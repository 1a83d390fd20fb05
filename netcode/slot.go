package netcode

import "sync"

// latestFrame is a session's snapshot outbox: it holds at most one frame, and a newer frame
// replaces one the writer has not taken yet (latest wins), so the room never waits for a slow
// socket. It also keeps the session's spare buffers, so that at most three snapshot buffers
// exist per session (one being filled, one pending, one being written) and steady state
// allocates nothing.
type latestFrame struct {
	mu      sync.Mutex // guards the fields below
	pending []byte     // the newest frame, not yet taken by the writer; nil if none
	free    [][]byte   // spare buffers; at most two
}

// buffer returns an empty buffer to fill: a spare one if there is one.
func (l *latestFrame) buffer() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		b := l.free[n-1]
		l.free = l.free[:n-1]
		return b[:0]
	}
	return make([]byte, 0, 512) // a snapshot is a few hundred bytes; append grows it if not
}

// put makes b the pending frame and reports whether it replaced an unsent one.
func (l *latestFrame) put(b []byte) (replaced bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending != nil {
		l.recycleLocked(l.pending)
		replaced = true
	}
	l.pending = b
	return replaced
}

// take removes and returns the pending frame, or nil.
func (l *latestFrame) take() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.pending
	l.pending = nil
	return b
}

// recycle gives back a buffer that take returned, once it has been written.
func (l *latestFrame) recycle(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recycleLocked(b)
}

func (l *latestFrame) recycleLocked(b []byte) {
	if l.free == nil {
		l.free = make([][]byte, 0, 2)
	}
	if len(l.free) < cap(l.free) {
		l.free = append(l.free, b)
	}
}

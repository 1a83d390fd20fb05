package netcode

import "unsafe"

// Prefetching the next client. At a thousand clients a tick, each client's view is cold in
// the cache when its turn comes: its struct, then its lists, which the struct points to. A
// load that misses holds up the core until it arrives, and touch (delta.go) can only make a
// client's misses overlap. A prefetch does not hold anything up: the lines are fetched while
// the core builds the snapshot before, and are there when the client's turn comes.
//
// Go has no prefetch, so prefetchLines is a few instructions of assembly where there is one
// (amd64); elsewhere it does nothing. A client whose lists were prefetched skips touch; one
// that was not named, or any client where nothing is prefetched, still has its misses
// overlapped by touch.

// Prefetch tells sc that the client of view v comes after the one whose snapshot it builds
// next: the caller names each client a turn ahead. It starts fetching v's struct; the next
// AppendForWith on sc fetches v's lists partway through, once the struct is there to say
// where they are. A view named and not built next costs a few wasted fetches, nothing else.
func (sc *DeltaScratch) Prefetch(v *ClientView) {
	prefetchLines(unsafe.Pointer(v), unsafe.Sizeof(*v))
	sc.next = v
}

// Prefetch is DeltaScratch.Prefetch for AppendFor.
func (e *DeltaEncoder) Prefetch(v *ClientView) { e.scratch.Prefetch(v) }

// prefetchNext fetches the lists of the view sc was told comes next, if any.
func (sc *DeltaScratch) prefetchNext() {
	v := sc.next
	if v == nil {
		return
	}
	sc.next, sc.fetched = nil, v
	in, bv := &v.players, &v.bullets
	prefetchSlice(in.dues[:min(in.active, len(in.dues))]) // the dues the test reads
	prefetchSlice(in.near)
	prefetchSlice(in.index)
	prefetchSlice(in.visible)
	prefetchSlice(bv.index)
	prefetchSlice(bv.visible)
	basePlayers, baseBullets, _, _ := v.find(v.Ack)
	prefetchSlice(basePlayers)
	prefetchSlice(baseBullets)
}

// prefetchSlice fetches the lines of s.
func prefetchSlice[T any](s []T) {
	if len(s) > 0 {
		prefetchLines(unsafe.Pointer(unsafe.SliceData(s)), uintptr(len(s))*unsafe.Sizeof(s[0]))
	}
}

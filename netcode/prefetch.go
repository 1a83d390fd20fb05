package netcode

import (
	"math"
	"unsafe"
)

// Getting a client's view into the cache. At a thousand clients a tick, each client's view is
// cold in the cache when its turn comes: its struct, then its lists, which the struct points
// to. A load that misses holds up the core until it arrives, and touch (below) can only make
// a client's misses overlap. A prefetch does not hold anything up: the lines are fetched while
// the core builds the snapshot before, and are there when the client's turn comes.
//
// Go has no prefetch, so prefetchLines is a few instructions of assembly where there is one
// (amd64); elsewhere it does nothing. A client whose lists were prefetched skips touch; one
// that was not named, or any client where nothing is prefetched, still has its misses
// overlapped by touch.

// Prefetch tells sc that the client of view v comes after the one whose snapshot it builds
// next: the caller names each client a turn ahead. It starts fetching v's struct; the next
// AppendForWith on sc fetches v's lists partway through, once the struct is there to say
// where they are, in two goes (prefetchNext, prefetchRest). A view named and not built next
// costs a few wasted fetches, nothing else.
func (sc *DeltaScratch) Prefetch(v *ClientView) {
	prefetchLines(unsafe.Pointer(v), unsafe.Sizeof(*v))
	sc.next = v
}

// Prefetch is DeltaScratch.Prefetch for AppendFor.
func (e *DeltaEncoder) Prefetch(v *ClientView) { e.scratch.Prefetch(v) }

// prefetchNext fetches the lists of the Interest of the view sc was told comes next, if any:
// the first of the lists touch reads that the view's snapshot uses. prefetchRest, called
// later, fetches the others.
//
// A core keeps only so many misses in flight: with all of a view's lists asked for at once,
// the last prefetches waited for a place, and the core with them. In two goes, the second
// once this client's players are encoded, the first have come in by the second (paired: 16
// to 39 ns a client less with acks at once, warm and cold, and with late acks in four runs of
// five).
func (sc *DeltaScratch) prefetchNext() {
	v := sc.next
	if v == nil {
		return
	}
	sc.next, sc.fetched, sc.rest = nil, v, v
	in := &v.players
	prefetchSlice(in.dues[:min(in.active, len(in.dues))]) // the dues the test reads
	prefetchSlice(in.near)
	prefetchSlice(in.index)
	prefetchSlice(in.visible)
}

// prefetchRest fetches the rest of the lists of the view whose Interest's lists prefetchNext
// fetched: its bullets' and its baseline's.
func (sc *DeltaScratch) prefetchRest() {
	v := sc.rest
	if v == nil {
		return
	}
	sc.rest = nil
	bv := &v.bullets
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

// touch reads a word of each cache line of the client's lists, before any of them is used.
// Each is first read at a different step of the snapshot, so that their misses came one after
// the other; read here together, with nothing waiting for them, the misses overlap.
//
// These are the lists prefetchNext and prefetchRest fetch. touch and the prefetches each name
// them: one enumeration for all, returning the spans, cost the prefetched clients 16 to 40 ns
// each.
func (v *ClientView) touch(basePlayers, baseBullets []uint32) uint32 {
	in, bv := &v.players, &v.bullets
	t := touchLines(in.near) + touchLines(in.index) + touchLines(in.visible) + touchLines(bv.index) +
		touchLines(bv.visible) + touchLines(basePlayers) + touchLines(baseBullets)
	dues := in.dues
	for i := len(dues) - 1; i >= 0; i -= 64 / 4 {
		t += int32(math.Float32bits(dues[i]))
	}
	return uint32(t)
}

// touchLines reads a word of each 64-byte line of s (if s ends at the end of one), and returns
// their sum. (It counts down, which spares the loads their bounds checks.)
func touchLines[T ~int32 | ~uint32](s []T) int32 {
	var t int32
	for i := len(s) - 1; i >= 0; i -= 64 / 4 {
		t += int32(s[i])
	}
	return t
}

//go:build !purego

package netcode

// aboveMask returns a mask with bit k set for each of the n float32s at p (n a multiple of 4,
// at most 64) that is above now, four at a time (due_amd64.s). Interest.test finds the due
// candidates with it.
//
//go:noescape
func aboveMask(p *float32, n int, now float32) uint64

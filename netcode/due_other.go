//go:build !amd64 || purego

package netcode

import "unsafe"

// aboveMask returns a mask with bit k set for each of the n float32s at p (at most 64) that
// is above now: aboveEach, as there is no assembly for this architecture.
func aboveMask(p *float32, n int, now float32) uint64 {
	return aboveEach(unsafe.Slice(p, n), now)
}

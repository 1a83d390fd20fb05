//go:build !amd64 || purego

package netcode

import "unsafe"

// aboveMask returns a mask with bit k set for each of the n float32s at p (at most 64) that
// is above now, one at a time: there is no assembly for this architecture.
func aboveMask(p *float32, n int, now float32) uint64 {
	var m uint64
	for k, d := range unsafe.Slice(p, n) {
		if d > now {
			m |= 1 << k
		}
	}
	return m
}

//go:build !purego

package netcode

import "unsafe"

// canPrefetch says that prefetchLines prefetches.
const canPrefetch = true

// prefetchLines fetches the cache lines of the n bytes at p into every level of the cache,
// without waiting for them (PREFETCHT0). Memory there need not be valid: a prefetch never
// faults.
//
//go:noescape
func prefetchLines(p unsafe.Pointer, n uintptr)

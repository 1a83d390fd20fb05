//go:build !amd64 || purego

package netcode

import "unsafe"

// canPrefetch says that prefetchLines does nothing.
const canPrefetch = false

// prefetchLines does nothing: Go has no prefetch, and this architecture no assembly for one.
func prefetchLines(p unsafe.Pointer, n uintptr) {}

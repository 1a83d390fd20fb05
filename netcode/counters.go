package netcode

import "sync/atomic"

// Counters add up what many sessions do, for the server's metrics. Sessions given the same
// Counters (SessionConfig.Counters) add to them concurrently.
type Counters struct {
	BytesIn           atomic.Uint64 // payload bytes of client frames
	BytesOut          atomic.Uint64 // payload bytes of server frames
	SnapshotsReplaced atomic.Uint64 // snapshots replaced by a newer one before they were sent
	InputsDropped     atomic.Uint64 // inputs dropped by the rate limiter
}

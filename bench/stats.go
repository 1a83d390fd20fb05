package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"
)

// serverStats is the JSON the server serves at GET /stats (server/server.go, Stats). Counters
// and histograms are cumulative since the room started: the bench reads them at the start
// and at the end of its window and subtracts.
type serverStats struct {
	Rooms         []roomStats `json:"rooms"`
	Sessions      int64       `json:"sessions"`
	Goroutines    int         `json:"goroutines"`
	BucketUpperNS []uint64    `json:"bucket_upper_ns"` // bucket i counts durations up to this
}

// roomStats mirrors server.RoomStats.
type roomStats struct {
	ID            string   `json:"id"`
	Players       int      `json:"players"`
	Tick          uint32   `json:"tick"`
	TickRate      int      `json:"tick_rate"`
	SnapshotRate  int      `json:"snapshot_rate"`
	Ticks         uint64   `json:"ticks"`
	Overruns      uint64   `json:"overruns"`
	Skipped       uint64   `json:"skipped"`
	InputsDropped uint64   `json:"inputs_dropped"`
	Resyncs       uint64   `json:"resyncs"`       // full snapshots clients asked for after deltas
	TickTime      histSnap `json:"tick_time"`     // the whole tick
	StepTime      histSnap `json:"step_time"`     // game.World.Step
	SnapshotTime  histSnap `json:"snapshot_time"` // encoding and hand-off
	EncodeTime    histSnap `json:"encode_time"`   // interest, deltas and encoding, all clients
	HandoffTime   histSnap `json:"handoff_time"`  // handing the frames to the sessions
}

// histSnap mirrors server.HistogramSnapshot.
type histSnap struct {
	Counts []uint64 `json:"counts"`
	SumNS  uint64   `json:"sum_ns"`
	MaxNS  uint64   `json:"max_ns"`
}

// statsClient reads a server's /stats.
type statsClient struct {
	url  string
	http *http.Client
}

func newStatsClient(addr string) *statsClient {
	return &statsClient{url: "http://" + addr + "/stats", http: &http.Client{Timeout: 3 * time.Second}}
}

func (c *statsClient) read(ctx context.Context) (*serverStats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: reading %s: %w", c.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: reading %s: HTTP %d", c.url, resp.StatusCode)
	}
	var st serverStats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("bench: decoding %s: %w", c.url, err)
	}
	return &st, nil
}

// readRetry reads /stats, trying up to three times: under full load one request may time out,
// and the window's readings are worth a second try.
func (c *statsClient) readRetry(ctx context.Context) (*serverStats, error) {
	var err error
	for range 3 {
		var st *serverStats
		if st, err = c.read(ctx); err == nil || ctx.Err() != nil {
			return st, err
		}
	}
	return nil, err
}

// busiestRoom returns the room with the most players, or nil. The bench puts every player in
// one room; if the server spread them over several, the report says how many rooms there were.
func (st *serverStats) busiestRoom() *roomStats {
	var best *roomStats
	for i := range st.Rooms {
		if r := &st.Rooms[i]; best == nil || r.Players > best.Players {
			best = r
		}
	}
	return best
}

// room returns the room with the given id, or nil.
func (st *serverStats) room(id string) *roomStats {
	for i := range st.Rooms {
		if st.Rooms[i].ID == id {
			return &st.Rooms[i]
		}
	}
	return nil
}

// windowHist is the distribution of one histogram between two readings.
type windowHist struct {
	counts []uint64
	upper  []uint64 // bucket upper edges, ns
	total  uint64
	sumNS  uint64
	maxNS  uint64 // the largest value in the window, or its bucket's upper edge (see diffHist)
}

// diffHist subtracts the reading a (taken first; nil means zero) from b. The exact maximum of
// the window is known only when it rose in the window; otherwise the window's maximum is
// estimated as the upper edge of its highest non-empty bucket, capped at the cumulative
// maximum.
func diffHist(a *histSnap, b histSnap, upper []uint64) windowHist {
	w := windowHist{counts: make([]uint64, len(b.Counts)), upper: upper}
	top := -1
	for i, c := range b.Counts {
		if a != nil && i < len(a.Counts) {
			c -= min(c, a.Counts[i])
		}
		w.counts[i] = c
		w.total += c
		if c > 0 {
			top = i
		}
	}
	w.sumNS = b.SumNS
	if a != nil {
		w.sumNS -= min(b.SumNS, a.SumNS)
	}
	switch {
	case top < 0:
	case a == nil || b.MaxNS > a.MaxNS:
		w.maxNS = b.MaxNS
	case top < len(upper):
		w.maxNS = min(upper[top], b.MaxNS)
	default:
		w.maxNS = b.MaxNS
	}
	return w
}

// quantile returns the q-quantile of the window: the upper edge of the bucket where the
// cumulative count reaches q of the total, never above the window's maximum.
func (w windowHist) quantile(q float64) time.Duration {
	if w.total == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(w.total))), 1)
	var seen uint64
	for i, c := range w.counts {
		seen += c
		if seen >= rank && i < len(w.upper) {
			return time.Duration(min(w.upper[i], w.maxNS))
		}
	}
	return time.Duration(w.maxNS)
}

func (w windowHist) mean() time.Duration {
	if w.total == 0 {
		return 0
	}
	return time.Duration(w.sumNS / w.total)
}

// summary is the usual quartet, in milliseconds, for the report.
func (w windowHist) summary() *durSummary {
	return &durSummary{
		Count: w.total,
		Mean:  ms(w.mean()),
		P50:   ms(w.quantile(0.50)),
		P90:   ms(w.quantile(0.90)),
		P99:   ms(w.quantile(0.99)),
		Max:   ms(time.Duration(w.maxNS)),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

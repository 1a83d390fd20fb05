package main

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tickwire/tickwire/netcode"
)

// metrics are the server's Prometheus metrics, served at /metrics. Labels are bounded: a
// room's series exist while the room does (at most -max-rooms), close codes are a short list,
// and nothing is labelled per player.
type metrics struct {
	reg      *prometheus.Registry
	counters *netcode.Counters // filled by every session

	tickDuration  *prometheus.HistogramVec // room
	tickOverruns  *prometheus.CounterVec   // room
	opened        prometheus.Counter
	closed        *prometheus.CounterVec // code
	inputsDropped *prometheus.CounterVec // reason
	rtt           prometheus.Histogram
	reconnects    prometheus.Counter
	resyncs       prometheus.Counter
}

func newMetrics(lobby *Lobby) *metrics {
	m := &metrics{
		reg:      prometheus.NewRegistry(),
		counters: new(netcode.Counters),
		tickDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tickwire_tick_duration_seconds",
			Help: "Time a room spends on one tick: simulation, snapshot encoding and hand-off.",
			// 50 us to 200 ms: a healthy tick at 30 Hz is well under its 33 ms budget.
			Buckets: prometheus.ExponentialBucketsRange(50e-6, 0.2, 16),
		}, []string{"room"}),
		tickOverruns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_tick_overruns_total",
			Help: "Ticks that took longer than the tick period.",
		}, []string{"room"}),
		opened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickwire_connections_opened_total",
			Help: "WebSocket connections upgraded.",
		}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_connections_closed_total",
			Help: "WebSocket connections ended, by close code (1006: ended without a close frame).",
		}, []string{"code"}),
		inputsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_inputs_dropped_total",
			Help: "Client inputs dropped: over the rate limit, room queue full, or a player's input queue overflowing.",
		}, []string{"reason"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickwire_reconnects_total",
			Help: "Players taken over again by their token after a dropped connection.",
		}),
		resyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickwire_resyncs_total",
			Help: "Full snapshots clients asked for after they had been sent deltas: a snapshot they could not apply (checksum or baseline mismatch).",
		}),
		rtt: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tickwire_rtt_seconds",
			Help:    "Round-trip time to clients, from WebSocket ping frames.",
			Buckets: prometheus.ExponentialBucketsRange(0.0005, 2, 14),
		}),
	}
	c := m.counters
	counterFunc := func(name, help string, v func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v()) })
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.tickDuration, m.tickOverruns, m.opened, m.closed, m.inputsDropped, m.rtt, m.reconnects, m.resyncs,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickwire_rooms", Help: "Open rooms."},
			func() float64 { return float64(len(lobby.Rooms())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickwire_players", Help: "Players in all rooms, spectators not included."},
			func() float64 { return sumRooms(lobby, (*Room).Players) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickwire_spectators", Help: "Spectators in all rooms."},
			func() float64 { return sumRooms(lobby, (*Room).Spectators) }),
		counterFunc("tickwire_bytes_received_total", "Payload bytes received from clients.", c.BytesIn.Load),
		counterFunc("tickwire_bytes_sent_total", "Payload bytes sent to clients.", c.BytesOut.Load),
		counterFunc("tickwire_snapshots_replaced_total", "Snapshots replaced by a newer one before they were sent (slow clients).", c.SnapshotsReplaced.Load),
		counterFunc("tickwire_inputs_rate_limited_total", "Client inputs dropped by the per-client rate limit.", c.InputsDropped.Load),
	)
	return m
}

// sumRooms adds up count over the lobby's rooms.
func sumRooms(lobby *Lobby, count func(*Room) int) float64 {
	n := 0
	for _, r := range lobby.Rooms() {
		n += count(r)
	}
	return float64(n)
}

// handler serves the metrics in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// sessionClosed counts a session that ended with cause.
func (m *metrics) sessionClosed(cause error) {
	code := int(netcode.CloseCodeOf(cause))
	if code == 0 {
		code = 1006 // no close frame: the connection just ended
	}
	m.closed.WithLabelValues(strconv.Itoa(code)).Inc()
}

// observeRTT is the sessions' RTT hook.
func (m *metrics) observeRTT(rtt, _ time.Duration) { m.rtt.Observe(rtt.Seconds()) }

// roomMetrics are the series of one room, resolved once so the tick does no label lookups.
type roomMetrics struct {
	reconnects prometheus.Counter
	resyncs    prometheus.Counter
	tick       prometheus.Observer
	overruns   prometheus.Counter
	queueFull  prometheus.Counter
	jitter     prometheus.Counter
}

func (m *metrics) forRoom(id string) roomMetrics {
	return roomMetrics{
		reconnects: m.reconnects,
		resyncs:    m.resyncs,
		tick:       m.tickDuration.WithLabelValues(id),
		overruns:   m.tickOverruns.WithLabelValues(id),
		queueFull:  m.inputsDropped.WithLabelValues("room_queue_full"),
		jitter:     m.inputsDropped.WithLabelValues("jitter_buffer_full"),
	}
}

// roomClosed drops a closed room's series.
func (m *metrics) roomClosed(id string) {
	m.tickDuration.DeleteLabelValues(id)
	m.tickOverruns.DeleteLabelValues(id)
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/netcode"
)

// Server is the dedicated server: HTTP routes, WebSocket sessions and the lobby of rooms.
type Server struct {
	cfg      Config
	log      *slog.Logger
	lobby    *Lobby
	metrics  *metrics
	upgrader websocket.Upgrader
	session  netcode.SessionConfig
	// handshakeTimeout bounds the reading of a request's headers, so that a client that
	// opens a socket and dribbles (slow-loris) does not hold it.
	handshakeTimeout time.Duration

	// admitMu orders admissions against the start of draining: no session is admitted
	// (counted in sessions) once draining is set, so the drain's Wait sees every one.
	admitMu  sync.Mutex
	draining atomic.Bool

	// Sessions run under sessCtx; cancelling it closes them all with 1001. Cancelling
	// abortCtx drops the connections of those that have not ended.
	sessCtx    context.Context
	sessCancel context.CancelFunc
	abortCtx   context.Context
	abortAll   context.CancelFunc
	sessions   sync.WaitGroup
	// liveSessions counts the sessions being served.
	liveSessions atomic.Int64

	ipMu    sync.Mutex     // guards ipConns
	ipConns map[string]int // WebSocket connections per client IP
}

// handshakeTimeout is how long a client has to send its request's headers after it opens a
// socket. The WebSocket's first message then has netcode's join timeout.
const handshakeTimeout = 5 * time.Second

// admit counts a new session in s.sessions, unless the server is draining. A caller that
// admitted one and then does not run it calls s.sessions.Done.
func (s *Server) admit() bool {
	s.admitMu.Lock()
	defer s.admitMu.Unlock()
	if s.draining.Load() {
		return false
	}
	s.sessions.Add(1)
	return true
}

// startDraining refuses sessions from now on.
func (s *Server) startDraining() {
	s.admitMu.Lock()
	defer s.admitMu.Unlock()
	s.draining.Store(true)
}

// acquireIP counts a connection from ip and reports whether it is within the cap.
func (s *Server) acquireIP(ip string) bool {
	s.ipMu.Lock()
	defer s.ipMu.Unlock()
	if s.ipConns[ip] >= s.cfg.MaxConnsPerIP {
		return false
	}
	s.ipConns[ip]++
	return true
}

func (s *Server) releaseIP(ip string) {
	s.ipMu.Lock()
	defer s.ipMu.Unlock()
	if s.ipConns[ip]--; s.ipConns[ip] <= 0 {
		delete(s.ipConns, ip)
	}
}

// NewServer checks the map and sets up the lobby that cfg describes. Rooms open as players
// arrive.
func NewServer(cfg Config, log *slog.Logger) (*Server, error) {
	m, err := game.LoadMap(cfg.Map)
	if err != nil {
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	newWorld := func(seed uint64) (*game.World, error) {
		return game.NewWorld(game.Config{
			Map: m, TickRate: cfg.TickRate, Width: cfg.ArenaSize, Height: cfg.ArenaSize, Seed: seed,
		})
	}
	probe, err := newWorld(seed) // fail at start, not at the first join
	if err != nil {
		return nil, err
	}
	log.Info("arena ready", "map", m.Name, "width", probe.Arena.W, "height", probe.Arena.H,
		"tick_rate", cfg.TickRate, "snapshot_rate", cfg.SnapshotRate, "seed", seed)
	s := &Server{
		cfg:     cfg,
		log:     log,
		ipConns: make(map[string]int),
		lobby: &Lobby{
			log:      log,
			newWorld: newWorld,
			roomCfg: RoomConfig{
				TickRate: cfg.TickRate, SnapshotRate: cfg.SnapshotRate,
				MaxPlayers: cfg.MaxPlayers, MaxSpectators: cfg.MaxSpectators,
				ReconnectGrace: cfg.ReconnectGrace,
				ViewRadius:     cfg.ViewRadius,
			},
			maxRooms:    cfg.MaxRooms,
			idleTimeout: cfg.RoomIdleTimeout,
			seed:        seed,
			rooms:       make(map[string]*lobbyRoom),
		},
	}
	s.metrics = newMetrics(s.lobby)
	s.lobby.metrics = s.metrics
	s.session = netcode.SessionConfig{
		MessageRate:  2 * float64(cfg.TickRate),
		MessageBurst: cfg.TickRate,
		// On shutdown a client has until the drain deadline to answer the close; then Serve
		// drops what is left. The session's own wait is only a backstop, a little longer, so
		// that it is the deadline that ends the drain.
		ShutdownGrace: cfg.DrainTimeout + time.Second,
		Counters:      s.metrics.counters,
		OnRTT:         s.metrics.observeRTT,
	}
	s.handshakeTimeout = handshakeTimeout
	s.upgrader = websocket.Upgrader{
		Subprotocols: []string{netcode.Subprotocol},
		// Memory per connection: client frames are small, and a connection holds a write
		// buffer only while it writes (the pool), not for its whole life.
		ReadBufferSize:  512,
		WriteBufferSize: 2048,
		WriteBufferPool: new(sync.Pool),
		// Checked in serveWS before upgrading, so that a refusal can say why.
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: false,
	}
	s.sessCtx, s.sessCancel = context.WithCancel(context.Background())
	s.abortCtx, s.abortAll = context.WithCancel(context.Background())
	return s, nil
}

// Handler returns the server's HTTP routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(client.Static()))
	mux.Handle("GET /vendor/msgpack/", http.StripPrefix("/vendor/msgpack/", http.FileServerFS(client.Msgpack())))
	mux.HandleFunc("GET /ws", s.serveWS)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /stats", s.serveStats)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET /rooms", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"rooms": s.lobby.List()})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if s.draining.Load() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// Stats is the JSON that /stats serves: what the benchmark and operators read.
type Stats struct {
	Rooms      []RoomStats `json:"rooms"`
	Sessions   int64       `json:"sessions"`
	Goroutines int         `json:"goroutines"`
	// Bucket i of every histogram counts durations up to BucketUpperNS[i] nanoseconds.
	BucketUpperNS []uint64 `json:"bucket_upper_ns"`
}

func (s *Server) serveStats(w http.ResponseWriter, _ *http.Request) {
	st := Stats{
		Rooms:      []RoomStats{},
		Sessions:   s.liveSessions.Load(),
		Goroutines: runtime.NumGoroutine(),
	}
	for _, r := range s.lobby.Rooms() {
		st.Rooms = append(st.Rooms, r.Stats())
	}
	for b := range histBuckets {
		st.BucketUpperNS = append(st.BucketUpperNS, bucketUpper(b))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

// serveWS upgrades a client and starts its session: a goroutine for its read loop, which
// starts the write loop.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if !slices.Contains(websocket.Subprotocols(r), netcode.Subprotocol) {
		http.Error(w, "tickwire: the WebSocket subprotocol "+netcode.Subprotocol+" is required", http.StatusBadRequest)
		return
	}
	if !s.originAllowed(r) {
		http.Error(w, "tickwire: origin not allowed: "+r.Header.Get("Origin"), http.StatusForbidden)
		return
	}
	if !s.admit() {
		http.Error(w, "tickwire: server shutting down", http.StatusServiceUnavailable)
		return
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	if !s.acquireIP(ip) {
		s.sessions.Done()
		http.Error(w, "tickwire: too many connections from your address", http.StatusTooManyRequests)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.releaseIP(ip)
		s.sessions.Done()
		return // the upgrader has answered with an HTTP error
	}
	q := r.URL.Query()
	sess := netcode.NewSession(conn, s.session, s.log.With("remote", r.RemoteAddr))
	sess.Spectator = q.Get("spectate") == "1"
	var h netcode.Handler
	switch {
	case q.Get("create") == "1":
		h, err = s.lobby.Create(q.Get("private") == "1")
	case q.Get("room") != "":
		h, err = s.lobby.Find(q.Get("room"))
	default:
		h = &placedHandler{lobby: s.lobby} // placed when its join arrives
	}
	if err != nil {
		// Placement fails after the upgrade so that a browser can read why.
		var ce *netcode.CloseError
		if !errors.As(err, &ce) {
			s.log.Error("placing a player", "err", err)
			ce = &netcode.CloseError{Code: netcode.CloseInternal, Reason: "could not open a room"}
		}
		sess.Close(ce)
		h = refuseAll{}
	}
	s.liveSessions.Add(1)
	s.metrics.opened.Inc()
	// The session's read loop runs in a goroutine of its own, and this handler returns: the
	// HTTP connection's buffers and this goroutine's stack, grown by the handshake, are freed
	// rather than kept for the session's life (about 8 KiB a player).
	go func() {
		stop := context.AfterFunc(s.abortCtx, sess.Abort)
		cause := sess.Run(s.sessCtx, h)
		stop()
		s.metrics.sessionClosed(cause)
		s.releaseIP(ip)
		s.liveSessions.Add(-1)
		s.sessions.Done()
	}()
}

// refuseAll is the handler of a session that is being closed before it reaches a room.
type refuseAll struct{}

func (refuseAll) HandleJoin(*netcode.Session, netcode.Join) error {
	return &netcode.CloseError{Code: netcode.CloseInternal, Reason: "no room"}
}
func (refuseAll) HandleInput(*netcode.Session, netcode.Input) {}
func (refuseAll) HandleWatch(*netcode.Session, netcode.Watch) {}
func (refuseAll) HandleLeave(*netcode.Session, error)         {}
func (refuseAll) ServerTick() uint32                          { return 0 }

// originAllowed accepts requests without an Origin (not from a browser), from the server's
// own host, or from an allowed origin.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, a := range s.cfg.AllowedOrigins {
		if a == "*" || strings.EqualFold(a, origin) {
			return true
		}
	}
	return false
}

// adminHandler serves net/http/pprof and the metrics, for the loopback admin address only.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/metrics", s.metrics.handler())
	mux.HandleFunc("/stats", s.serveStats)
	return mux
}

// startRooms starts what the rooms run on: their context, the snapshot build pool and the
// reaper of idle rooms. The function it returns stops the rooms, waits for them, and stops the
// pool; calls after the first do nothing.
func (s *Server) startRooms() (stop func()) {
	roomsCtx, cancel := context.WithCancel(context.Background())
	s.lobby.ctx = roomsCtx
	s.lobby.prioritize = tickThreads(s.cfg.TickPriority, s.log)
	s.lobby.pool = newBuildPool(defaultBuildWorkers(), s.lobby.prioritize)
	go s.lobby.runReaper(roomsCtx)
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			s.lobby.Close()     // waits for the rooms,
			s.lobby.pool.stop() // so none uses the pool any more
		})
	}
}

// waitSessions waits for every session to end. At deadline it drops the connections of those
// that have not answered their close, and waits for them too. http.Server.Shutdown does not
// track hijacked (WebSocket) connections; the sessions WaitGroup does.
func (s *Server) waitSessions(deadline <-chan time.Time) {
	drained := make(chan struct{})
	go func() { s.sessions.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-deadline:
		s.log.Warn("drain timeout: dropping the connections that did not answer the close", "sessions", s.liveSessions.Load())
		s.abortAll()
		<-drained // the sessions end promptly once their connections are closed
	}
}

// Serve serves players on ln, and the admin routes on admin if it is not nil, until ctx ends.
// Then it shuts down: new players are refused, every client is closed with 1001, the rooms
// stop and their final scores are logged, and the clients have until the drain timeout to
// answer the close; the connections of those that have not are dropped. Serve returns once
// every session has ended.
func (s *Server) Serve(ctx context.Context, ln, admin net.Listener) error {
	stopRooms := s.startRooms()
	defer stopRooms()

	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.handshakeTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() {
		if s.cfg.TLSCert != "" {
			served <- hs.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
		} else {
			served <- hs.Serve(ln)
		}
	}()
	if admin != nil {
		as := &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: s.handshakeTimeout}
		go func() { _ = as.Serve(admin) }()
		defer as.Close()
	}

	select {
	case err := <-served:
		s.startDraining()
		s.sessCancel()
		s.abortAll()
		s.sessions.Wait()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "drain_timeout", s.cfg.DrainTimeout)
	// Drain first, with the listener still open: /readyz answers 503 so that load balancers
	// look elsewhere, and /ws refuses new players with 503.
	s.startDraining()
	timer := time.NewTimer(s.cfg.DrainTimeout)
	defer timer.Stop()
	s.sessCancel() // every session sends 1001 and waits for the client's close

	// The game ends now: the rooms stop before the players' leaves reach them, so the final
	// scores are everyone's.
	rooms := s.lobby.Rooms()
	stopRooms()
	for _, r := range rooms {
		for i, p := range r.Scores() {
			if i == 10 {
				break
			}
			r.log.Info("final score", "rank", i+1, "name", p.Name, "kills", p.Kills, "deaths", p.Deaths)
		}
	}

	s.waitSessions(timer.C)
	shutCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		s.log.Warn("http shutdown", "err", err)
	}
	return nil
}

// Command floorserver is the bench's transport floor: a WebSocket server that speaks just
// enough of the Tickwire protocol for the bench's bots (the subprotocol upgrade, join,
// welcome, inputs, pings) and does no game work at all. Every tick it hands each connection
// the same pre-built snapshot-sized frame, which the connection's writer stamps with the tick
// and the client's last input and writes. One reader and one writer goroutine per
// connection, as gorilla/websocket's chat example and the real server have it.
//
// What the real server costs above this floor, per client and tick, is what simulation,
// interest management, encoding and the room's hand-off cost. The bench starts it as its
// own process, like the real server, so that /proc measures each alone.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/netcode"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "floorserver:", err)
		os.Exit(1)
	}
}

// Timing, as the real server's session has it (netcode.SessionConfig defaults).
const (
	writeWait   = 5 * time.Second // one write may take this long
	pingPeriod  = 2 * time.Second // WebSocket ping frames
	pongWait    = 6 * time.Second // a client silent this long is dropped
	joinTimeout = 5 * time.Second // the join must come this soon
)

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("floorserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	tickRate := fs.Int("tick-rate", 30, "frames per second to every client")
	frameBytes := fs.Int("frame-bytes", 1024, "size of the frame sent every tick")
	arena := fs.Float64("arena-size", 1000, "arena side reported in the welcome")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tickRate < 1 || *tickRate > 1000 || *frameBytes < 1 || *frameBytes > 64<<20 {
		return errors.New("-tick-rate 1 to 1000, -frame-bytes 1 to 64 MiB")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	s := newFloor(*tickRate, buildFrame(*frameBytes), *arena)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("listening", "addr", ln.Addr().String(), "frame_bytes", len(s.frame), "tick_rate", *tickRate)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", s.serveWS)
	mux.HandleFunc("GET /stats", s.serveStats)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	go s.tickLoop(ctx)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	_ = hs.Close() // the listener; hijacked connections are ours to close
	s.closeAll(2 * time.Second)
	return nil
}

// floor is the server's state.
type floor struct {
	period  time.Duration
	frame   []byte // the pre-built frame; connections copy it once
	welcome func(id uint32) []byte

	upgrader websocket.Upgrader
	nextID   atomic.Uint32
	tick     atomic.Uint32

	mu    sync.Mutex // guards conns
	conns map[*conn]struct{}
	wg    sync.WaitGroup // connections being served
}

func newFloor(tickRate int, frame []byte, arena float64) *floor {
	enc := netcode.NewEncoder()
	var encMu sync.Mutex
	return &floor{
		period: time.Second / time.Duration(tickRate),
		frame:  frame,
		welcome: func(id uint32) []byte {
			encMu.Lock()
			defer encMu.Unlock()
			return enc.Welcome(netcode.Welcome{
				PlayerID: id, TickRate: tickRate, SnapshotRate: tickRate,
				Map: netcode.MapInfo{
					Name: "floor", TileSize: 32, Cols: 1, Rows: 1, Tiles: ".", Width: arena, Height: arena,
				},
				Rules: netcode.RulesInfo{PlayerRadius: 16, BulletRadius: 4, MaxHealth: 100, PlayerSpeed: 200},
			})
		},
		upgrader: websocket.Upgrader{
			Subprotocols:    []string{netcode.Subprotocol},
			ReadBufferSize:  netcode.ReadLimit,
			WriteBufferSize: 4096, // as the real server
			CheckOrigin:     func(*http.Request) bool { return true },
		},
		conns: make(map[*conn]struct{}),
	}
}

// buildFrame makes a valid protocol 4 snapshot frame of size bytes (at least 40): a full
// snapshot of entering players whose names fill it out, with the tick and lastSeq as
// fixed-width uint32 (msgpack 0xce) at known offsets, so that a writer can stamp them in place:
//
//	[4, tick, lastSeq, baseTick 0, players [], entering, bullets [], removed [], checksum 0]
//
// The checksum is not the players': a client applying the frame would ask for a resync, but
// the bench's bots only read the header, as they do from the real server.
func buildFrame(size int) []byte {
	head := []byte{0x99, byte(netcode.MsgSnapshot), 0xce, 0, 0, 0, 0, 0xce, 0, 0, 0, 0, 0x00, 0x90}
	tail := []byte{0x90, 0x90, 0x00}
	// An entering player: gap 1, x, y (uint16), vx, vy, aim, flags, health, kills, deaths,
	// hue 200, then its name as a fixstr.
	entry := []byte{0x01, 0xcd, 0x3e, 0x80, 0xcd, 0x1f, 0x40, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x00, 0xcc, 0xc8}
	const minName, maxName = 1, 16
	per := len(entry) + 1 + minName
	room := max(size-len(head)-len(tail)-3, per) // 3: the entering array's 0xdc header
	n := room / per
	extra := room - n*per // spread over the names, up to maxName each
	players := make([]byte, 0, room)
	for range n {
		name := minName + min(extra, maxName-minName)
		extra -= name - minName
		players = append(players, entry...)
		players = append(players, 0xa0|byte(name))
		players = append(players, "floorfloorfloorf"[:name]...)
	}
	frame := append(head, 0xdc, byte(n*12>>8), byte(n*12)) // 12 values a player
	frame = append(frame, players...)
	return append(frame, tail...)
}

const (
	tickOffset    = 3 // the four bytes of the tick
	lastSeqOffset = 8 // and of lastSeq
)

// tickLoop wakes every connection's writer once per tick: the whole of the floor's "game".
func (s *floor) tickLoop(ctx context.Context) {
	tk := time.NewTicker(s.period)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		s.tick.Add(1)
		s.mu.Lock()
		for c := range s.conns {
			select {
			case c.wake <- struct{}{}:
			default: // the writer has not taken the last one: latest wins
			}
		}
		s.mu.Unlock()
	}
}

func (s *floor) serveStats(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"rooms": []any{}, "sessions": n, "goroutines": runtime.NumGoroutine(), "bucket_upper_ns": []any{},
	})
}

// conn is one client: its reader is the serveWS goroutine, its writer writeLoop.
type conn struct {
	ws      *websocket.Conn
	wake    chan struct{} // capacity 1: a frame is due
	pongs   chan float64  // the clientTime of pings to answer; full: the ping goes unanswered
	done    chan struct{} // closed when the reader has ended
	lastSeq atomic.Uint32 // the newest input's seq, written by the reader
	buf     []byte        // owned by the writer
}

func (s *floor) serveWS(w http.ResponseWriter, r *http.Request) {
	if !slices.Contains(websocket.Subprotocols(r), netcode.Subprotocol) {
		http.Error(w, "floorserver: subprotocol "+netcode.Subprotocol+" required", http.StatusBadRequest)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	c := &conn{ws: ws, wake: make(chan struct{}, 1), pongs: make(chan float64, 4), done: make(chan struct{}), buf: slices.Clone(s.frame)}
	ws.SetReadLimit(netcode.ReadLimit)
	// The join: one frame, read but not decoded.
	_ = ws.SetReadDeadline(time.Now().Add(joinTimeout))
	if _, _, err := ws.NextReader(); err != nil {
		ws.Close()
		return
	}
	_ = ws.SetWriteDeadline(time.Now().Add(writeWait))
	if err := ws.WriteMessage(websocket.BinaryMessage, s.welcome(s.nextID.Add(1))); err != nil {
		ws.Close()
		return
	}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	go c.writeLoop(&s.tick)
	c.readLoop()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	close(c.done)
}

// readLoop reads every frame until the connection ends, keeping the seq of the newest input
// and handing pings to the writer, which answers them as the real server's writer does.
func (c *conn) readLoop() {
	ws := c.ws
	_ = ws.SetReadDeadline(time.Now().Add(pongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(pongWait)) })
	dec := netcode.NewClientDecoder()
	var msg netcode.ClientMessage
	buf := make([]byte, netcode.ReadLimit)
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			return
		}
		n, err := io.ReadFull(r, buf)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return
		}
		if dec.Decode(buf[:n], &msg) != nil {
			continue
		}
		switch msg.Type {
		case netcode.MsgInput:
			c.lastSeq.Store(msg.Input.Seq)
		case netcode.MsgPing:
			select {
			case c.pongs <- msg.Ping.ClientTime:
			default:
			}
		}
	}
}

// writeLoop writes the frame whenever the tick wakes it, pongs and pings, until the reader
// ends.
func (c *conn) writeLoop(tick *atomic.Uint32) {
	defer c.ws.Close()
	enc := netcode.NewEncoder()
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return
			}
		case t := <-c.pongs:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.BinaryMessage, enc.Pong(netcode.Pong{ClientTime: t, ServerTick: tick.Load()})); err != nil {
				return
			}
		case <-c.wake:
			binary.BigEndian.PutUint32(c.buf[tickOffset:], tick.Load())
			binary.BigEndian.PutUint32(c.buf[lastSeqOffset:], c.lastSeq.Load())
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.BinaryMessage, c.buf); err != nil {
				return
			}
		}
	}
}

// closeAll sends every client the 1001 close frame and waits up to grace for the
// connections to end; then it closes what is left.
func (s *floor) closeAll(grace time.Duration) {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
	for _, c := range conns {
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		for _, c := range conns {
			_ = c.ws.Close()
		}
	}
}

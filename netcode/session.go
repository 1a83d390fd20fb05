package netcode

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// SessionConfig times and bounds a session. The zero value of a field means its default.
type SessionConfig struct {
	// WriteWait is how long one write may take. A client that does not take a frame in that
	// time is dropped. Default 5s.
	WriteWait time.Duration
	// PingPeriod is the period of WebSocket ping frames. Default 2s.
	PingPeriod time.Duration
	// PongWait is how long the session waits for a pong after the last one before it drops
	// the client as dead (its read deadline; other frames do not extend it). The connection
	// then ends without a close frame, so the player may come back (Resumable). It must
	// exceed PingPeriod. Default 6s.
	PongWait time.Duration
	// JoinTimeout is how long a client has to send its join (close 4001 after). Default 5s.
	JoinTimeout time.Duration
	// CloseGrace is how long the session waits for the client to answer a close frame before
	// it closes the socket. Default 1s.
	CloseGrace time.Duration
	// ShutdownGrace is how long a session closed because Run's context ended (1001, server
	// shutting down) waits for the client's answer; the server may end the wait sooner with
	// Abort. Default CloseGrace.
	ShutdownGrace time.Duration
	// MaxBehind is how long a client may go without the writer completing a write while
	// snapshots keep replacing each other unsent; then it is closed with 4000 (fell behind).
	// Default 3s.
	MaxBehind time.Duration
	// MessageRate and MessageBurst bound client messages (inputs and pings) as a token
	// bucket. Defaults 64 per second, burst 32: twice the default tick rate.
	MessageRate  float64
	MessageBurst int
	// Counters, if set, receive the session's traffic counts as well.
	Counters *Counters
	// OnRTT, if set, receives every round-trip sample from a WebSocket ping. It is called from
	// the read loop and must be quick.
	OnRTT func(rtt, srtt time.Duration)
}

func (c SessionConfig) withDefaults() SessionConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.WriteWait, 5*time.Second)
	def(&c.PingPeriod, 2*time.Second)
	def(&c.PongWait, 6*time.Second)
	def(&c.JoinTimeout, 5*time.Second)
	def(&c.CloseGrace, time.Second)
	def(&c.ShutdownGrace, c.CloseGrace)
	def(&c.MaxBehind, 3*time.Second)
	if c.MessageRate <= 0 {
		c.MessageRate = 64
	}
	if c.MessageBurst <= 0 {
		c.MessageBurst = 32
	}
	if c.Counters == nil {
		c.Counters = new(Counters)
	}
	return c
}

// controlQueueLen bounds the control frames (welcome, pongs, leave) waiting for the writer.
// When it is full a pong is dropped: the client just measures one RTT fewer.
const controlQueueLen = 16

// Handler is what a session reports to: the room. Its methods are called from the session's
// read loop and must not block for long.
type Handler interface {
	// HandleJoin receives the client's join. A non-nil error (a *CloseError) refuses it and
	// closes the session. On success the handler queues the welcome (QueueControl).
	HandleJoin(s *Session, j Join) error
	// HandleInput receives each valid input, in seq order, after the join was accepted.
	HandleInput(s *Session, in Input)
	// HandleWatch receives a spectator's watch, after the join was accepted.
	HandleWatch(s *Session, w Watch)
	// HandleLeave is called once, after the read loop has ended, if the join was accepted.
	// cause says why the session ended; Resumable(cause) tells whether the player may come
	// back.
	HandleLeave(s *Session, cause error)
	// ServerTick is the tick that pongs report. It may be called from any goroutine.
	ServerTick() uint32
}

// Session is one client's WebSocket connection. It runs exactly two goroutines: the read loop
// (the goroutine that calls Run), which alone reads from the connection, and the write loop,
// which alone writes to it. The room talks to it only through the Queue methods and Close,
// which never block.
type Session struct {
	ID  string // random, for logs
	log *slog.Logger
	cfg SessionConfig

	conn *websocket.Conn
	h    Handler

	// Filled by the room, emptied by the write loop.
	snap latestFrame
	ctrl chan []byte
	wake chan struct{} // capacity 1: "there is something to write"

	closeOnce  sync.Once
	closing    chan struct{} // closed by Close
	closeErr   *CloseError   // written once, before closing is closed
	closeGrace time.Duration // written with closeErr: how long to wait for the client's close

	readDone  chan struct{} // closed when the read loop has ended
	writeDone chan struct{} // closed when the write loop has ended
	joined    atomic.Bool

	// Spectator is set by the server before Run: the client watches without a player.
	Spectator bool

	// Owned by the read loop.
	dec     *ClientDecoder
	enc     *Encoder // encodes pongs
	msg     ClientMessage
	lastSeq uint32
	limiter rateLimiter

	rtt RTTEstimator

	// Statistics, any goroutine.
	SnapshotsReplace atomic.Uint64 // snapshots replaced before the writer sent them
	srtt             atomic.Int64  // smoothed RTT from ping frames, ns; 0 before the first pong
	lastWrite        atomic.Int64  // when the writer last completed a write, Unix ns
}

// RTT returns the session's smoothed round-trip time, measured with WebSocket ping frames, or
// 0 before the first pong.
func (s *Session) RTT() time.Duration { return time.Duration(s.srtt.Load()) }

// NewSession wraps an upgraded connection. Call Run to serve it.
func NewSession(conn *websocket.Conn, cfg SessionConfig, log *slog.Logger) *Session {
	id := uuid.NewString()
	s := &Session{
		ID:        id,
		log:       log.With("sid", id[:8]),
		cfg:       cfg.withDefaults(),
		conn:      conn,
		ctrl:      make(chan []byte, controlQueueLen),
		wake:      make(chan struct{}, 1),
		closing:   make(chan struct{}),
		readDone:  make(chan struct{}),
		writeDone: make(chan struct{}),
		dec:       NewClientDecoder(),
		enc:       NewEncoder(),
	}
	s.limiter = newRateLimiter(s.cfg.MessageRate, s.cfg.MessageBurst)
	s.lastWrite.Store(time.Now().UnixNano())
	return s
}

// Logger returns the session's logger, which carries its id.
func (s *Session) Logger() *slog.Logger { return s.log }

// Run serves the session until the connection ends, reporting to h. When ctx is cancelled the
// session closes with 1001 ("server shutting down"). Run returns once both loops have ended
// and the connection is closed; the error says why it ended.
func (s *Session) Run(ctx context.Context, h Handler) error {
	s.h = h
	go s.writeLoop()
	stop := context.AfterFunc(ctx, func() {
		s.closeWithin(&CloseError{Code: CloseGoingAway, Reason: "server shutting down"}, s.cfg.ShutdownGrace)
	})
	defer stop()
	joinTimer := time.AfterFunc(s.cfg.JoinTimeout, func() {
		if !s.joined.Load() {
			s.Close(closeErr(CloseJoinTimeout, "no join within %v", s.cfg.JoinTimeout))
		}
	})
	err := s.readLoop()
	joinTimer.Stop()
	close(s.readDone)
	cause := s.end(err)
	if s.joined.Load() {
		h.HandleLeave(s, cause)
	}
	<-s.writeDone
	return cause
}

// Resumable reports whether a session that ended with cause lost its connection by accident
// (it ended without a close frame, timed out, or fell behind), so that its player may come
// back with its token, rather than having left or been closed on purpose.
func Resumable(cause error) bool {
	var ce *CloseError
	if errors.As(cause, &ce) {
		return ce.Code == CloseFellBehind
	}
	var wce *websocket.CloseError
	if errors.As(cause, &wce) {
		return wce.Code == websocket.CloseAbnormalClosure
	}
	return cause != nil
}

// end logs, once, how the session ended, and returns the cause.
func (s *Session) end(readErr error) error {
	var cause error = readErr
	select {
	case <-s.closing:
		cause = s.closeErr
	default:
	}
	var ce *CloseError
	var wce *websocket.CloseError
	switch {
	case errors.As(cause, &ce) && (ce.Code == CloseNormal || ce.Code == CloseGoingAway):
		s.log.Info("session closed", "code", int(ce.Code), "reason", ce.Reason)
	case ce != nil:
		s.log.Warn("session closed", "code", int(ce.Code), "reason", ce.Reason)
	case errors.As(cause, &wce) && wce.Code == websocket.CloseAbnormalClosure:
		s.log.Info("session lost", "code", wce.Code, "err", wce.Text)
	case errors.As(cause, &wce) && wce.Code == int(CloseBadServerMessage):
		s.log.Error("client could not decode a server message", "code", wce.Code, "reason", wce.Text)
	case errors.As(cause, &wce):
		s.log.Info("session closed by client", "code", wce.Code, "reason", wce.Text)
	default:
		s.log.Info("session lost", "err", cause)
	}
	return cause
}

// Close starts closing the session with the given code and reason: the writer sends a leave
// message and the close frame, waits up to CloseGrace for the client's reply, and closes the
// connection. Only the first call counts. It never blocks.
func (s *Session) Close(ce *CloseError) { s.closeWithin(ce, s.cfg.CloseGrace) }

// closeWithin is Close, waiting up to grace for the client's reply.
func (s *Session) closeWithin(ce *CloseError, grace time.Duration) {
	s.closeOnce.Do(func() {
		s.closeErr, s.closeGrace = ce, grace
		close(s.closing)
	})
}

// Abort closes the connection at once, without a close handshake: for a client that has not
// answered a close in time. The loops end promptly, and Run returns. It never blocks.
func (s *Session) Abort() { _ = s.conn.Close() }

// CloseCause returns why the server closed the session, or nil.
func (s *Session) CloseCause() *CloseError {
	select {
	case <-s.closing:
		return s.closeErr
	default:
		return nil
	}
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.writeDone }

// SnapshotBuffer returns an empty buffer of the session's, for the room to append the next
// snapshot frame to and pass to QueueSnapshot.
func (s *Session) SnapshotBuffer() []byte { return s.snap.buffer() }

// QueueSnapshot hands the session a snapshot frame built in a buffer from SnapshotBuffer. It
// never blocks: an unsent older snapshot is replaced (and counted). A client whose writer has
// completed nothing for MaxBehind while snapshots pile up is closed with 4000.
func (s *Session) QueueSnapshot(b []byte) {
	if s.snap.put(b) {
		s.SnapshotsReplace.Add(1)
		s.cfg.Counters.SnapshotsReplaced.Add(1)
		if behind := time.Since(time.Unix(0, s.lastWrite.Load())); behind > s.cfg.MaxBehind {
			s.Close(closeErr(CloseFellBehind, "fell behind: nothing written for %v", behind.Round(time.Millisecond)))
		}
	}
	s.signal()
}

// QueueControl queues a control frame (welcome, pong). It never blocks; it returns
// ErrQueueFull when the queue is full, and the frame is dropped.
func (s *Session) QueueControl(frame []byte) error {
	select {
	case s.ctrl <- frame:
		s.signal()
		return nil
	default:
		return ErrQueueFull
	}
}

func (s *Session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// readLoop reads frames until the connection fails or the client closes it.
func (s *Session) readLoop() error {
	c := s.conn
	_ = c.SetReadDeadline(time.Now().Add(s.cfg.PongWait))
	c.SetPongHandler(func(payload string) error {
		now := time.Now()
		if len(payload) == 8 { // our pings carry their send time
			sent := time.Unix(0, int64(binary.BigEndian.Uint64([]byte(payload))))
			s.rtt.Observe(now.Sub(sent))
			s.srtt.Store(int64(s.rtt.SRTT()))
			if s.cfg.OnRTT != nil {
				s.cfg.OnRTT(now.Sub(sent), s.rtt.SRTT())
			}
		}
		return c.SetReadDeadline(now.Add(s.cfg.PongWait))
	})
	for {
		mt, r, err := c.NextReader()
		if err != nil {
			return err
		}
		buf := readBuffers.Get().(*[ReadLimit + 1]byte)
		n, err := readFrame(r, buf[:])
		if err != nil {
			return err
		}
		s.cfg.Counters.BytesIn.Add(uint64(n))
		if s.CloseCause() != nil {
			readBuffers.Put(buf)
			continue // closing: wait for the client's close frame, ignore the rest
		}
		switch {
		case mt != websocket.BinaryMessage:
			s.Close(closeErr(CloseUnsupported, "text frames are not accepted"))
		case n > ReadLimit:
			s.Close(closeErr(CloseTooBig, "frame over %d bytes", ReadLimit))
		default:
			if ce := s.handle(buf[:n]); ce != nil {
				s.Close(ce)
			}
		}
		readBuffers.Put(buf) // the decoded message copied what it keeps
	}
}

// readBuffers lends the read loops a buffer for one frame at a time, so that a session
// waiting for its next frame (nearly always) holds none.
var readBuffers = sync.Pool{New: func() any { return new([ReadLimit + 1]byte) }}

// readFrame reads a frame into buf, which is one byte longer than the read limit. It returns
// len(buf) for a frame that does not fit; the rest of it is never read into memory.
func readFrame(r io.Reader, buf []byte) (int, error) {
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return n, nil
	}
	return n, err
}

// handle acts on one client frame.
func (s *Session) handle(b []byte) *CloseError {
	if err := s.dec.Decode(b, &s.msg); err != nil {
		return err.(*CloseError)
	}
	m := &s.msg
	if m.Type == MsgInput || m.Type == MsgPing || m.Type == MsgWatch {
		ok, exceeded := s.limiter.allow(time.Now())
		if exceeded {
			return closeErr(ClosePolicy, "message rate over %.0f per second", s.cfg.MessageRate)
		}
		if !ok {
			if m.Type == MsgInput {
				s.cfg.Counters.InputsDropped.Add(1)
			}
			return nil
		}
	}
	switch m.Type {
	case MsgJoin:
		if s.joined.Load() {
			return closeErr(CloseInvalid, "second join")
		}
		if err := s.h.HandleJoin(s, m.Join); err != nil {
			var ce *CloseError
			if errors.As(err, &ce) {
				return ce
			}
			return closeErr(CloseInternal, "join failed")
		}
		s.joined.Store(true)
	case MsgInput:
		if !s.joined.Load() {
			return closeErr(CloseInvalid, "input before join")
		}
		if m.Input.Seq <= s.lastSeq {
			return closeErr(CloseInvalid, "input seq %d not above %d", m.Input.Seq, s.lastSeq)
		}
		if tick := s.h.ServerTick(); m.Input.Ack > tick || m.Input.ViewTick > tick {
			return closeErr(CloseInvalid, "input ack %d or viewTick %d is ahead of the server's tick %d", m.Input.Ack, m.Input.ViewTick, tick)
		}
		s.lastSeq = m.Input.Seq
		s.h.HandleInput(s, m.Input)
	case MsgPing:
		rtt := float64(s.RTT()) / float64(time.Millisecond)
		_ = s.QueueControl(s.enc.Pong(Pong{ClientTime: m.Ping.ClientTime, ServerTick: s.h.ServerTick(), ServerRTT: rtt}))
	case MsgWatch:
		if !s.joined.Load() {
			return closeErr(CloseInvalid, "watch before join")
		}
		s.h.HandleWatch(s, m.Watch)
	case MsgLeave:
		return &CloseError{Code: CloseNormal, Reason: "left"}
	}
	return nil
}

// writeLoop writes queued frames and pings until the session closes or the reader ends.
func (s *Session) writeLoop() {
	defer close(s.writeDone)
	ping := time.NewTicker(s.cfg.PingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-s.wake:
			if err := s.flush(); err != nil {
				s.abort()
				return
			}
		case <-ping.C:
			var ts [8]byte
			binary.BigEndian.PutUint64(ts[:], uint64(time.Now().UnixNano()))
			if err := s.conn.WriteControl(websocket.PingMessage, ts[:], time.Now().Add(s.cfg.WriteWait)); err != nil {
				s.abort()
				return
			}
			s.lastWrite.Store(time.Now().UnixNano())
		case <-s.closing:
			s.sendClose()
			select {
			case <-s.readDone:
			case <-time.After(s.closeGrace):
			}
			s.abort()
			return
		case <-s.readDone:
			_ = s.conn.Close()
			return
		}
	}
}

// abort closes the connection and waits for the read loop to notice.
func (s *Session) abort() {
	_ = s.conn.Close()
	<-s.readDone
}

// flush writes the waiting control frames, then the pending snapshot.
func (s *Session) flush() error {
	for len(s.ctrl) > 0 { // the writer is the only receiver, so this does not block
		if err := s.write(<-s.ctrl); err != nil {
			return err
		}
	}
	if b := s.snap.take(); b != nil {
		err := s.write(b)
		s.snap.recycle(b)
		return err
	}
	return nil
}

func (s *Session) write(b []byte) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
	if err := s.conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		return err
	}
	s.cfg.Counters.BytesOut.Add(uint64(len(b)))
	s.lastWrite.Store(time.Now().UnixNano())
	return nil
}

// sendClose tells the client why it is being closed: a leave message, then the close frame.
func (s *Session) sendClose() {
	ce := s.closeErr
	// A fresh encoder: s.enc belongs to the read loop. Closing is rare.
	_ = s.write(NewEncoder().ServerLeave(Leave{Code: ce.Code, Reason: ce.Reason}))
	msg := websocket.FormatCloseMessage(int(ce.Code), ce.Reason)
	_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(s.cfg.WriteWait))
}

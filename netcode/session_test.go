package netcode

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/game"
)

// testLogger routes a session's logs to the test's log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(b []byte) (int, error) {
	w.t.Logf("%s", strings.TrimSpace(string(b)))
	return len(b), nil
}

// fakeRoom is a Handler that welcomes every join and records what it receives.
type fakeRoom struct {
	mu     sync.Mutex
	inputs []Input
	joins  chan Join
	leaves chan *Session
	sess   chan *Session
}

func newFakeRoom() *fakeRoom {
	return &fakeRoom{joins: make(chan Join, 16), leaves: make(chan *Session, 16), sess: make(chan *Session, 16)}
}

func (r *fakeRoom) HandleJoin(s *Session, j Join) error {
	if j.Name == "full" {
		return &CloseError{Code: CloseTryAgainLater, Reason: "room full"}
	}
	_ = s.QueueControl(NewEncoder().Welcome(Welcome{PlayerID: 7, TickRate: 30, SnapshotRate: 30}))
	r.joins <- j
	r.sess <- s
	return nil
}

func (r *fakeRoom) HandleInput(s *Session, in Input) {
	r.mu.Lock()
	r.inputs = append(r.inputs, in)
	r.mu.Unlock()
}

func (r *fakeRoom) HandleLeave(s *Session, _ error) { r.leaves <- s }
func (r *fakeRoom) HandleWatch(*Session, Watch)     {}
func (r *fakeRoom) ServerTick() uint32              { return 77 }

// serve starts an httptest server whose /ws runs sessions against room; cancel closes them
// all with 1001.
func serve(t *testing.T, room Handler, cfg SessionConfig) (wsURL string, cancel context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	up := websocket.Upgrader{Subprotocols: []string{Subprotocol}}
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		_ = NewSession(conn, cfg, testLogger(t)).Run(ctx, room)
	}))
	t.Cleanup(func() { cancel(); wg.Wait(); srv.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http"), cancel
}

// dialTest joins as a client of the session server at url, within a deadline, and closes the
// connection when the test ends.
func dialTest(t *testing.T, url, name string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, name, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawDial connects without joining, for tests of what a misbehaving client sends.
func rawDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{Subprotocol}}
	c, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readUntilClose reads frames until the server closes, within a deadline, and returns the
// close code and reason, and the leave message if one came first.
func readUntilClose(t *testing.T, c *websocket.Conn) (CloseCode, string, *Leave) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var leave *Leave
	dec := NewServerDecoder()
	for {
		mt, b, err := c.ReadMessage()
		if err != nil {
			ce, ok := err.(*websocket.CloseError)
			if !ok {
				t.Fatalf("connection ended without a close frame: %v", err)
			}
			return CloseCode(ce.Code), ce.Text, leave
		}
		if mt != websocket.BinaryMessage {
			t.Fatalf("server sent a frame of type %d", mt)
		}
		var m ServerMessage
		if err := dec.Decode(b, &m); err == nil && m.Type == MsgLeave {
			l := m.Leave
			leave = &l
		}
	}
}

func TestSessionJoinInputPingLeave(t *testing.T) {
	room := newFakeRoom()
	url, _ := serve(t, room, SessionConfig{})
	c := dialTest(t, url, "  Al\x00ice  ")
	if c.Welcome.PlayerID != 7 {
		t.Errorf("welcome %+v", c.Welcome)
	}
	if j := <-room.joins; j.Name != "Alice" {
		t.Errorf("joined as %q, want the cleaned name Alice", j.Name)
	}
	for range 3 {
		if err := c.SendInput(Input{MoveX: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Ping(42.5); err != nil {
		t.Fatal(err)
	}
	m, err := c.Next()
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != MsgPong || m.Pong.ClientTime != 42.5 || m.Pong.ServerTick != 77 {
		t.Fatalf("pong: %+v", m)
	}
	// The inputs were read before the ping, so they have all arrived.
	room.mu.Lock()
	got := len(room.inputs)
	seqs := []uint32{}
	for _, in := range room.inputs {
		seqs = append(seqs, in.Seq)
	}
	room.mu.Unlock()
	if got != 3 || seqs[0] != 1 || seqs[2] != 3 {
		t.Errorf("inputs received: seqs %v, want [1 2 3]", seqs)
	}
	if err := c.Leave(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		if _, err = c.Next(); err != nil {
			break
		}
	}
	if code := CloseCodeOf(err); code != CloseNormal {
		t.Errorf("close after leave: %v, want 1000", err)
	}
	<-room.leaves
}

// TestSessionRefusesBadInput sends each kind of bad input on its own connection and checks the
// close code and that the reason says something.
func TestSessionRefusesBadInput(t *testing.T) {
	room := newFakeRoom()
	url, _ := serve(t, room, SessionConfig{})
	enc := NewEncoder()
	join := enc.Join(Join{Name: "x"})
	tests := []struct {
		name   string
		frames [][]byte
		text   bool
		code   CloseCode
		reason string
	}{
		{"text frame", [][]byte{[]byte(`{"type":"join"}`)}, true, CloseUnsupported, "text frames"},
		{"frame over the read limit", [][]byte{make([]byte, ReadLimit+1)}, false, CloseTooBig, "over 1024 bytes"},
		{"undecodable", [][]byte{{0xc1}}, false, CloseInvalid, ""},
		{"input before join", [][]byte{enc.Input(Input{Seq: 1})}, false, CloseInvalid, "input before join"},
		{"second join", [][]byte{join, join}, false, CloseInvalid, "second join"},
		{"seq goes back", [][]byte{join, enc.Input(Input{Seq: 5}), enc.Input(Input{Seq: 5})}, false, CloseInvalid, "seq 5 not above 5"},
		{"ack from the future", [][]byte{join, enc.Input(Input{Seq: 1, Ack: 78})}, false, CloseInvalid, "is ahead of the server's tick 77"},
		{"view tick from the future", [][]byte{join, enc.Input(Input{Seq: 1, ViewTick: 90})}, false, CloseInvalid, "viewTick 90 is ahead"},
		{"room full", [][]byte{enc.Join(Join{Name: "full"})}, false, CloseTryAgainLater, "room full"},
		{"unknown type", [][]byte{join, {0x91, 0x63}}, false, CloseInvalid, "unknown message type 99"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := rawDial(t, url)
			mt := websocket.BinaryMessage
			if tc.text {
				mt = websocket.TextMessage
			}
			for _, f := range tc.frames {
				if err := c.WriteMessage(mt, f); err != nil {
					t.Fatal(err)
				}
			}
			code, reason, leave := readUntilClose(t, c)
			if code != tc.code || !strings.Contains(reason, tc.reason) || reason == "" {
				t.Errorf("closed %d %q, want %d with %q", code, reason, tc.code, tc.reason)
			}
			if leave == nil || leave.Code != tc.code {
				t.Errorf("leave message before the close: %+v, want code %d", leave, tc.code)
			}
		})
	}
}

func TestSessionJoinTimeout(t *testing.T) {
	url, _ := serve(t, newFakeRoom(), SessionConfig{JoinTimeout: 50 * time.Millisecond})
	c := rawDial(t, url)
	if code, _, _ := readUntilClose(t, c); code != CloseJoinTimeout {
		t.Errorf("closed %d, want 4001", code)
	}
}

func TestSessionRateLimit(t *testing.T) {
	room := newFakeRoom()
	url, _ := serve(t, room, SessionConfig{MessageRate: 1, MessageBurst: 5})
	c := rawDial(t, url)
	enc := NewEncoder()
	_ = c.WriteMessage(websocket.BinaryMessage, enc.Join(Join{}))
	// Far faster than one a second: the first five pass, the next five are dropped, then 1008.
	for i := range 20 {
		if err := c.WriteMessage(websocket.BinaryMessage, enc.Input(Input{Seq: uint32(i + 1)})); err != nil {
			break
		}
	}
	code, reason, _ := readUntilClose(t, c)
	if code != ClosePolicy || !strings.Contains(reason, "rate") {
		t.Errorf("closed %d %q, want 1008 about the rate", code, reason)
	}
	room.mu.Lock()
	defer room.mu.Unlock()
	if len(room.inputs) > 5+1 { // the burst, and at most one token refilled meanwhile
		t.Errorf("%d inputs passed the limiter, want about 5", len(room.inputs))
	}
}

func TestSessionShutdownSends1001(t *testing.T) {
	room := newFakeRoom()
	url, cancel := serve(t, room, SessionConfig{})
	c := dialTest(t, url, "a")
	cancel()
	var leave *Leave
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		m, err := c.Next()
		if err != nil {
			if code := CloseCodeOf(err); code != CloseGoingAway {
				t.Fatalf("close: %v, want 1001", err)
			}
			break
		}
		if m.Type == MsgLeave {
			l := m.Leave
			leave = &l
		}
	}
	if leave == nil || leave.Code != CloseGoingAway || leave.Reason != "server shutting down" {
		t.Errorf("leave before the close: %+v", leave)
	}
}

// TestSessionLatestSnapshotWins queues snapshots faster than anyone sends them: the writer
// sends the newest, counts the replaced ones, and every frame it sends is a whole snapshot.
func TestSessionLatestSnapshotWins(t *testing.T) {
	room := newFakeRoom()
	url, _ := serve(t, room, SessionConfig{})
	c := dialTest(t, url, "a")
	s := <-room.sess
	w := testWorld(t)
	enc := NewDeltaEncoder()
	for range 200 {
		w.Step(nil)
		enc.Update(w)
		s.QueueSnapshot(enc.AppendFor(s.SnapshotBuffer(), NewClientView(700), game.Vec{}, 0, 0))
	}
	last := w.Tick
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	received := 0
	for {
		m, err := c.Next()
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != MsgSnapshot {
			continue
		}
		received++
		if m.Snapshot.Tick == last {
			break
		}
	}
	if replaced := s.SnapshotsReplace.Load(); replaced+uint64(received) != 200 {
		t.Errorf("sent %d + replaced %d != queued 200", received, replaced)
	}
}

func TestLatestFrameKeepsNewest(t *testing.T) {
	var l latestFrame
	a := append(l.buffer(), 'a')
	if l.put(a) {
		t.Error("first put reported a replacement")
	}
	b := append(l.buffer(), 'b')
	if !l.put(b) {
		t.Error("second put did not report replacing the first")
	}
	if got := l.take(); string(got) != "b" {
		t.Errorf("took %q, want the newest, b", got)
	}
	if got := l.take(); got != nil {
		t.Errorf("took %q from an empty slot", got)
	}
	l.recycle(b)
	l.recycle(append([]byte(nil), 'c'))
	l.recycle(append([]byte(nil), 'd')) // a third spare is let go: at most two are kept
	if len(l.free) != 2 {
		t.Errorf("%d spare buffers, want at most 2", len(l.free))
	}
}

func TestInputQueue(t *testing.T) {
	var q InputQueue
	if in, late := q.Next(); in != (Input{}) || late != nil {
		t.Errorf("empty queue gave %+v, %v", in, late)
	}
	for seq := uint32(1); seq <= 6; seq++ {
		q.Push(Input{Seq: seq, MoveX: 1, Buttons: ButtonFire * Buttons(seq%2)})
	}
	if q.Len() != inputQueueLen || q.Dropped != 2 { // the queue's bound: 1 and 2 lost
		t.Fatalf("len %d dropped %d after 6 pushes, want %d and 2", q.Len(), q.Dropped, inputQueueLen)
	}
	// The tick catches up: 3, 4 and 5 are applied first (their moves), 6 is the tick's own,
	// with 3's and 5's fire carried to it, and none waits.
	in, late := q.Next()
	if in.Seq != 6 || in.Buttons != ButtonFire || q.Len() != 0 || len(late) != 3 || late[0].Seq != 3 || late[1].Seq != 4 || late[2].Seq != 5 {
		t.Fatalf("after a burst: took seq %d buttons %d with %d late, %d left; want 6, fire, [3 4 5], 0", in.Seq, in.Buttons, len(late), q.Len())
	}
	if g := in.GameInput(9, late); g.NEarlier != 3 || g.Earlier[0].X != 1 || !g.Fire {
		t.Errorf("game input %+v: want the three late moves first, and fire", g)
	}
	// Starved: stand still, release fire, keep acknowledging the last seq.
	if in, _ := q.Next(); in.Seq != 6 || in.MoveX != 0 || in.Buttons != 0 || q.LastSeq() != 6 {
		t.Errorf("a starved tick gave %+v, want seq 6 standing still", in)
	}
	q.Push(Input{Seq: 7, MoveY: 1})
	if in, _ := q.Next(); in.Seq != 7 || in.MoveY != 1 {
		t.Errorf("after starving, the next input was %+v", in)
	}
}

// TestInputQueueHasNoStandingDelay feeds a queue from a client whose clock runs 5% fast: every
// input is applied by the first tick after it arrived.
func TestInputQueueHasNoStandingDelay(t *testing.T) {
	var q InputQueue
	var seq uint32
	sent := map[uint32]int{} // seq -> tick it arrived
	due := 0.0
	for tick := range 600 {
		for due <= float64(tick) {
			seq++
			q.Push(Input{Seq: seq})
			sent[seq] = tick
			due += 1 / 1.05
		}
		fresh := q.Len() > 0 // else the tick starves and repeats the last seq, standing still
		in, late := q.Next()
		for _, l := range append(late, in) {
			if wait := tick - sent[l.Seq]; fresh && wait > 0 {
				t.Fatalf("tick %d applied seq %d, which arrived %d ticks before", tick, l.Seq, wait)
			}
		}
	}
}

func TestRateLimiter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := newRateLimiter(10, 3)
	for i := range 3 {
		if ok, _ := l.allow(t0); !ok {
			t.Fatalf("message %d of the burst refused", i)
		}
	}
	if ok, exceeded := l.allow(t0); ok || exceeded {
		t.Fatalf("4th at once: ok=%v exceeded=%v, want dropped, not yet closed", ok, exceeded)
	}
	if ok, _ := l.allow(t0.Add(100 * time.Millisecond)); !ok {
		t.Fatal("refused after a token refilled")
	}
	l.allow(t0.Add(100 * time.Millisecond))
	l.allow(t0.Add(100 * time.Millisecond))
	if _, exceeded := l.allow(t0.Add(100 * time.Millisecond)); !exceeded {
		t.Error("three drops in a row did not exceed a burst of 3")
	}
}

func TestRTTEstimator(t *testing.T) {
	var e RTTEstimator
	if e.SRTT() != 0 || e.Samples() != 0 {
		t.Fatal("zero estimator has an estimate")
	}
	e.Observe(100 * time.Millisecond)
	if e.SRTT() != 100*time.Millisecond || e.RTTVAR() != 50*time.Millisecond {
		t.Fatalf("first sample: srtt %v rttvar %v, want 100ms and 50ms (RFC 6298 2.2)", e.SRTT(), e.RTTVAR())
	}
	e.Observe(200 * time.Millisecond)
	// RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5ms; SRTT = 7/8*100 + 1/8*200 = 112.5ms
	if e.SRTT() != 112500*time.Microsecond || e.RTTVAR() != 62500*time.Microsecond {
		t.Errorf("second sample: srtt %v rttvar %v, want 112.5ms and 62.5ms", e.SRTT(), e.RTTVAR())
	}
	for range 100 {
		e.Observe(150 * time.Millisecond)
	}
	if d := e.SRTT() - 150*time.Millisecond; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("srtt %v after many 150ms samples", e.SRTT())
	}
}

// TestSessionMeasuresRTT checks that a client answering ping frames gets an RTT measured and
// reported through the hook and the shared counters count its traffic.
func TestSessionMeasuresRTT(t *testing.T) {
	room := newFakeRoom()
	samples := make(chan time.Duration, 16)
	counters := new(Counters)
	url, _ := serve(t, room, SessionConfig{
		PingPeriod: 20 * time.Millisecond, PongWait: 10 * time.Second, Counters: counters,
		OnRTT: func(rtt, _ time.Duration) {
			select {
			case samples <- rtt:
			default:
			}
		},
	})
	c := dialTest(t, url, "a")
	go func() { // keep reading: the client answers pings while it reads
		for {
			if _, err := c.Next(); err != nil {
				return
			}
		}
	}()
	s := <-room.sess
	select {
	case rtt := <-samples:
		if rtt <= 0 || rtt > 10*time.Second {
			t.Errorf("rtt sample %v", rtt)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no RTT sample")
	}
	if s.RTT() <= 0 { // stored before the hook is called
		t.Error("session RTT not set")
	}
	if counters.BytesIn.Load() == 0 || counters.BytesOut.Load() == 0 {
		t.Errorf("shared counters: in %d out %d", counters.BytesIn.Load(), counters.BytesOut.Load())
	}
}

// TestSlowClientIsClosed connects a client that never reads, through sockets with tiny
// buffers, and keeps queueing large snapshots: the writer blocks, snapshots replace each other,
// and after MaxBehind the session closes with 4000 (fell behind) while QueueSnapshot never
// blocks.
func TestSlowClientIsClosed(t *testing.T) {
	room := newFakeRoom()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	up := websocket.Upgrader{Subprotocols: []string{Subprotocol}}
	ended := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		_ = conn.NetConn().(*net.TCPConn).SetWriteBuffer(4096)
		cfg := SessionConfig{MaxBehind: 100 * time.Millisecond, WriteWait: 500 * time.Millisecond, CloseGrace: 100 * time.Millisecond}
		ended <- NewSession(conn, cfg, testLogger(t)).Run(ctx, room)
	}))
	defer srv.Close()
	d := websocket.Dialer{
		Subprotocols: []string{Subprotocol},
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				_ = c.(*net.TCPConn).SetReadBuffer(4096)
			}
			return c, err
		},
	}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteMessage(websocket.BinaryMessage, NewEncoder().Join(Join{Name: "slow"})); err != nil {
		t.Fatal(err)
	}
	s := <-room.sess

	// A big world makes big snapshots: each fills the small socket buffers at once.
	m, err := game.ParseMap([]byte("---\n.S\n"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := game.NewWorld(game.Config{Map: m, Width: 4000, Height: 4000})
	if err != nil {
		t.Fatal(err)
	}
	for range 300 {
		w.Join(strings.Repeat("n", 16))
	}
	enc := NewDeltaEncoder()
	enc.Update(w)
	view := NewClientView(MaxWatchRadius) // sees all 300: big frames
	deadline := time.After(20 * time.Second)
	for s.CloseCause() == nil {
		select {
		case <-deadline:
			t.Fatal("the slow client was never closed")
		default:
		}
		s.QueueSnapshot(enc.AppendFor(s.SnapshotBuffer(), view, game.Vec{X: 2000, Y: 2000}, 0, 0)) // must never block
		runtime.Gosched()
	}
	if cause := s.CloseCause(); cause.Code != CloseFellBehind {
		t.Errorf("closed with %d %q, want 4000", cause.Code, cause.Reason)
	}
	select {
	case <-ended:
	case <-deadline:
		t.Fatal("the session did not end after closing a stuck client")
	}
	if s.SnapshotsReplace.Load() == 0 {
		t.Error("no snapshot was replaced")
	}
}

func TestResumable(t *testing.T) {
	tests := []struct {
		cause error
		want  bool
	}{
		{&CloseError{Code: CloseNormal}, false},
		{&CloseError{Code: CloseGoingAway}, false},
		{&CloseError{Code: CloseInvalid}, false},
		{&CloseError{Code: CloseFellBehind}, true},
		{&websocket.CloseError{Code: websocket.CloseNormalClosure}, false},
		{&websocket.CloseError{Code: websocket.CloseGoingAway}, false},
		{&websocket.CloseError{Code: websocket.CloseNoStatusReceived}, false},
		{&websocket.CloseError{Code: websocket.CloseAbnormalClosure}, true},
		{io.ErrUnexpectedEOF, true},
		{os.ErrDeadlineExceeded, true},
	}
	for _, tc := range tests {
		if got := Resumable(tc.cause); got != tc.want {
			t.Errorf("Resumable(%v) = %v, want %v", tc.cause, got, tc.want)
		}
	}
}

package netcode

import (
	"encoding/binary"
	"log/slog"
	"net"
	"testing"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// clientFrame encodes a masked client frame, as a browser sends it.
func clientFrame(op byte, payload []byte) []byte {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n <= 125:
		b = append(b, 0x80|byte(n))
	default:
		b = binary.BigEndian.AppendUint16(append(b, 0x80|126), uint16(n))
	}
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, payload...)
	maskBytes(key, 0, b[start:])
	return b
}

// nopHandler accepts everything and keeps nothing.
type nopHandler struct{}

func (nopHandler) HandleJoin(*Session, Join) error { return nil }
func (nopHandler) HandleInput(*Session, Input)     {}
func (nopHandler) HandleWatch(*Session, Watch)     {}
func (nopHandler) HandleLeave(*Session, error)     {}
func (nopHandler) ServerTick() uint32              { return 1 << 30 }

func allocTestSession(t *testing.T, nc net.Conn) *Session {
	s := newSession(nc, SessionConfig{MessageRate: 1e9, MessageBurst: 1 << 30}, slog.New(slog.DiscardHandler))
	s.h = nopHandler{}
	s.joined.Store(true)
	return s
}

// TestSessionReadPathAllocatesNothing pins the read loop's steady state: reading a client's
// input frames (with pongs between them) from the socket, decoding and handling them
// allocates nothing.
func TestSessionReadPathAllocatesNothing(t *testing.T) {
	srv, cli := tcpPair(t)
	s := allocTestSession(t, srv)
	const runs = 100
	enc := NewEncoder()
	var stream []byte
	pong := make([]byte, 8)
	for i := range runs + 1 { // AllocsPerRun runs once more to warm up
		stream = append(stream, clientFrame(opPong, pong)...)
		stream = append(stream, clientFrame(opBinary, enc.Input(Input{Seq: uint32(i + 1), MoveX: 0.5, Aim: 1}))...)
	}
	if _, err := cli.Write(stream); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(runs, func() {
		op, b, tooBig, err := s.nextMessage()
		if err != nil || op != opBinary || tooBig {
			t.Fatalf("nextMessage: op %d tooBig %v err %v", op, tooBig, err)
		}
		if ce := s.handle(b); ce != nil {
			t.Fatal(ce)
		}
	})
	if allocs != 0 {
		t.Errorf("reading and handling an input allocates %.1f times, want 0", allocs)
	}
}

// TestSessionWritePathAllocatesNothing pins the write loop's steady state: taking a queued
// snapshot, writing it and a ping to the socket, and recycling its buffer allocate nothing.
func TestSessionWritePathAllocatesNothing(t *testing.T) {
	srv, _ := tcpPair(t) // the client's socket buffer takes the frames unread
	s := allocTestSession(t, srv)
	snapshot := make([]byte, 200)
	allocs := testing.AllocsPerRun(100, func() {
		s.QueueSnapshot(append(s.SnapshotBuffer(), snapshot...))
		<-s.wake
		if err := s.flush(false); err != nil {
			t.Fatal(err)
		}
		if err := s.writeFrame(opPing, s.fw.ping[:]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("writing a snapshot and a ping allocates %.1f times, want 0", allocs)
	}
}

// TestSessionReadsFragmentedAndLargeMessages checks the slower read paths: a message in
// fragments with a ping between them, a message too long for the read buffer, and one over
// the read limit, which is dropped.
func TestSessionReadsFragmentedAndLargeMessages(t *testing.T) {
	srv, cli := tcpPair(t)
	s := allocTestSession(t, srv)
	long := make([]byte, ReadLimit)
	for i := range long {
		long[i] = byte(i)
	}
	var stream []byte
	first := clientFrame(opBinary, long[:10])
	first[0] &^= 0x80 // not final
	stream = append(stream, first...)
	stream = append(stream, clientFrame(opPing, []byte("hi"))...)
	stream = append(stream, clientFrame(opContinuation, long[10:20])...)
	stream = append(stream, clientFrame(opBinary, long)...)
	stream = append(stream, clientFrame(opBinary, make([]byte, ReadLimit+1))...)
	stream = append(stream, clientFrame(opBinary, long[:3])...)
	go func() { _, _ = cli.Write(stream) }()

	want := []struct {
		n      int
		tooBig bool
	}{{20, false}, {ReadLimit, false}, {0, true}, {3, false}}
	for i, w := range want {
		op, b, tooBig, err := s.nextMessage()
		if err != nil || op != opBinary || tooBig != w.tooBig || len(b) != w.n {
			t.Fatalf("message %d: op %d, %d bytes, tooBig %v, err %v; want %d bytes, tooBig %v", i, op, len(b), tooBig, err, w.n, w.tooBig)
		}
		for j := range b {
			if b[j] != long[j] {
				t.Fatalf("message %d: byte %d is %d, want %d", i, j, b[j], long[j])
			}
		}
	}
	if p := s.pongReply.Load(); p == nil || string(*p) != "hi" {
		t.Errorf("the ping between fragments is not waiting for its pong")
	}
}

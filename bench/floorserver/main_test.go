package main

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/netcode"
)

func TestBuildFrame(t *testing.T) {
	for _, size := range []int{1, 100, 257, 1757, 4000, 40_123} {
		f := buildFrame(size)
		if size >= 100 && (len(f) > size || len(f) < size-20) {
			t.Errorf("buildFrame(%d) is %d bytes", size, len(f))
		}
		binary.BigEndian.PutUint32(f[tickOffset:], 123456)
		binary.BigEndian.PutUint32(f[lastSeqOffset:], 789)
		dec := netcode.NewServerDecoder()
		tick, lastSeq, ok := dec.PeekSnapshot(f)
		if !ok || tick != 123456 || lastSeq != 789 {
			t.Errorf("buildFrame(%d): PeekSnapshot = %d, %d, %v", size, tick, lastSeq, ok)
		}
		var m netcode.ServerMessage
		if err := dec.Decode(f, &m); err != nil {
			t.Errorf("buildFrame(%d) does not decode as a snapshot: %v", size, err)
		}
	}
}

// TestFloorAnswersPings: the floor answers the protocol's ping with a pong carrying the
// client's time, as the real server does, so the bench measures both round trips alike.
func TestFloorAnswersPings(t *testing.T) {
	s := newFloor(30, buildFrame(100), 1000)
	srv := httptest.NewServer(http.HandlerFunc(s.serveWS))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	go s.tickLoop(ctx)
	c, err := netcode.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), "bot", netcode.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(42.5); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		frame, err := c.NextFrame()
		if err != nil {
			t.Fatalf("no pong: %v", err)
		}
		if m, err := c.Decode(frame); err == nil && m.Type == netcode.MsgPong {
			if m.Pong.ClientTime != 42.5 {
				t.Errorf("pong carries %v, want 42.5", m.Pong.ClientTime)
			}
			break
		}
	}
	_ = c.Close()
	s.closeAll(time.Second)
}

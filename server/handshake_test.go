package main

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/netcode"
)

// TestSlowClientsCannotHoldASocket: a client that opens a socket and sends nothing, or
// dribbles its request's headers (slow-loris), is dropped after the handshake timeout; one
// that upgrades and never joins is closed with 4001 after the join timeout.
func TestSlowClientsCannotHoldASocket(t *testing.T) {
	ts := startServerWith(t, testConfig(t), nil, func(s *Server) {
		s.handshakeTimeout = 100 * time.Millisecond
		s.session.JoinTimeout = 100 * time.Millisecond
	})
	for _, tc := range []struct{ name, sent string }{
		{"silent socket", ""},
		{"headers never finished", "GET /ws HTTP/1.1\r\nHost: tickwire\r\nUpgrade: websocket\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.sent); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, err = io.Copy(io.Discard, conn) // until the server closes the socket
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("the server kept the socket open")
			}
		})
	}
	t.Run("upgraded, never joins", func(t *testing.T) {
		conn, _, err := (&websocket.Dialer{Subprotocols: []string{netcode.Subprotocol}}).Dial(ts.wsURL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if code := closeOf(t, conn); code != netcode.CloseJoinTimeout {
			t.Errorf("closed with %d, want 4001", code)
		}
	})
}

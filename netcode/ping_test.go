package netcode

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/netcode/impair"
)

// leaveRoom is a fakeRoom that also records why each session ended.
type leaveRoom struct {
	*fakeRoom
	causes chan error
}

func (r *leaveRoom) HandleLeave(s *Session, cause error) {
	r.causes <- cause
	r.fakeRoom.HandleLeave(s, cause)
}

// TestSessionPingsMeasureRTTAndCloseTheDead runs a session behind a simulated network of 75 ms
// each way (netcode/impair), on synthetic time. The WebSocket pings measure a round trip of
// exactly 150 ms, which the room reads (Session.RTT) and the client is told (the pong's
// serverRTT). While the client answers pings the session lives on, well past PongWait; once it
// stops answering, the session ends exactly PongWait after the last pong arrived, with a
// timeout, and its player may come back (Resumable).
func TestSessionPingsMeasureRTTAndCloseTheDead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const oneWay = 75 * time.Millisecond
		cfg := SessionConfig{} // the defaults: pings every 2 s, dead after 6 s without a pong
		def := cfg.withDefaults()
		room := &leaveRoom{fakeRoom: newFakeRoom(), causes: make(chan error, 1)}
		type pongAt struct {
			rtt, srtt time.Duration
			at        time.Time
		}
		pongs := make(chan pongAt, 64)
		cfg.OnRTT = func(rtt, srtt time.Duration) { pongs <- pongAt{rtt, srtt, time.Now()} }

		// The server: HTTP on in-memory pipes, upgrading to sessions.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		back := impair.NewPipeListener()
		up := websocket.Upgrader{Subprotocols: []string{Subprotocol}}
		ended := make(chan error, 1)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			ended <- NewSession(conn, cfg, testLogger(t)).Run(ctx, room)
		})}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(back) }()

		// The network: a relay adding 75 ms each way.
		front := impair.NewPipeListener()
		relay := &impair.Proxy{Config: impair.Config{Latency: oneWay}, Dial: back.DialContext}
		relayed := make(chan error, 1)
		go func() { relayed <- relay.Serve(ctx, front) }()

		// The client answers pings until dead is set.
		var dead atomic.Bool
		d := websocket.Dialer{Subprotocols: []string{Subprotocol}, NetDialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return front.DialContext(ctx)
		}}
		c, _, err := d.Dial("ws://tickwire.test/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetPingHandler(func(payload string) error {
			if dead.Load() {
				return nil
			}
			return c.WriteControl(websocket.PongMessage, []byte(payload), time.Now().Add(time.Second))
		})
		enc := NewEncoder()
		if err := c.WriteMessage(websocket.BinaryMessage, enc.Join(Join{Name: "far"})); err != nil {
			t.Fatal(err)
		}
		msgs := make(chan ServerMessage, 16)
		readErr := make(chan error, 1)
		go func() {
			dec := NewServerDecoder()
			for {
				_, b, err := c.ReadMessage() // answers pings meanwhile
				if err != nil {
					readErr <- err
					return
				}
				var m ServerMessage
				if err := dec.Decode(b, &m); err != nil {
					readErr <- err
					return
				}
				msgs <- m
			}
		}()
		if m := <-msgs; m.Type != MsgWelcome {
			t.Fatalf("first message %+v, want the welcome", m)
		}
		s := <-room.sess

		// Answering: four pings (8 s, past PongWait), each measured at exactly 150 ms.
		start := time.Now()
		var last pongAt
		for range 4 {
			last = <-pongs
			if last.rtt != 2*oneWay || last.srtt != 2*oneWay {
				t.Fatalf("ping round trip %v (smoothed %v), want exactly %v", last.rtt, last.srtt, 2*oneWay)
			}
		}
		if alive := last.at.Sub(start); alive <= def.PongWait {
			t.Fatalf("only %v of answered pings; the test needs more than PongWait (%v)", alive, def.PongWait)
		}
		select {
		case err := <-ended:
			t.Fatalf("a client answering pings was closed: %v", err)
		default:
		}
		if got := s.RTT(); got != 2*oneWay {
			t.Errorf("the room reads RTT %v, want %v", got, 2*oneWay)
		}
		if err := c.WriteMessage(websocket.BinaryMessage, enc.Ping(Ping{ClientTime: 1})); err != nil {
			t.Fatal(err)
		}
		if m := <-msgs; m.Type != MsgPong || m.Pong.ServerRTT != 150 {
			t.Errorf("pong %+v, want serverRTT 150 ms", m)
		}

		// Dead: no more pongs, and nothing else either.
		dead.Store(true)
		cause := <-ended
		if waited := time.Since(last.at); waited != def.PongWait {
			t.Errorf("closed %v after the last pong, want exactly PongWait (%v)", waited, def.PongWait)
		}
		if ne, ok := errors.AsType[net.Error](cause); !ok || !ne.Timeout() {
			t.Errorf("ended with %v, want a read timeout", cause)
		}
		if !Resumable(cause) {
			t.Errorf("a timed-out player may not come back: %v", cause)
		}
		if got := <-room.causes; got != cause {
			t.Errorf("the room was told %v, want %v", got, cause)
		}
		select {
		case p := <-pongs:
			t.Errorf("a pong was measured after the client went silent: %+v", p)
		default:
		}
		if err := <-readErr; err == nil {
			t.Error("the client's connection did not end")
		}

		cancel()
		_ = srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("http server: %v", err)
		}
		if err := <-relayed; err != nil {
			t.Errorf("relay: %v", err)
		}
	})
}

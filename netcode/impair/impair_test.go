package impair

import (
	"context"
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"
)

func TestParse(t *testing.T) {
	c, err := Parse("latency=75ms, jitter=10ms,stall=0.01:300ms")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Latency: 75 * time.Millisecond, Jitter: 10 * time.Millisecond, StallChance: 0.01, Stall: 300 * time.Millisecond}
	if c != want {
		t.Errorf("parsed %+v, want %+v", c, want)
	}
	for _, bad := range []string{"latency=fast", "speed=1", "stall=0.5", "stall=2:1s", "latency=-5ms"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted it", bad)
		}
	}
}

// relayTo starts a relay with config c in front of target, a function serving each relayed
// connection, and returns a way to connect through it.
func relayTo(t *testing.T, c Config, target func(net.Conn)) (connect func() net.Conn, stop func()) {
	front := NewPipeListener()
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{Config: c, Dial: func(context.Context) (net.Conn, error) {
		a, b := net.Pipe()
		go target(b)
		return a, nil
	}}
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, front) }()
	connect = func() net.Conn {
		conn, err := front.DialContext(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}
	return connect, func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestRelayDelaysBothWays: through a relay of 75 ms latency each way, a message's round trip
// to an echo server takes exactly 150 ms of synthetic time, and arrives intact.
func TestRelayDelaysBothWays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		connect, stop := relayTo(t, Config{Latency: 75 * time.Millisecond}, func(c net.Conn) {
			defer c.Close()
			_, _ = io.Copy(c, c)
		})
		c := connect()
		for i := range 3 {
			start := time.Now()
			msg := []byte{'a' + byte(i)}
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, 1)
			if _, err := io.ReadFull(c, got); err != nil {
				t.Fatal(err)
			}
			if got[0] != msg[0] {
				t.Fatalf("echo %q, want %q", got, msg)
			}
			if rtt := time.Since(start); rtt != 150*time.Millisecond {
				t.Errorf("round trip %d took %v, want exactly 150ms", i, rtt)
			}
		}
		c.Close()
		stop()
	})
}

// TestRelayStallsKeepOrder sends a stream through heavy jitter and stalls: it arrives whole
// and in order, and later than the latency alone would make it.
func TestRelayStallsKeepOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := make(chan []byte, 1)
		var last time.Time
		connect, stop := relayTo(t, Config{Latency: 10 * time.Millisecond, Jitter: 50 * time.Millisecond, StallChance: 0.3, Stall: 200 * time.Millisecond}, func(c net.Conn) {
			var all []byte
			buf := make([]byte, 64)
			for len(all) < 100 {
				n, err := c.Read(buf)
				all = append(all, buf[:n]...)
				if err != nil {
					break
				}
			}
			last = time.Now()
			got <- all
		})
		c := connect()
		start := time.Now()
		var sent []byte
		for i := range 100 {
			b := []byte{byte(i)}
			sent = append(sent, b...)
			if _, err := c.Write(b); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond) // synthetic time: one byte a millisecond
		}
		if b := <-got; string(b) != string(sent) {
			t.Fatalf("received %v, want the 100 bytes in order", b)
		}
		if took := last.Sub(start); took < 100*time.Millisecond+200*time.Millisecond {
			t.Errorf("the stream took %v: no stall happened", took)
		}
		c.Close()
		stop()
	})
}

// Package impair relays TCP connections through a simulated bad network: latency, jitter and
// stalls like those of lost packets, each way. It is for tests, the benchmark and trying the
// game by hand (the server's -impair flag); it never runs unless asked.
//
// The relay works on bytes, below WebSocket, so everything is delayed alike: frames, pings and
// close handshakes. Order is kept, as TCP keeps it: jitter can delay a chunk, never let it pass
// an earlier one.
package impair

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is one direction's impairment; the relay applies it both ways, so the round trip
// gains twice Latency.
type Config struct {
	Latency time.Duration // added to every chunk, one way
	Jitter  time.Duration // a further random delay from 0 to Jitter
	// StallChance is the chance that a chunk is held back for Stall more, with everything
	// behind it, as TCP stalls while it retransmits a lost packet.
	StallChance float64
	Stall       time.Duration
}

// Parse reads "latency=75ms,jitter=10ms,stall=0.01:300ms". Missing keys are zero.
func Parse(s string) (Config, error) {
	var c Config
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "latency":
			c.Latency, err = time.ParseDuration(v)
		case "jitter":
			c.Jitter, err = time.ParseDuration(v)
		case "stall":
			p, d, ok := strings.Cut(v, ":")
			if !ok {
				return c, fmt.Errorf("impair: stall=%q: want chance:duration, such as 0.01:300ms", v)
			}
			if c.StallChance, err = strconv.ParseFloat(p, 64); err == nil {
				c.Stall, err = time.ParseDuration(d)
			}
			if err == nil && (c.StallChance < 0 || c.StallChance > 1) {
				err = errors.New("chance must be from 0 to 1")
			}
		default:
			return c, fmt.Errorf("impair: unknown key %q (want latency, jitter or stall)", k)
		}
		if err != nil {
			return c, fmt.Errorf("impair: %s: %w", kv, err)
		}
		if c.Latency < 0 || c.Jitter < 0 || c.Stall < 0 {
			return c, fmt.Errorf("impair: %s: durations must not be negative", kv)
		}
	}
	return c, nil
}

func (c Config) String() string {
	return fmt.Sprintf("latency=%v,jitter=%v,stall=%g:%v", c.Latency, c.Jitter, c.StallChance, c.Stall)
}

// Proxy accepts connections on a listener and relays each to Target through the impairment.
type Proxy struct {
	Target string // address to dial for each connection
	Config Config
	Seed   uint64 // for the random delays; the same seed gives the same delays
	// Dial, if set, connects to the target instead of a TCP dial to Target (tests use
	// in-memory pipes).
	Dial func(ctx context.Context) (net.Conn, error)
}

// Serve relays connections from ln until ctx ends; then it closes ln and every relayed
// connection, and returns when all relays have stopped.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for n := uint64(0); ; n++ {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.relay(ctx, c, p.Seed+n)
		}()
	}
}

// relay joins client c to a new connection to the target, each way through a delay line.
func (p *Proxy) relay(ctx context.Context, c net.Conn, seed uint64) {
	defer c.Close()
	dial := p.Dial
	if dial == nil {
		dial = func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", p.Target)
		}
	}
	s, err := dial(ctx)
	if err != nil {
		return
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	context.AfterFunc(ctx, func() { c.Close(); s.Close() })
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); defer cancel(); p.pipe(ctx, s, c, rand.New(rand.NewPCG(seed, 1))) }()
	go func() { defer wg.Done(); defer cancel(); p.pipe(ctx, c, s, rand.New(rand.NewPCG(seed, 2))) }()
	wg.Wait()
}

type chunk struct {
	data []byte
	at   time.Time // when to deliver it
}

// pipe copies src to dst, delivering each chunk read at its release time. A reader goroutine
// stamps chunks as they arrive; this goroutine writes them when due.
func (p *Proxy) pipe(ctx context.Context, dst io.Writer, src io.Reader, rng *rand.Rand) {
	line := make(chan chunk, 1024) // bounded: a relay for tests, not a buffer bloat simulator
	go func() {
		defer close(line)
		last := time.Time{}
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				at := time.Now().Add(p.Config.Latency)
				if p.Config.Jitter > 0 {
					at = at.Add(time.Duration(rng.Int64N(int64(p.Config.Jitter) + 1)))
				}
				if p.Config.StallChance > 0 && rng.Float64() < p.Config.StallChance {
					at = at.Add(p.Config.Stall)
				}
				if at.Before(last) {
					at = last // never overtake an earlier chunk
				}
				last = at
				select {
				case line <- chunk{buf[:n], at}:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for ch := range line {
		if wait := time.Until(ch.at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		if _, err := dst.Write(ch.data); err != nil {
			return
		}
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite() // pass the end of the stream on, after the delayed data
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/netcode"
)

// fleet is the bench's simulated players against one server: it dials them over the ramp,
// opens and closes the measurement window, and takes them down.
type fleet struct {
	url     string
	timing  fleetTiming
	beh     behaviour
	seed    uint64
	timeout time.Duration // for one dial (handshake, join and welcome)

	sendCtx     context.Context // senders run until it ends
	stopSend    context.CancelFunc
	measuring   atomic.Bool  // readers record into their windows
	tearingDown atomic.Bool  // closes from now on are expected
	connected   atomic.Int64 // bots whose reader is running
	dials       sync.WaitGroup

	mu       sync.Mutex     // guards the fields below
	bots     []*bot         // every bot that joined
	dialErrs map[string]int // failed dials by reason
	dialEx   map[string]string
}

func newFleet(addr string, timing fleetTiming, beh behaviour, seed uint64, timeout time.Duration) *fleet {
	f := &fleet{
		url: "ws://" + addr + "/ws", timing: timing, beh: beh, seed: seed, timeout: timeout,
		dialErrs: make(map[string]int), dialEx: make(map[string]string),
	}
	f.sendCtx, f.stopSend = context.WithCancel(context.Background())
	return f
}

// ramp dials n bots spread evenly over d, each in its own goroutine, and returns when every
// dial has succeeded or failed (or ctx ended).
func (f *fleet) ramp(ctx context.Context, n int, d time.Duration) error {
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := range n {
		at := start.Add(d * time.Duration(i) / time.Duration(n))
		timer.Reset(time.Until(at))
		select {
		case <-ctx.Done():
			f.dials.Wait()
			return ctx.Err()
		case <-timer.C:
		}
		f.dials.Add(1)
		go f.dial(ctx, i)
	}
	f.dials.Wait()
	return ctx.Err()
}

func (f *fleet) dial(ctx context.Context, i int) {
	defer f.dials.Done()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	c, err := netcode.Dial(ctx, f.url, fmt.Sprintf("bot%d", i), netcode.DialOptions{})
	if err != nil {
		reason := dialReason(err)
		f.mu.Lock()
		f.dialErrs[reason]++
		if _, ok := f.dialEx[reason]; !ok {
			f.dialEx[reason] = err.Error()
		}
		f.mu.Unlock()
		return
	}
	b := &bot{id: i, c: c, readerDone: make(chan struct{}), senderDone: make(chan struct{})}
	f.mu.Lock()
	f.bots = append(f.bots, b)
	f.mu.Unlock()
	f.connected.Add(1)
	go func() {
		b.read(f.timing, &f.measuring, &f.tearingDown)
		f.connected.Add(-1)
	}()
	go b.send(f.sendCtx, f.timing.inputPeriod, f.beh, f.seed)
}

var httpStatusRE = regexp.MustCompile(`\(HTTP (\d+)\)`)

// dialReason classifies a failed dial: the close code that refused the join, the HTTP status
// that refused the upgrade, or the kind of network error.
func dialReason(err error) string {
	if code := netcode.CloseCodeOf(err); code != 0 {
		return fmt.Sprintf("close %d", code)
	}
	if m := httpStatusRE.FindStringSubmatch(err.Error()); m != nil {
		return "HTTP " + m[1]
	}
	return "network: " + netReason(err)
}

// closeReason classifies how a connection ended: its close code (1006 when it ended without a
// close frame), or the kind of network error.
func closeReason(err error) string {
	if code := netcode.CloseCodeOf(err); code != 0 {
		return fmt.Sprintf("%d", code)
	}
	return "network: " + netReason(err)
}

func netReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, net.ErrClosed):
		return "closed"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op + " error"
	}
	return "other"
}

// snapshot returns the bots that joined so far.
func (f *fleet) snapshot() []*bot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bots)
}

// windowMark is the bots' cumulative counters at one moment.
type windowMark struct {
	at        time.Time
	bytes     map[*bot]uint64
	snaps     map[*bot]uint64
	snapBytes map[*bot]uint64
	alive     map[*bot]bool // the bots still connected
}

func (f *fleet) mark() windowMark {
	m := windowMark{
		at: time.Now(), bytes: make(map[*bot]uint64), snaps: make(map[*bot]uint64),
		snapBytes: make(map[*bot]uint64), alive: make(map[*bot]bool),
	}
	for _, b := range f.snapshot() {
		m.bytes[b] = b.bytes.Load()
		m.snaps[b] = b.snaps.Load()
		m.snapBytes[b] = b.snapBytes.Load()
		select {
		case <-b.readerDone:
		default:
			m.alive[b] = true
		}
	}
	return m
}

// teardown stops the senders, then has every bot leave (leave message and close frame) and
// waits up to grace for the server's close; what is still open then is closed.
func (f *fleet) teardown(grace time.Duration) {
	f.tearingDown.Store(true)
	f.stopSend()
	bots := f.snapshot()
	var wg sync.WaitGroup
	for _, b := range bots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(grace)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			select {
			case <-b.senderDone: // the sender was the only writer; now this goroutine is
				_ = b.c.Leave()
			case <-ctx.Done():
			}
			_ = b.c.SetReadDeadline(deadline)
			select {
			case <-b.readerDone:
			case <-ctx.Done():
			}
			_ = b.c.Close() // unblocks a stuck sender or reader
			<-b.readerDone
			<-b.senderDone
		}()
	}
	wg.Wait()
}

// failures counts what went wrong with connections: refused dials by reason, and closes before
// the teardown by close code; and, apart, how the teardown closes went.
type failures struct {
	Dial          map[string]int    `json:"dial"`               // failed dials by reason
	DialExamples  map[string]string `json:"dial_examples"`      // one error message per reason
	Unexpected    map[string]int    `json:"unexpected_closes"`  // connections lost before the teardown, by close code
	Teardown      map[string]int    `json:"teardown_closes"`    // how the connections ended when the bots left (1000 expected)
	UnexpectedAny int               `json:"unexpected_total"`   // sum of Unexpected
	DialAny       int               `json:"dial_failure_total"` // sum of Dial
}

// failures reads the counts; call it after teardown.
func (f *fleet) failures() failures {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := failures{
		Dial: make(map[string]int), DialExamples: make(map[string]string),
		Unexpected: make(map[string]int), Teardown: make(map[string]int),
	}
	for k, v := range f.dialErrs {
		fl.Dial[k] = v
		fl.DialAny += v
	}
	for k, v := range f.dialEx {
		fl.DialExamples[k] = v
	}
	for _, b := range f.bots {
		<-b.readerDone
		if b.unexpected {
			fl.Unexpected[closeReason(b.endErr)]++
			fl.UnexpectedAny++
		} else {
			fl.Teardown[closeReason(b.endErr)]++
		}
	}
	return fl
}

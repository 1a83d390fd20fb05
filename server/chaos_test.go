package main

import (
	"context"
	"flag"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/netcode"
)

var (
	chaos         = flag.Bool("chaos", false, "run the chaos test at full size (see -chaos-clients, -chaos-time)")
	chaosClients  = flag.Int("chaos-clients", 300, "clients in the full chaos test")
	chaosDuration = flag.Duration("chaos-time", 30*time.Second, "length of the full chaos test")
)

// TestChaosReconnects runs many clients of which some drop their connection abruptly and come
// back with their token, throughout the run. Afterwards every reconnect has resumed its own
// player and the goroutines are back to their baseline. The run happens twice, and the heap
// after the second is no larger than after the first: the first grows what a room of that
// size needs (slices, maps); a leak would grow again. It runs small by default; -chaos runs it
// with hundreds of clients (go test ./server -run Chaos -chaos -v).
func TestChaosReconnects(t *testing.T) {
	clients, length := 24, 2*time.Second
	if *chaos {
		clients, length = *chaosClients, *chaosDuration
	}
	ts := startServer(t, testConfig(t, "-max-players", "10000", "-max-conns-per-ip", "100000"))

	// Warm up: open the room, so that the baseline includes it.
	first := dial(t, ts, "warmup")
	if err := first.Leave(); err != nil {
		t.Fatal(err)
	}
	waitRooms(t, ts, 0)
	goroutines, heap0 := baseline()
	chaosRun(t, ts, clients, length, goroutines)
	_, heap := baseline()
	chaosRun(t, ts, clients, length, goroutines)
	_, h := baseline()
	t.Logf("heap after warm-up %d KiB, after the first run %d KiB, after the second %d KiB", heap0>>10, heap>>10, h>>10)
	if h > heap+512<<10 {
		t.Errorf("heap grew from %d KiB to %d KiB between two identical runs", heap>>10, h>>10)
	}
}

// chaosRun plays one chaos run and checks its reconnects and goroutines.
func chaosRun(t *testing.T, ts *testServer, clients int, length time.Duration, goroutines int) {
	t.Helper()

	var reconnects, resumed, drops atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), length)
	defer cancel()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			c, err := chaosDial(ts.wsURL(), "")
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			me, token, room := c.Welcome.PlayerID, c.Welcome.Token, c.Welcome.RoomID
			for ctx.Err() == nil {
				_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
				if _, err := c.NextFrame(); err != nil {
					t.Errorf("client %d: %v", i, err)
					return
				}
				if rng.IntN(45) == 0 { // about once every 1.5 s at 30 Hz: drop, and come back
					c.Close()
					drops.Add(1)
					c, err = chaosDial(ts.wsURL()+"?room="+room, token)
					if err != nil {
						t.Errorf("client %d reconnecting: %v", i, err)
						return
					}
					reconnects.Add(1)
					if c.Welcome.PlayerID == me {
						resumed.Add(1)
					}
					continue
				}
				_ = c.SendInput(netcode.Input{MoveX: rng.Float64()*2 - 1, Aim: rng.Float64() * 6, Buttons: netcode.Buttons(rng.IntN(2))})
			}
			_ = c.Leave()
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			for {
				if _, err := c.NextFrame(); err != nil {
					break
				}
			}
			c.Close()
		}()
	}
	wg.Wait()
	t.Logf("%d clients for %v: %d drops, %d reconnects, %d resumed their player", clients, length, drops.Load(), reconnects.Load(), resumed.Load())
	if reconnects.Load() == 0 || resumed.Load() != reconnects.Load() {
		t.Errorf("%d of %d reconnects resumed their player, want all", resumed.Load(), reconnects.Load())
	}
	waitRooms(t, ts, 0)

	// Goroutines return to the baseline.
	eventually(func() bool { return runtime.NumGoroutine() <= goroutines })
	g := runtime.NumGoroutine()
	t.Logf("goroutines: %d before the run, %d after", goroutines, g)
	if g > goroutines {
		t.Errorf("%d goroutines after the run, %d before", g, goroutines)
	}
}

// chaosDial joins at url, with token if not empty, within a deadline.
func chaosDial(url, token string) (*netcode.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return netcode.Dial(ctx, url, "bot", netcode.DialOptions{Token: token})
}

// baseline returns the goroutine count and the live heap after a garbage collection.
func baseline() (goroutines int, heap uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapAlloc
}

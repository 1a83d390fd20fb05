package main

import (
	"context"
	"fmt"
	"net"

	"github.com/tickwire/tickwire/netcode/impair"
)

// startRelay puts the simulated bad network of netcode/impair between the bots and the server
// at target (-impair), in this process, on a loopback port. It returns the address the bots
// dial and a function that stops the relay and waits for it.
func startRelay(ctx context.Context, target string, c impair.Config) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("impair relay: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	p := &impair.Proxy{Target: target, Config: c, Seed: 1}
	go func() { defer close(done); _ = p.Serve(ctx, ln) }()
	return ln.Addr().String(), func() { cancel(); <-done }, nil
}

// Command server is the Tickwire dedicated server: it runs the arena, serves the browser client
// at / and the game's WebSocket at /ws. Run it with -h for its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/tickwire/tickwire/netcode/impair"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "tickwire:", err)
		os.Exit(1)
	}
}

// run starts the server and returns when it has shut down after SIGINT or SIGTERM (or ctx).
// A second signal during shutdown ends the process at once, as the default handler does.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if getenv("GOGC") == "" {
		// The server allocates little per tick (about 1.4 MB/s at 1,000 players, nearly all
		// of it inside gorilla/websocket) against a live heap that grows with the players: a
		// smaller GOGC than Go's 100 costs a collection every few seconds and keeps the heap,
		// and so the resident memory, near the live data.
		debug.SetGCPercent(cfg.GCPercent)
	}
	// The first signal starts the shutdown; the signals are let go before the server hears of
	// it, so that a second one, even at once, ends the process as the default handler does.
	sigCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, shutdown := context.WithCancel(context.Background())
	defer shutdown()
	context.AfterFunc(sigCtx, func() { stop(); shutdown() })

	srv, err := NewServer(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	scheme := "http://"
	if cfg.TLSCert != "" {
		scheme = "https://"
	}
	log.Info("listening", "addr", ln.Addr().String(), "url", scheme+browsable(ln.Addr()))
	var admin net.Listener
	if cfg.AdminAddr != "" {
		if admin, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen admin: %w", err)
		}
		log.Info("admin listening", "addr", admin.Addr().String(), "routes", "/debug/pprof/ /metrics")
	}
	if cfg.ImpairAddr != "" {
		iln, err := net.Listen("tcp", cfg.ImpairAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen impaired: %w", err)
		}
		p := &impair.Proxy{Target: ln.Addr().String(), Config: cfg.Impair}
		go func() { _ = p.Serve(ctx, iln) }()
		log.Info("impaired address listening", "addr", iln.Addr().String(), "impair", cfg.Impair.String(),
			"url", scheme+browsable(iln.Addr()))
	}
	return srv.Serve(ctx, ln, admin)
}

// browsable turns a listen address into one a browser on this machine can open.
func browsable(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && t.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", t.Port)
	}
	return a.String()
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

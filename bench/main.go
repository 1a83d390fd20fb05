// Command bench measures what the Tickwire server costs. It builds the real dedicated
// server, starts it as its own process on loopback, brings in simulated players (goroutines
// speaking the protocol through netcode's Go client) over a ramp, and measures a window: the
// server's tick durations from its /stats endpoint, its CPU and memory from /proc, and what
// each player receives. Then it runs the same connections against the transport floor
// (floorserver/: no game, one pre-built frame per client per tick) and reports the ratio.
//
// Run it from the repository root with `go run ./bench`; see README.md for the flags and how to read the report.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run is the whole tool: it returns when every run has finished (or ctx ended) and every
// process it started has stopped.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	began := time.Now()
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	if cfg.Repo == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		if cfg.Repo, err = findRepo(wd); err != nil {
			return err
		}
	}
	if cfg.Out == "" {
		cfg.Out = filepath.Join(cfg.Repo, "bench", "out")
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return err
	}
	if cfg.BotCPUs != "" {
		cpus, _ := parseCPUList(cfg.BotCPUs) // checked by parseConfig
		if err := pinSelf(cpus); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "tickwire-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	r := &runner{cfg: cfg}
	if !cfg.Quiet {
		r.progress = stderr
		if f, ok := stderr.(*os.File); ok {
			r.tty = isTerminal(f)
		}
	}
	logf := func(format string, a ...any) {
		if !cfg.Quiet {
			fmt.Fprintf(stderr, format+"\n", a...)
		}
	}

	serverBin, floorBin := cfg.ServerBin, filepath.Join(tmp, "floorserver")
	if cfg.Mode != "floor" && serverBin == "" {
		serverBin = filepath.Join(tmp, "tickwire")
		logf("building the server: go build -o %s ./server (in %s)", serverBin, cfg.Repo)
		if err := goBuild(ctx, cfg.Repo, serverBin, "./server", cfg.BuildFlags); err != nil {
			return err
		}
	}
	if cfg.Mode != "arena" {
		logf("building the floor server: go build ./bench/floorserver (in %s)", cfg.Repo)
		if err := goBuild(ctx, cfg.Repo, floorBin, "./bench/floorserver", nil); err != nil {
			return err
		}
	}
	viewRadius := cfg.Mode != "floor" && helpMentions(ctx, serverBin, "-view-radius")

	rep := &Report{
		Tool: "tickwire bench", Started: began, Machine: thisMachine(),
		Config: reportConfig{
			Players: cfg.Players, Mode: cfg.Mode,
			RampS: cfg.Ramp.Seconds(), WindowS: cfg.Window.Seconds(),
			FloorRampS: cfg.FloorRamp.Seconds(), FloorWindowS: cfg.FloorWindow.Seconds(),
			TickRate: cfg.TickRate, SnapshotRate: cfg.SnapshotRate,
			ViewRadius: cfg.ViewRadius, ViewRadiusApplied: viewRadius,
			ArenaPerPlayer: cfg.ArenaPerSide, Seed: cfg.Seed,
			ServerCPUs: cfg.ServerCPUs, BotCPUs: cfg.BotCPUs, ServerArgs: cfg.ServerArgs,
		},
	}
	if cfg.Mode != "floor" && !viewRadius {
		logf("note: this server has no -view-radius flag: every client gets every entity (protocol v1 full snapshots)")
	}
	m := rep.Machine
	fmt.Fprintf(stdout, "tickwire bench: %d CPUs (%s), %s, load average at start %s\n", m.CPUs, m.CPUModel, m.GoVersion, m.LoadAvg)
	jsonPath := filepath.Join(cfg.Out, "report.json")
	var files []string
	for _, n := range cfg.Players {
		pr := playerRun{Players: n, ArenaSize: cfg.arenaSize(n)}
		if cfg.Mode != "floor" {
			logf("arena: %d players, ramp %v, window %v", n, cfg.Ramp, cfg.Window)
			if pr.Arena, err = r.run(ctx, cfg.arenaSpec(n, serverBin, viewRadius)); err != nil {
				return err
			}
		}
		if cfg.Mode != "arena" {
			frame := cfg.FloorFrame
			if frame == 0 && pr.Arena != nil {
				frame = int(math.Round(pr.Arena.Clients.SnapshotBytesMean))
			}
			if frame <= 0 {
				return errors.New("bench: no snapshot reached the bots, so the floor has no frame size; pass -floor-frame-bytes")
			}
			logf("floor: %d players, %d-byte frames, ramp %v, window %v", n, frame, cfg.FloorRamp, cfg.FloorWindow)
			if pr.Floor, err = r.run(ctx, cfg.floorSpec(n, floorBin, frame)); err != nil {
				return err
			}
			pr.Floor.FrameBytes = frame
		}
		if pr.Arena != nil && pr.Floor != nil && pr.Floor.Server.CPUPerClientTickUS > 0 {
			pr.CPURatio = pr.Arena.Server.CPUPerClientTickUS / pr.Floor.Server.CPUPerClientTickUS
			if pr.Floor.Server.CPUPerFrameUS > 0 {
				pr.CPUFrameRatio = pr.Arena.Server.CPUPerFrameUS / pr.Floor.Server.CPUPerFrameUS
			}
		}
		pr.Targets = checkTargets(&pr)
		dir := cfg.Out
		if len(cfg.Players) > 1 {
			dir = filepath.Join(cfg.Out, fmt.Sprintf("n%d", n))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
		pf, err := writePlots(dir, cfg.PlotFormat, &pr)
		files = append(files, pf...)
		if err != nil {
			return err
		}
		rep.Runs = append(rep.Runs, pr)
		printRun(stdout, cfg, &pr)
		rep.DurationS = time.Since(began).Seconds()
		if err := writeJSON(jsonPath, rep); err != nil { // after every run: an interrupted sweep keeps what it measured
			return err
		}
	}
	if len(rep.Runs) > 1 {
		printSweep(stdout, cfg, rep.Runs)
		rep.LargestHeld = largestHeld(rep.Runs)
		p, err := writeSweepPlot(cfg.Out, cfg.PlotFormat, rep.Runs)
		if err != nil {
			return err
		}
		files = append(files, p)
	}
	rep.DurationS = time.Since(began).Seconds()
	if err := writeJSON(jsonPath, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", jsonPath)
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	return nil
}

// arenaSpec is the run of n players against the real server.
func (c Config) arenaSpec(n int, bin string, viewRadius bool) runSpec {
	args := []string{
		"-addr", "127.0.0.1:0",
		"-tick-rate", strconv.Itoa(c.TickRate),
		"-snapshot-rate", strconv.Itoa(c.SnapshotRate),
		"-max-players", strconv.Itoa(n),
		"-max-conns-per-ip", strconv.Itoa(n + 64), // every bot comes from 127.0.0.1
		"-arena-size", strconv.FormatFloat(c.arenaSize(n), 'f', -1, 64),
		"-seed", strconv.FormatUint(c.Seed, 10),
		"-log-level", "info", // the bench reads the "listening" line, logged at info
	}
	if viewRadius {
		args = append(args, "-view-radius", strconv.FormatFloat(c.ViewRadius, 'f', -1, 64))
	}
	args = append(args, c.ServerArgs...)
	return runSpec{
		kind: "arena", players: n, ramp: c.Ramp, window: c.Window, bin: bin, args: args, cpus: c.ServerCPUs,
		timing: fleetTiming{
			inputPeriod: time.Second / time.Duration(c.TickRate),
			tickPeriod:  time.Second / time.Duration(c.TickRate),
			sendEvery:   uint32(c.TickRate / c.SnapshotRate),
		},
	}
}

// floorSpec is the run of n players against the floor server, which sends frames of
// frameBytes at the snapshot rate and numbers them one by one.
func (c Config) floorSpec(n int, bin string, frameBytes int) runSpec {
	args := []string{
		"-addr", "127.0.0.1:0",
		"-tick-rate", strconv.Itoa(c.SnapshotRate),
		"-frame-bytes", strconv.Itoa(frameBytes),
		"-arena-size", strconv.FormatFloat(c.arenaSize(n), 'f', -1, 64),
	}
	return runSpec{
		kind: "floor", players: n, ramp: c.FloorRamp, window: c.FloorWindow, bin: bin, args: args, cpus: c.ServerCPUs,
		timing: fleetTiming{
			inputPeriod: time.Second / time.Duration(c.TickRate),
			tickPeriod:  time.Second / time.Duration(c.SnapshotRate),
			sendEvery:   1,
		},
	}
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tickwire/tickwire/netcode/impair"
)

// Config is everything the bench can be told. Every field is a flag; the defaults are the
// scenario of issue #6 ("arena"): 1,000 players, 30 Hz, a 10 s ramp and a 30 s window,
// followed by the transport floor with the same connections.
type Config struct {
	Players      []int          // players per run; several make a sweep. Default 1000
	Mode         string         // "both" (arena then floor, default), "arena" or "floor"
	Ramp         time.Duration  // players join evenly over this; default 10s
	Window       time.Duration  // the measured window after the ramp; default 30s
	FloorRamp    time.Duration  // the floor's ramp; default 5s
	FloorWindow  time.Duration  // the floor's window; default 10s
	FloorFrame   int            // bytes of the floor's frame; 0: the arena run's mean snapshot size
	TickRate     int            // server ticks per second; default 30
	SnapshotRate int            // snapshots per second; 0: the tick rate
	ViewRadius   float64        // world units; passed to the server only if it has -view-radius
	ArenaPerSide float64        // arena side = ArenaPerSide * sqrt(N); default 200
	Seed         uint64         // world and bot seed; default 1
	Behaviour    behaviour      // how bots play
	DialTimeout  time.Duration  // one bot's handshake, join and welcome; default 10s
	ServerCPUs   string         // run the server under taskset -c; empty: any CPU
	BotCPUs      string         // pin the bench (bots) to these CPUs; empty: any CPU
	Out          string         // output folder; default <repo>/bench/out
	Repo         string         // repository root; default: found from the working directory
	ServerBin    string         // a prebuilt server binary; default: build ./server
	BuildFlags   []string       // extra `go build` flags for the server (such as -overlay f.json)
	ServerArgs   []string       // extra server flags
	Impair       *impair.Config // if set, the bots connect through this simulated network
	PlotFormat   string         // "png" (default) or "svg"
	Quiet        bool           // no progress line
}

// parseConfig reads the flags in args. It returns flag.ErrHelp after printing usage for -h.
func parseConfig(args []string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run ./bench [flags]   (from the repository root)\n\n"+
			"Drives the real Tickwire server with simulated players over WebSockets on loopback and\n"+
			"reports what the server paid per tick. See bench/README.md.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	var players, buildFlags, serverArgs string
	fs.StringVar(&players, "players", "1000", "players in the room; a comma-separated list (250,500,1000) runs a sweep")
	fs.StringVar(&c.Mode, "mode", "both", "both: the arena, then the transport floor with the same connections; arena; or floor")
	fs.DurationVar(&c.Ramp, "ramp", 10*time.Second, "players join evenly over this time")
	fs.DurationVar(&c.Window, "window", 30*time.Second, "the measured window, after the ramp")
	fs.DurationVar(&c.FloorRamp, "floor-ramp", 5*time.Second, "the floor run's ramp")
	fs.DurationVar(&c.FloorWindow, "floor-window", 10*time.Second, "the floor run's measured window")
	fs.IntVar(&c.FloorFrame, "floor-frame-bytes", 0, "size of the floor server's frame; 0 means the arena run's mean snapshot size (needed with -mode floor)")
	fs.IntVar(&c.TickRate, "tick-rate", 30, "server ticks per second")
	fs.IntVar(&c.SnapshotRate, "snapshot-rate", 0, "snapshots per second, dividing the tick rate; 0 means the tick rate")
	fs.Float64Var(&c.ViewRadius, "view-radius", 700, "view radius in world units; passed on only if the server has -view-radius")
	fs.Float64Var(&c.ArenaPerSide, "arena-per-player", 200, "arena side = this x sqrt(players) world units (one player per 200x200)")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of the world and of the bots' choices")
	fs.DurationVar(&c.Behaviour.dirMin, "turn-min", 500*time.Millisecond, "a bot keeps a direction at least this long")
	fs.DurationVar(&c.Behaviour.dirMax, "turn-max", 2*time.Second, "a bot keeps a direction at most this long")
	fs.DurationVar(&c.Behaviour.fireEvery, "fire-every", time.Second, "mean time between a bot's shots")
	fs.Float64Var(&c.Behaviour.maxTurn, "aim-turn", math.Pi, "largest aim turn rate, radians per second")
	fs.DurationVar(&c.DialTimeout, "dial-timeout", 10*time.Second, "time for one bot's handshake, join and welcome")
	fs.StringVar(&c.ServerCPUs, "server-cpus", "", "run the server under taskset -c LIST (such as 0); empty means any CPU")
	fs.StringVar(&c.BotCPUs, "bot-cpus", "", "pin the bench and its bots to CPUs LIST (such as 1); empty means any CPU")
	fs.StringVar(&c.Out, "out", "", "output folder for report.json and plots; empty means <repo>/bench/out")
	fs.StringVar(&c.Repo, "repo", "", "repository root; empty means the go.mod of "+rootModule+" above the working directory")
	fs.StringVar(&c.ServerBin, "server-bin", "", "a prebuilt server binary; empty means go build ./server in the repository")
	fs.StringVar(&buildFlags, "build-flags", "", "extra go build flags for the server, space-separated (such as -overlay /tmp/ov.json)")
	fs.StringVar(&serverArgs, "server-args", "", "extra server flags, space-separated")
	var impairSpec string
	fs.StringVar(&impairSpec, "impair", "", "connect the bots through a simulated bad network, each way (latency=75ms,jitter=10ms,stall=0.01:300ms); empty means direct")
	fs.StringVar(&c.PlotFormat, "plot-format", "png", "plot files: png or svg")
	fs.BoolVar(&c.Quiet, "quiet", false, "no progress line")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for _, p := range strings.Split(players, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 100000 {
			return c, fmt.Errorf("-players %q: want positive counts, comma-separated", players)
		}
		c.Players = append(c.Players, n)
	}
	c.BuildFlags = strings.Fields(buildFlags)
	c.ServerArgs = strings.Fields(serverArgs)
	if impairSpec != "" {
		ic, err := impair.Parse(impairSpec)
		if err != nil {
			return c, err
		}
		c.Impair = &ic
	}
	switch {
	case !slices.Contains([]string{"both", "arena", "floor"}, c.Mode):
		return c, fmt.Errorf("-mode %q: want both, arena or floor", c.Mode)
	case c.Mode == "floor" && c.FloorFrame <= 0:
		return c, errors.New("-mode floor needs -floor-frame-bytes (the mean snapshot size of an arena run; -mode both measures it)")
	case c.Ramp < 0 || c.FloorRamp < 0:
		return c, errors.New("-ramp, -floor-ramp: want 0 or more")
	case c.Window <= 0 || c.FloorWindow <= 0:
		return c, errors.New("-window, -floor-window: want a positive duration")
	case c.TickRate < 1 || c.TickRate > 1000:
		return c, fmt.Errorf("-tick-rate %d: out of range", c.TickRate)
	case c.SnapshotRate < 0 || c.SnapshotRate > 0 && c.TickRate%c.SnapshotRate != 0:
		return c, fmt.Errorf("-snapshot-rate %d: want a divisor of the tick rate", c.SnapshotRate)
	case c.Behaviour.dirMin <= 0 || c.Behaviour.dirMax < c.Behaviour.dirMin:
		return c, errors.New("-turn-min, -turn-max: want 0 < min <= max")
	case c.Behaviour.fireEvery <= 0:
		return c, errors.New("-fire-every: want a positive duration")
	case c.DialTimeout <= 0:
		return c, errors.New("-dial-timeout: want a positive duration")
	case c.PlotFormat != "png" && c.PlotFormat != "svg":
		return c, fmt.Errorf("-plot-format %q: want png or svg", c.PlotFormat)
	}
	if c.SnapshotRate == 0 {
		c.SnapshotRate = c.TickRate
	}
	if c.BotCPUs != "" {
		if _, err := parseCPUList(c.BotCPUs); err != nil {
			return c, fmt.Errorf("-bot-cpus: %w", err)
		}
	}
	return c, nil
}

// arenaSize is the arena side for n players: one player per ArenaPerSide² square units.
func (c Config) arenaSize(n int) float64 {
	return math.Round(c.ArenaPerSide * math.Sqrt(float64(n)))
}

// parseCPUList parses a taskset-style CPU list: "0", "0,2", "1-3".
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q: want a CPU list such as 0,2-3", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%q: want a CPU list such as 0,2-3", s)
			}
		}
		for i := a; i <= b; i++ {
			cpus = append(cpus, i)
		}
	}
	return cpus, nil
}

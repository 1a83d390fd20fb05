package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/tickwire/tickwire/assets"
	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/netcode/impair"
)

// Config is everything an operator can set. Every field is a flag with an environment twin:
// -tick-rate and TICKWIRE_TICK_RATE, say. A flag given on the command line wins.
type Config struct {
	Addr            string        // listen address; default ":8080"
	TickRate        int           // simulation ticks per second, 10 to 128; default 30
	TickPriority    int           // nice value of the threads that run ticks, -20 to 19; 0: leave them
	SnapshotRate    int           // snapshots per second; divides TickRate; default TickRate
	MaxPlayers      int           // players per room; default 100
	MaxSpectators   int           // spectators per room, besides the players; default MaxPlayers; 0: none
	ReconnectGrace  time.Duration // how long a dropped player waits for its client; default 15s
	MaxConnsPerIP   int           // WebSocket connections from one IP address; default 32
	MaxRooms        int           // rooms in the process; default 100
	RoomIdleTimeout time.Duration // how long an empty room stays open; default 30s
	ViewRadius      float64       // how far a player sees, in world units; default 700
	ArenaSize       float64       // arena side in world units; 0 means the map's own size
	Map             string        // embedded map name; default "courtyard"
	Seed            uint64        // world seed; 0 picks one at random
	AllowedOrigins  []string      // browser origins allowed besides the server's own host; "*" allows any
	DrainTimeout    time.Duration // how long shutdown waits for clients to close; default 5s
	TLSCert, TLSKey string        // PEM files; with both set, the server speaks HTTPS and wss://
	AdminAddr       string        // loopback address for net/http/pprof and /metrics; empty: off
	GCPercent       int           // the garbage collector's GOGC, 10 to 1000, unless GOGC is set; default 25
	Impair          impair.Config // latency, jitter and stalls added on ImpairAddr
	ImpairAddr      string        // a second address whose connections go through Impair; empty: off
	LogFormat       string        // "text" or "json"
	LogLevel        slog.Level
}

// envPrefix starts every environment twin's name.
const envPrefix = "TICKWIRE_"

// envName is the environment twin of a flag: "tick-rate" -> "TICKWIRE_TICK_RATE".
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads the environment (through getenv), then the flags in args. It returns
// flag.ErrHelp after printing usage for -h.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("tickwire", flag.ContinueOnError)
	fs.SetOutput(out)
	var origins, logLevel string
	var snapshotRate int
	str := func(p *string, name, def, usage string) { fs.StringVar(p, name, def, usage+" (env "+envName(name)+")") }
	num := func(p *int, name string, def int, usage string) {
		fs.IntVar(p, name, def, usage+" (env "+envName(name)+")")
	}
	str(&c.Addr, "addr", ":8080", "HTTP and WebSocket listen address; 127.0.0.1:0 picks a free port")
	num(&c.TickRate, "tick-rate", 30, "simulation ticks per second, 10 to 128")
	num(&c.TickPriority, "tick-priority", 0, "nice value, -20 to 19, for the OS threads that run room ticks (Linux); below 0 needs CAP_SYS_NICE; 0 leaves them to the process's priority")
	num(&snapshotRate, "snapshot-rate", 0, "snapshots sent per second, dividing the tick rate; 0 means the tick rate")
	num(&c.MaxPlayers, "max-players", 100, "most players in a room; a full room refuses joins with close code 1013")
	num(&c.MaxSpectators, "max-spectators", -1, "most spectators in a room, besides its players (a spectator watching the widest area costs about what five players do, and receives what fifteen do); -1 means as many as -max-players, 0 none")
	num(&c.MaxRooms, "max-rooms", 100, "most rooms in the process")
	num(&c.GCPercent, "gc-percent", 25, "how far the heap may grow over the live data before a garbage collection, in percent, 10 to 1000 (GOGC; a GOGC in the environment wins)")
	fs.DurationVar(&c.ReconnectGrace, "reconnect-grace", 15*time.Second, "how long the player of a dropped connection waits in the world for its client to reconnect; 0 removes it at once (env "+envName("reconnect-grace")+")")
	num(&c.MaxConnsPerIP, "max-conns-per-ip", 32, "most WebSocket connections from one IP address; more are refused with HTTP 429")
	fs.DurationVar(&c.RoomIdleTimeout, "room-idle-timeout", 30*time.Second, "how long an empty room stays open (env "+envName("room-idle-timeout")+")")
	fs.Float64Var(&c.ViewRadius, "view-radius", netcode.DefaultViewRadius, "how far a player sees, in world units: entities within it are sent; they stay until 15% beyond it (env "+envName("view-radius")+")")
	fs.Float64Var(&c.ArenaSize, "arena-size", 0, "arena side in world units, the map repeated to fill it; 0 means the map's own size (env "+envName("arena-size")+")")
	str(&c.Map, "map", assets.DefaultMap, fmt.Sprintf("map to play, one of %v", assets.MapNames()))
	fs.Uint64Var(&c.Seed, "seed", 0, "world seed for spawn choices; 0 picks one at random (env "+envName("seed")+")")
	str(&origins, "allowed-origins", "", "comma-separated browser origins allowed to connect besides the server's own host (https://example.com), or * for any")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", 5*time.Second, "how long shutdown waits for clients to close (env "+envName("drain-timeout")+")")
	str(&c.TLSCert, "tls-cert", "", "TLS certificate file (PEM); with -tls-key, serve https:// and wss:// directly")
	str(&c.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	str(&c.AdminAddr, "admin-addr", "", "loopback address (127.0.0.1:6060) for net/http/pprof and /metrics; empty means off")
	var impairSpec string
	str(&impairSpec, "impair", "latency=75ms,jitter=10ms", "with -impair-addr: the bad network to simulate, each way (latency, jitter, stall=chance:duration)")
	str(&c.ImpairAddr, "impair-addr", "", "a second address (127.0.0.1:8081) that reaches the server through -impair, for trying the game on a bad network; empty means off")
	str(&c.LogFormat, "log-format", "text", "log format: text or json")
	str(&logLevel, "log-level", "info", "log level: debug, info, warn or error")

	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", envName(f.Name), v, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	if c.TickRate < 10 || c.TickRate > 128 {
		return c, fmt.Errorf("-tick-rate %d: want 10 to 128", c.TickRate)
	}
	if c.TickPriority < -20 || c.TickPriority > 19 {
		return c, fmt.Errorf("-tick-priority %d: want a nice value, -20 to 19", c.TickPriority)
	}
	c.SnapshotRate = snapshotRate
	if c.SnapshotRate == 0 {
		c.SnapshotRate = c.TickRate
	}
	if c.SnapshotRate < 1 || c.SnapshotRate > c.TickRate || c.TickRate%c.SnapshotRate != 0 {
		return c, fmt.Errorf("-snapshot-rate %d: want a divisor of the tick rate %d", c.SnapshotRate, c.TickRate)
	}
	if c.MaxPlayers < 1 || c.MaxPlayers > 100000 {
		return c, fmt.Errorf("-max-players %d: want 1 to 100000", c.MaxPlayers)
	}
	if c.MaxSpectators == -1 {
		c.MaxSpectators = c.MaxPlayers
	}
	if c.MaxSpectators < 0 || c.MaxSpectators > 100000 {
		return c, fmt.Errorf("-max-spectators %d: want 0 to 100000, or -1 for as many as -max-players", c.MaxSpectators)
	}
	if c.ReconnectGrace < 0 {
		return c, errors.New("-reconnect-grace: want a duration of 0 or more")
	}
	if c.MaxConnsPerIP < 1 {
		return c, fmt.Errorf("-max-conns-per-ip %d: want at least 1", c.MaxConnsPerIP)
	}
	if c.GCPercent < 10 || c.GCPercent > 1000 {
		return c, fmt.Errorf("-gc-percent %d: want 10 to 1000", c.GCPercent)
	}
	if c.MaxRooms < 1 {
		return c, fmt.Errorf("-max-rooms %d: want at least 1", c.MaxRooms)
	}
	if c.RoomIdleTimeout <= 0 {
		return c, errors.New("-room-idle-timeout: want a positive duration")
	}
	if c.ViewRadius < 1 || c.ViewRadius > 1e6 {
		return c, fmt.Errorf("-view-radius %v: want 1 to 1000000", c.ViewRadius)
	}
	if c.ArenaSize < 0 || c.ArenaSize > 1e6 {
		return c, fmt.Errorf("-arena-size %v: want 0 to 1000000", c.ArenaSize)
	}
	if _, err := assets.Map(c.Map); err != nil {
		return c, fmt.Errorf("-map %q: no such map; have %v", c.Map, assets.MapNames())
	}
	if c.DrainTimeout <= 0 {
		return c, errors.New("-drain-timeout: want a positive duration")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return c, errors.New("-tls-cert and -tls-key go together")
	}
	if c.TLSCert != "" {
		// Read them now, so that a wrong file stops the start before the server listens.
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			return c, fmt.Errorf("-tls-cert %q and -tls-key %q: %w", c.TLSCert, c.TLSKey, err)
		}
	}
	if c.AdminAddr != "" {
		host, _, err := net.SplitHostPort(c.AdminAddr)
		ip := net.ParseIP(host)
		if err != nil || host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return c, fmt.Errorf("-admin-addr %q: want a loopback address such as 127.0.0.1:6060", c.AdminAddr)
		}
	}
	imp, err := impair.Parse(impairSpec)
	if err != nil {
		return c, fmt.Errorf("-impair: %w", err)
	}
	c.Impair = imp
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("-log-format %q: want text or json", c.LogFormat)
	}
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return c, fmt.Errorf("-log-level %q: want debug, info, warn or error", logLevel)
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origin, err := parseOrigin(o)
			if err != nil {
				return c, fmt.Errorf("-allowed-origins %q: %w", o, err)
			}
			c.AllowedOrigins = append(c.AllowedOrigins, origin)
		}
	}
	return c, nil
}

// parseOrigin checks an allowed origin, *, or a scheme and a host as a browser's Origin header
// gives them (https://example.com, http://localhost:8080), and returns it as the header would
// be: without a trailing slash or the scheme's default port. Anything else would never match
// a browser's origin, and every browser page from there would be refused without a word.
func parseOrigin(o string) (string, error) {
	if o == "*" {
		return o, nil
	}
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	switch {
	case err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Hostname() == "":
		return "", errors.New("want an origin such as https://example.com, or *")
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "":
		return "", errors.New("an origin is a scheme and a host, with no path, query or user")
	}
	host := u.Host
	if p := u.Port(); u.Scheme == "https" && p == "443" || u.Scheme == "http" && p == "80" {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return u.Scheme + "://" + host, nil
}

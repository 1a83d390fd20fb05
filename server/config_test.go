package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c, err := parseConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.TickRate != 30 || c.SnapshotRate != 30 || c.DrainTimeout != 5*time.Second || c.Map != "courtyard" {
		t.Errorf("defaults: %+v", c)
	}
	if c.MaxPlayers != 100 || c.MaxSpectators != 100 {
		t.Errorf("max players %d, spectators %d: want 100 and as many", c.MaxPlayers, c.MaxSpectators)
	}
	c, err = parseConfig([]string{"-max-players", "8"}, func(string) string { return "" }, io.Discard)
	if err != nil || c.MaxSpectators != 8 {
		t.Errorf("-max-players 8: %d spectators (%v), want as many as players", c.MaxSpectators, err)
	}
}

func TestConfigEnvironmentAndFlags(t *testing.T) {
	env := map[string]string{"TICKWIRE_ADDR": "127.0.0.1:0", "TICKWIRE_TICK_RATE": "60", "TICKWIRE_ALLOWED_ORIGINS": "https://a.example, https://b.example/"}
	c, err := parseConfig([]string{"-tick-rate", "20", "-snapshot-rate", "10"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:0" {
		t.Errorf("addr %q: the environment was not read", c.Addr)
	}
	if c.TickRate != 20 || c.SnapshotRate != 10 {
		t.Errorf("tick %d snapshot %d: the flags should win over the environment", c.TickRate, c.SnapshotRate)
	}
	if len(c.AllowedOrigins) != 2 || c.AllowedOrigins[1] != "https://b.example" {
		t.Errorf("origins %q", c.AllowedOrigins)
	}
}

// TestAllowedOriginsAsBrowsersSendThem: an allowed origin is kept as a browser's Origin
// header gives it, without a trailing slash or the scheme's default port.
func TestAllowedOriginsAsBrowsersSendThem(t *testing.T) {
	c, err := parseConfig([]string{"-allowed-origins", "https://a.example:443/, http://b.example:80, http://c.example:8080, *"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://a.example", "http://b.example", "http://c.example:8080", "*"}
	if !slices.Equal(c.AllowedOrigins, want) {
		t.Errorf("origins %q, want %q", c.AllowedOrigins, want)
	}
}

func TestConfigRejects(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"-tick-rate", "5"}, "", "want 10 to 128"},
		{[]string{"-tick-rate", "200"}, "", "want 10 to 128"},
		{[]string{"-tick-priority", "-21"}, "", "want a nice value, -20 to 19"},
		{[]string{"-snapshot-rate", "7"}, "", "divisor of the tick rate"},
		{[]string{"-map", "nowhere"}, "", "no such map"},
		{[]string{"-log-format", "xml"}, "", "want text or json"},
		{[]string{"-max-players", "0"}, "", "want 1 to 100000"},
		{[]string{"-max-spectators", "-2"}, "", "-max-spectators -2: want 0 to 100000, or -1 for as many as -max-players"},
		{[]string{"-max-spectators", "100001"}, "", "-max-spectators 100001: want 0 to 100000"},
		{[]string{"-gc-percent", "5"}, "", "want 10 to 1000"},
		{[]string{"stray"}, "", "unexpected arguments"},
		{nil, "fast", "TICKWIRE_TICK_RATE"},
		{[]string{"-tls-cert", "c.pem"}, "", "go together"},
		{[]string{"-tls-cert", "missing.pem", "-tls-key", "missing.pem"}, "", `-tls-cert "missing.pem" and -tls-key "missing.pem": open missing.pem`},
		{[]string{"-tls-cert", junk, "-tls-key", junk}, "", "-tls-cert"},
		{[]string{"-tick-rate", "fast"}, "", `invalid value "fast" for flag -tick-rate`},
		{[]string{"-snapshot-rate", "60"}, "", "divisor of the tick rate"},
		{[]string{"-max-rooms", "0"}, "", "-max-rooms 0: want at least 1"},
		{[]string{"-max-conns-per-ip", "0"}, "", "-max-conns-per-ip 0: want at least 1"},
		{[]string{"-room-idle-timeout", "0s"}, "", "-room-idle-timeout: want a positive duration"},
		{[]string{"-drain-timeout", "-1s"}, "", "-drain-timeout: want a positive duration"},
		{[]string{"-reconnect-grace", "-1s"}, "", "-reconnect-grace: want a duration of 0 or more"},
		{[]string{"-view-radius", "0"}, "", "-view-radius 0: want 1 to 1000000"},
		{[]string{"-arena-size", "-5"}, "", "-arena-size -5: want 0 to 1000000"},
		{[]string{"-log-level", "loud"}, "", `-log-level "loud"`},
		{[]string{"-admin-addr", "[::]:6060"}, "", "loopback"},
		{[]string{"-allowed-origins", "games.example"}, "", `-allowed-origins "games.example": want an origin such as https://example.com, or *`},
		{[]string{"-allowed-origins", "https://games.example/play"}, "", "no path"},
		{[]string{"-allowed-origins", "ftp://games.example"}, "", "want an origin"},
		{[]string{"-allowed-origins", "https://a.example,https://"}, "", `"https://": want an origin`},
		{[]string{"-impair", "latency=soon"}, "", "-impair"},
		{[]string{"-admin-addr", ":6060"}, "", "loopback"},
		{[]string{"-admin-addr", "10.0.0.1:6060"}, "", "loopback"},
	}
	for _, tc := range tests {
		getenv := func(k string) string {
			if k == "TICKWIRE_TICK_RATE" {
				return tc.env
			}
			return ""
		}
		_, err := parseConfig(tc.args, getenv, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v env %q: error %v, want %q", tc.args, tc.env, err, tc.want)
		}
	}
}

// usageFlags returns the flags that -h lists, each with the text that describes it.
func usageFlags(t *testing.T) map[string]string {
	t.Helper()
	var out strings.Builder
	_, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("error %v, want flag.ErrHelp", err)
	}
	flags := map[string]string{}
	name := ""
	for _, line := range strings.Split(out.String(), "\n") {
		if f, ok := strings.CutPrefix(line, "  -"); ok {
			name = strings.Fields(f)[0]
			flags[name] = ""
		} else if name != "" {
			flags[name] += line
		}
	}
	return flags
}

func TestConfigHelpListsEveryFlagWithItsEnvironmentTwin(t *testing.T) {
	flags := usageFlags(t)
	if len(flags) < 20 {
		t.Fatalf("-h lists %d flags: %v", len(flags), flags)
	}
	for name, usage := range flags {
		if !strings.Contains(usage, "(env "+envName(name)+")") {
			t.Errorf("-%s: usage %q does not name %s", name, usage, envName(name))
		}
	}
}

// TestREADMEDocumentsEveryFlag keeps the README's flag table and the flags in step.
func TestREADMEDocumentsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		// A row of the flag table: | `-flag` | default | meaning |, or | `-a`, `-b` | ...
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`-") {
			continue
		}
		for _, f := range strings.Split(cells[1], ",") {
			documented[strings.Trim(strings.TrimSpace(f), "`-")] = true
		}
	}
	flags := usageFlags(t)
	for name := range flags {
		if !documented[name] {
			t.Errorf("-%s is not in the README's flag table", name)
		}
	}
	for name := range documented {
		if _, ok := flags[name]; !ok {
			t.Errorf("the README's flag table lists -%s, which is not a flag", name)
		}
	}
}

// TestRunStopsOnInvalidValue checks that the binary's run stops before it listens, with the
// message, when a value is invalid.
func TestRunStopsOnInvalidValue(t *testing.T) {
	env := map[string]string{"TICKWIRE_MAX_PLAYERS": "0"}
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, io.Discard)
	if err == nil || err.Error() != "-max-players 0: want 1 to 100000" {
		t.Errorf("run: %v, want the -max-players message", err)
	}
}

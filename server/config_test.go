package main

import (
	"errors"
	"flag"
	"io"
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

func TestConfigRejects(t *testing.T) {
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
		{[]string{"-gc-percent", "5"}, "", "want 10 to 1000"},
		{[]string{"stray"}, "", "unexpected arguments"},
		{nil, "fast", "TICKWIRE_TICK_RATE"},
		{[]string{"-tls-cert", "c.pem"}, "", "go together"},
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

func TestConfigHelpListsEnvironment(t *testing.T) {
	var out strings.Builder
	_, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("error %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"-addr", "TICKWIRE_ADDR", "-tick-rate", "TICKWIRE_DRAIN_TIMEOUT"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/tickwire/tickwire/netcode"
)

// logBuffer collects log output; the test reads it while the server writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records decodes every line as a JSON object.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestLogTextByDefault(t *testing.T) {
	var buf bytes.Buffer
	newLogger(testConfig(t), &buf).Info("hello", "room", "abc")
	if got := buf.String(); !strings.Contains(got, "msg=hello room=abc") {
		t.Errorf("default log line %q, want text (key=value)", got)
	}
}

// TestLogsArePerSessionNotPerTick logs in JSON (-log-format json): the session's records
// carry its sid, room and player, and ticks and snapshots log nothing, even at debug level.
func TestLogsArePerSessionNotPerTick(t *testing.T) {
	logs := new(logBuffer)
	cfg := testConfig(t, "-log-format", "json", "-log-level", "debug", "-tick-rate", "120")
	ts := startServerWithLog(t, cfg, newLogger(cfg, logs), nil)
	a := dial(t, ts, "a")
	until(t, a, "a first snapshot", func(*netcode.Snapshot) bool { return true })

	var joined map[string]any
	for _, r := range logs.records(t) {
		if r["msg"] == "player joined" {
			joined = r
		}
	}
	if joined == nil {
		t.Fatal("no 'player joined' record")
	}
	for _, key := range []string{"sid", "room", "player", "remote"} {
		if joined[key] == nil || joined[key] == "" {
			t.Errorf("'player joined' lacks %q: %v", key, joined)
		}
	}

	before := len(logs.records(t))
	start := until(t, a, "a snapshot", func(*netcode.Snapshot) bool { return true }).Tick
	until(t, a, "60 more ticks", func(s *netcode.Snapshot) bool { return s.Tick >= start+60 })
	if recs := logs.records(t); len(recs) != before {
		t.Errorf("%d records logged over 60 ticks, want none: %v", len(recs)-before, recs[before:])
	}
}

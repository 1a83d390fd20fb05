package netcode

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/vmihailenco/msgpack/v5"
)

func decodeClient(t testing.TB, b []byte) (ClientMessage, error) {
	t.Helper()
	var m ClientMessage
	err := NewClientDecoder().Decode(b, &m)
	return m, err
}

func TestClientMessagesRoundTrip(t *testing.T) {
	enc := NewEncoder()
	tests := []struct {
		name  string
		frame []byte
		want  ClientMessage
	}{
		{"join", enc.Join(Join{Name: "Alice"}), ClientMessage{Type: MsgJoin, Join: Join{Name: "Alice"}}},
		{"join with empty name", enc.Join(Join{}), ClientMessage{Type: MsgJoin}},
		{"join with a token", enc.Join(Join{Name: "Al", Token: "6f1c2d4e-8a9b-4c3d-9e1f-0a1b2c3d4e5f"}),
			ClientMessage{Type: MsgJoin, Join: Join{Name: "Al", Token: "6f1c2d4e-8a9b-4c3d-9e1f-0a1b2c3d4e5f"}}},
		{"input", enc.Input(Input{Seq: 7, Ack: 300, MoveX: 0.6, MoveY: -0.8, Aim: -2.5, Buttons: ButtonFire, ViewTick: 295}),
			ClientMessage{Type: MsgInput, Input: Input{Seq: 7, Ack: 300, MoveX: 0.6, MoveY: -0.8, Aim: -2.5, Buttons: ButtonFire, ViewTick: 295}}},
		{"input at max seq", enc.Input(Input{Seq: math.MaxUint32}), ClientMessage{Type: MsgInput, Input: Input{Seq: math.MaxUint32}}},
		{"ping", enc.Ping(Ping{ClientTime: 12345.678}), ClientMessage{Type: MsgPing, Ping: Ping{ClientTime: 12345.678}}},
		{"leave", enc.ClientLeave(), ClientMessage{Type: MsgLeave}},
		{"watch", enc.Watch(Watch{X: 10, Y: 20.5, Radius: 900}), ClientMessage{Type: MsgWatch, Watch: Watch{X: 10, Y: 20.5, Radius: 900}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeClient(t, tc.frame)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decoded %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestClientEncodingsOfOtherClients decodes messages written the way other encoders write them:
// integers for floats, float32, the widest integer forms. The browser's encoder, for one,
// writes 0 as an integer.
func TestClientEncodingsOfOtherClients(t *testing.T) {
	frame := func(vals ...any) []byte {
		b, err := msgpack.Marshal(vals)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	got, err := decodeClient(t, frame(uint64(3), uint64(1), int64(0), 0, float32(1), int8(2), uint8(1)))
	if err != nil {
		t.Fatal(err)
	}
	want := Input{Seq: 1, MoveX: 0, MoveY: 1, Aim: 2, Buttons: ButtonFire}
	if got.Input != want {
		t.Errorf("input %+v, want %+v", got.Input, want)
	}
}

func TestCleanName(t *testing.T) {
	tests := map[string]string{
		"Alice":                      "Alice",
		"  Bob  ":                    "Bob",
		"a\x00b\nc\u202ed":           "abcd",
		"abcdefghijklmnopqrstuvwxyz": "abcdefghijklmnop",
		"ünïcødé ok":                 "ünïcødé ok",
		"\xff\xfe":                   "",
		"123456789012345 x":          "123456789012345",
	}
	for in, want := range tests {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestClientDecoderRejects feeds the decoder every kind of bad frame it must refuse with 1007.
func TestClientDecoderRejects(t *testing.T) {
	m := func(vals ...any) []byte {
		b, err := msgpack.Marshal(vals)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	input := func(seq, ack, mx, my, aim, buttons any) []byte { return m(3, seq, ack, mx, my, aim, buttons) }
	valid := NewEncoder().Input(Input{Seq: 1})
	tests := []struct {
		name   string
		frame  []byte
		reason string
	}{
		{"empty frame", nil, "message ends early"},
		{"not an array", m1(t, "hello"), "not an array"},
		{"map instead of array", m1(t, map[string]int{"type": 3}), "not an array"},
		{"empty array", m1(t, []any{}), "empty array"},
		{"unknown type", m(99), "unknown message type 99"},
		{"type as string", m("3"), "want an integer"},
		{"negative type", m(-1), "out of range"},
		{"input too short", m(3, 1, 0, 0, 0, 0), "6 fields, want 7 or 8"},
		{"input too long", m(3, 1, 0, 0, 0, 0, 0, 0, 0), "9 fields, want 7 or 8"},
		{"negative view tick", m(3, 1, 0, 0, 0, 0, 0, -3), "out of range"},
		{"NaN move", input(1, 0, math.NaN(), 0, 0, 0), "not finite"},
		{"infinite aim", input(1, 0, 0, 0, math.Inf(-1), 0), "not finite"},
		{"move too long", input(1, 0, 1, 1, 0, 0), "longer than 1"},
		{"huge move", input(1, 0, 1e300, 0, 0, 0), "longer than 1"},
		{"unknown button", input(1, 0, 0, 0, 0, 2), "out of range"},
		{"negative seq", input(-5, 0, 0, 0, 0, 0), "out of range"},
		{"seq over 32 bits", input(uint64(1)<<40, 0, 0, 0, 0, 0), "out of range"},
		{"nil field", input(nil, 0, 0, 0, 0, 0), "nil"},
		{"float seq", input(1.5, 0, 0, 0, 0, 0), "want an integer"},
		{"string move", input(1, 0, "left", 0, 0, 0), "want a number"},
		{"trailing bytes", append(bytes.Clone(valid), 0x00), "1 bytes after the message"},
		{"truncated", valid[:len(valid)-2], "ends early"},
		{"join name not a string", m(1, 42), "want a string"},
		{"join name too long", m(1, strings.Repeat("x", 300)), "bad string length"},
		{"join with too many fields", m(1, "a", "b", "c"), "want 2 or 3"},
		{"join token too long", m(1, "a", strings.Repeat("t", 65)), "bad string length"},
		{"join token not a string", m(1, "a", 7), "want a string"},
		{"forged string length", []byte{0x92, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}, "bad string length"},
		{"forged array length", []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x03}, "4294967295 fields"},
		{"ping without time", m(5), "1 fields, want 2"},
		{"leave with fields", m(7, 1), "2 fields, want 1"},
		{"watch radius too big", m(9, 0, 0, 1e6), "watch radius: want 100 to 4000"},
		{"watch NaN", m(9, math.NaN(), 0, 500), "not finite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeClient(t, tc.frame)
			var ce *CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *CloseError", err)
			}
			if ce.Code != CloseInvalid || !strings.Contains(ce.Reason, tc.reason) {
				t.Errorf("close %d %q, want 1007 with %q", ce.Code, ce.Reason, tc.reason)
			}
		})
	}
}

func m1(t *testing.T, v any) []byte {
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServerMessagesRoundTrip(t *testing.T) {
	enc := NewEncoder()
	welcome := Welcome{
		PlayerID: 3, TickRate: 30, SnapshotRate: 15,
		Map:    MapInfo{Name: "m", TileSize: 40, Cols: 2, Rows: 1, Tiles: ".S", Width: 80, Height: 40},
		Rules:  RulesInfo{PlayerRadius: 16, BulletRadius: 4, MaxHealth: 100, PlayerSpeed: 220, BulletSpeed: 800},
		RoomID: "k3x9m2qa", Token: "6f1c2d4e-8a9b-4c3d-9e1f-0a1b2c3d4e5f",
	}
	tests := []struct {
		name  string
		frame []byte
		want  ServerMessage
	}{
		{"welcome", enc.Welcome(welcome), ServerMessage{Type: MsgWelcome, Welcome: welcome}},
		{"pong", enc.Pong(Pong{ClientTime: 1.25, ServerTick: 4, ServerRTT: 151.5}), ServerMessage{Type: MsgPong, Pong: Pong{ClientTime: 1.25, ServerTick: 4, ServerRTT: 151.5}}},
		{"leave", enc.ServerLeave(Leave{Code: CloseGoingAway, Reason: "server shutting down"}), ServerMessage{Type: MsgLeave, Leave: Leave{Code: 1001, Reason: "server shutting down"}}},
		{"scores", enc.Scores(&Scores{Players: 12, Top: []ScoreEntry{{ID: 3, Name: "Al", Hue: 137, Kills: 5, Deaths: 1}}}),
			ServerMessage{Type: MsgScores, Scores: Scores{Players: 12, Top: []ScoreEntry{{ID: 3, Name: "Al", Hue: 137, Kills: 5, Deaths: 1}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got ServerMessage
			if err := NewServerDecoder().Decode(tc.frame, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decoded %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// testWorld is a small world with two players, one of whom has fired.
func testWorld(t testing.TB) *game.World {
	m, err := game.ParseMap([]byte("---\n.S..S.\n......\n"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := game.NewWorld(game.Config{Map: m, Width: 800, Height: 800})
	if err != nil {
		t.Fatal(err)
	}
	a := w.Join("a")
	w.Join("b")
	w.Step([]game.Input{{Player: a, Fire: true, Aim: 1.5}})
	return w
}

// TestFullSnapshotMatchesWorld: a new client's first snapshot is full, and applied it gives
// every player and bullet in view, quantized.
func TestFullSnapshotMatchesWorld(t *testing.T) {
	w := testWorld(t)
	enc := NewDeltaEncoder()
	enc.Update(w)
	frame := enc.AppendFor(nil, NewClientView(2000), w.Players[0].Pos, uint32(w.Players[0].ID), 41)
	var m ServerMessage
	if err := NewServerDecoder().Decode(frame, &m); err != nil {
		t.Fatal(err)
	}
	d := m.Delta
	if m.Type != MsgSnapshot || d.Tick != w.Tick || d.LastSeq != 41 || d.BaseTick != 0 {
		t.Fatalf("header: type %d tick %d lastSeq %d base %d", m.Type, d.Tick, d.LastSeq, d.BaseTick)
	}
	var a Applier
	s, err := a.Apply(&d)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Players) != 2 || len(s.Bullets) != 1 {
		t.Fatalf("%d players, %d bullets; want 2 and 1", len(s.Players), len(s.Bullets))
	}
	for i, p := range s.Players {
		if want := quantizePlayer(&w.Players[i]); p != want {
			t.Errorf("player %d: %+v, want %+v", i, p, want)
		}
	}
	if b := s.Bullets[0]; b.Owner != uint32(w.Players[0].ID) || b.Dir != QuantizeDir(w.Bullets[0].Vel) || b.Dir == 0 || b.Dir >= DirSteps/2 {
		t.Errorf("bullet %+v", b)
	}
	dec := NewServerDecoder()
	if tick, seq, ok := dec.PeekSnapshot(frame); !ok || tick != w.Tick || seq != 41 {
		t.Errorf("PeekSnapshot: tick %d seq %d ok %v, want %d 41 true", tick, seq, ok, w.Tick)
	}
	if _, _, ok := dec.PeekSnapshot(NewEncoder().Pong(Pong{})); ok {
		t.Error("PeekSnapshot took a pong for a snapshot")
	}
}

// TestHotPathsDoNotAllocate pins the per-client, per-tick paths at zero allocations: decoding
// an input, and building a client's snapshot frame from the shared encoding.
func TestHotPathsDoNotAllocate(t *testing.T) {
	frame := NewEncoder().Input(Input{Seq: 1, MoveX: 1, Aim: 1, Buttons: ButtonFire})
	dec := NewClientDecoder()
	var m ClientMessage
	if n := testing.AllocsPerRun(100, func() {
		if err := dec.Decode(frame, &m); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("decoding an input: %v allocations, want 0", n)
	}

	w := testWorld(t)
	enc := NewDeltaEncoder()
	enc.Update(w)
	view := NewClientView(700)
	var slot latestFrame
	if n := testing.AllocsPerRun(100, func() {
		b := enc.AppendFor(slot.buffer(), view, w.Players[0].Pos, uint32(w.Players[0].ID), 7)
		view.Ack = enc.Tick()
		slot.put(b)
		slot.recycle(slot.take())
	}); n != 0 {
		t.Errorf("building and queueing a client's snapshot: %v allocations, want 0", n)
	}
}

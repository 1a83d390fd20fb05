package netcode

import (
	"errors"
	"math"
	"testing"
	"unicode/utf8"
)

// FuzzClientDecoder feeds arbitrary frames to the decoder of client messages. It must never
// panic; every refusal is a 1007 close; and whatever it accepts must be within the protocol's
// ranges and survive a round trip through the encoder unchanged.
func FuzzClientDecoder(f *testing.F) {
	enc := NewEncoder()
	f.Add(enc.Join(Join{Name: "Alice"}))
	f.Add(enc.Input(Input{Seq: 1, Ack: 2, MoveX: 0.6, MoveY: 0.8, Aim: 1, Buttons: ButtonFire}))
	f.Add(enc.Ping(Ping{ClientTime: 1e9}))
	f.Add(enc.ClientLeave())
	f.Add(enc.Watch(Watch{X: 100, Y: 200, Radius: 700}))
	f.Add([]byte{0x92, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x97, 0x03, 0x01, 0x00, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00})
	dec := NewClientDecoder()
	f.Fuzz(func(t *testing.T, frame []byte) {
		var m ClientMessage
		err := dec.Decode(frame, &m)
		if err != nil {
			var ce *CloseError
			if !errors.As(err, &ce) || ce.Code != CloseInvalid || len(ce.Reason) > 123 {
				t.Fatalf("refusal %v: want a 1007 close with a short reason", err)
			}
			return
		}
		var again []byte
		switch m.Type {
		case MsgJoin:
			if !utf8.ValidString(m.Join.Name) || utf8.RuneCountInString(m.Join.Name) > MaxNameLen {
				t.Fatalf("accepted name %q", m.Join.Name)
			}
			again = enc.Join(m.Join)
		case MsgInput:
			in := m.Input
			if math.Hypot(in.MoveX, in.MoveY) > 1.001 || math.IsNaN(in.Aim) || math.IsInf(in.Aim, 0) || in.Buttons&^knownButtons != 0 {
				t.Fatalf("accepted input out of range: %+v", in)
			}
			again = enc.Input(in)
		case MsgPing:
			again = enc.Ping(m.Ping)
		case MsgLeave:
			again = enc.ClientLeave()
		case MsgWatch:
			wt := m.Watch
			if math.IsNaN(wt.X) || math.IsInf(wt.X, 0) || wt.Radius < MinWatchRadius || wt.Radius > MaxWatchRadius {
				t.Fatalf("accepted watch out of range: %+v", wt)
			}
			again = enc.Watch(wt)
		default:
			t.Fatalf("accepted unknown type %d", m.Type)
		}
		var m2 ClientMessage
		if err := NewClientDecoder().Decode(again, &m2); err != nil || m2 != m {
			t.Fatalf("round trip: %+v became %+v (%v)", m, m2, err)
		}
	})
}

// FuzzSnapshotApply feeds arbitrary frames to the client's side: the decoder of server
// messages and, for a snapshot, the Applier, holding the states of a few real snapshots. A
// server is trusted, but a client must still never panic on a bad frame: it refuses it (and
// asks for a full snapshot). Whatever it applies has its players and bullets in rising id
// order, each once.
func FuzzSnapshotApply(f *testing.F) {
	d := newDeltaWorld(f, 12, 3)
	d.resting = true
	enc := NewDeltaEncoder()
	view := NewClientView(500)
	var frames [][]byte
	for i := range 8 {
		d.step(true)
		enc.Update(d.w)
		frame := enc.AppendFor(nil, view, d.w.Player(d.ids[0]).Pos, uint32(d.ids[0]), uint32(i))
		view.Ack = enc.Tick()
		frames = append(frames, frame)
		f.Add(frame)
	}
	f.Add([]byte{0x99, 0x04, 0x01, 0x00, 0x00, 0x90, 0x90, 0x90, 0x90, 0x00})
	f.Fuzz(func(t *testing.T, frame []byte) {
		dec := NewServerDecoder()
		var client Applier
		var m ServerMessage
		for _, seed := range frames[:5] { // states at the first five ticks
			if err := dec.Decode(seed, &m); err != nil {
				t.Fatal(err)
			}
			if _, err := client.Apply(&m.Delta); err != nil {
				t.Fatal(err)
			}
		}
		if err := dec.Decode(frame, &m); err != nil || m.Type != MsgSnapshot {
			return
		}
		s, err := client.Apply(&m.Delta)
		if err != nil {
			return
		}
		for i := 1; i < len(s.Players); i++ {
			if s.Players[i].ID <= s.Players[i-1].ID {
				t.Fatalf("applied players out of order: %d after %d", s.Players[i].ID, s.Players[i-1].ID)
			}
		}
		for i := 1; i < len(s.Bullets); i++ {
			if s.Bullets[i].ID <= s.Bullets[i-1].ID {
				t.Fatalf("applied bullets out of order: %d after %d", s.Bullets[i].ID, s.Bullets[i-1].ID)
			}
		}
	})
}

package netcode

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// This file encodes and decodes messages with msgpack's streaming API: arrays of fixed
// fields, written and read one value at a time, with no reflection and, on the paths taken
// every tick, no allocation.

// maxTokenBytes bounds a reconnection token (a UUID is 36 bytes).
const maxTokenBytes = 64

// maxNameBytes bounds a name before its characters are cleaned: 16 characters of up to four
// bytes each, with room for some that cleaning removes.
const maxNameBytes = 256

// reader reads the fields of one message from one frame, strictly: wrong types, nil, values
// out of range and trailing bytes are errors. The first error sticks; later reads return zero.
type reader struct {
	r   bytes.Reader
	d   *msgpack.Decoder
	err *CloseError
}

func newReader() *reader {
	rd := &reader{d: msgpack.NewDecoder(nil)}
	return rd
}

func (rd *reader) reset(b []byte) {
	rd.r.Reset(b)
	rd.d.ResetReader(&rd.r) // a *bytes.Reader is read directly, without another buffer
	rd.err = nil
}

// failRead records a failed read: a frame that ends early says so, anything else is wrong.
func (rd *reader) failRead(what string, err error, wrong string) {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		rd.fail("%s: message ends early", what)
		return
	}
	rd.fail("%s: %s", what, wrong)
}

func (rd *reader) fail(format string, args ...any) {
	if rd.err == nil {
		rd.err = closeErr(CloseInvalid, format, args...)
	}
}

// code peeks at the next value's type byte, refusing nil.
func (rd *reader) code(what string) (byte, bool) {
	if rd.err != nil {
		return 0, false
	}
	c, err := rd.d.PeekCode()
	if err != nil {
		rd.fail("%s: message ends early", what)
		return 0, false
	}
	if c == msgpcode.Nil {
		rd.fail("%s: nil", what)
		return 0, false
	}
	return c, true
}

// array reads an array header and returns its length.
func (rd *reader) array(what string) int {
	if _, ok := rd.code(what); !ok {
		return 0
	}
	n, err := rd.d.DecodeArrayLen()
	if err != nil {
		rd.failRead(what, err, "not an array")
		return 0
	}
	return n
}

// integer reports whether the next value is there and is an integer, failing otherwise.
func (rd *reader) integer(what string) bool {
	c, ok := rd.code(what)
	if ok && (c == msgpcode.Float || c == msgpcode.Double) {
		rd.fail("%s: want an integer", what)
		return false
	}
	return ok
}

// uint reads an integer in [0, max].
func (rd *reader) uint(what string, max uint64) uint64 {
	if !rd.integer(what) {
		return 0
	}
	n, err := rd.d.DecodeUint64()
	switch {
	case err != nil:
		rd.failRead(what, err, "want an integer")
	case n > max: // negative numbers arrive here as huge ones
		rd.fail("%s: out of range", what)
	default:
		return n
	}
	return 0
}

// sint reads a signed integer that fits in 32 bits.
func (rd *reader) sint(what string) int64 { return rd.sintIn(what, math.MinInt32, math.MaxInt32) }

// sintIn reads an integer in [lo, hi].
func (rd *reader) sintIn(what string, lo, hi int64) int64 {
	if !rd.integer(what) {
		return 0
	}
	n, err := rd.d.DecodeInt64()
	switch {
	case err != nil:
		rd.failRead(what, err, "want an integer")
	case n < lo || n > hi:
		rd.fail("%s: out of range", what)
	default:
		return n
	}
	return 0
}

// float reads a number (integer or float) and refuses NaN and infinities.
func (rd *reader) float(what string) float64 {
	if _, ok := rd.code(what); !ok {
		return 0
	}
	f, err := rd.d.DecodeFloat64()
	switch {
	case err != nil:
		rd.failRead(what, err, "want a number")
	case math.IsNaN(f) || math.IsInf(f, 0):
		rd.fail("%s: not finite", what)
	default:
		return f
	}
	return 0
}

// str reads a string of at most max bytes. It checks the length against what the frame holds
// before reading, so a forged length cannot make it allocate.
func (rd *reader) str(what string, max int) string {
	c, ok := rd.code(what)
	if !ok {
		return ""
	}
	if !msgpcode.IsString(c) {
		rd.fail("%s: want a string", what)
		return ""
	}
	n, err := rd.d.DecodeBytesLen()
	if err != nil || n < 0 || n > max || n > rd.r.Len() {
		rd.fail("%s: bad string length", what)
		return ""
	}
	b := make([]byte, n)
	_, _ = rd.r.Read(b)
	return string(b)
}

// end checks that the frame holds nothing more.
// end checks that nothing follows the message and returns the decoding's error, if any (a
// nil error, not a nil *CloseError, when there is none).
func (rd *reader) end(what string) error {
	if rd.err == nil && rd.r.Len() != 0 {
		rd.fail("%s: %d bytes after the message", what, rd.r.Len())
	}
	if rd.err != nil {
		return rd.err
	}
	return nil
}

// ClientMessage is one decoded client message; only the field named by Type is set.
type ClientMessage struct {
	Type  MsgType
	Join  Join
	Input Input
	Ping  Ping
	Watch Watch
}

// ClientDecoder decodes client frames. A session owns one and reuses it: decoding an input
// allocates nothing.
type ClientDecoder struct{ rd *reader }

// NewClientDecoder returns a decoder of client messages.
func NewClientDecoder() *ClientDecoder { return &ClientDecoder{rd: newReader()} }

// Decode decodes one client frame into m. Any problem is a *CloseError with code 1007 and a
// reason that says what was wrong.
func (cd *ClientDecoder) Decode(b []byte, m *ClientMessage) error {
	rd := cd.rd
	rd.reset(b)
	n := rd.array("message")
	if rd.err == nil && n < 1 {
		rd.fail("message: empty array")
	}
	m.Type = MsgType(rd.uint("message type", 255))
	if rd.err != nil {
		return rd.err
	}
	arity := func(want int) {
		if n != want {
			rd.fail("message type %d: %d fields, want %d", m.Type, n, want)
		}
	}
	switch m.Type {
	case MsgJoin:
		if n != 2 && n != 3 {
			rd.fail("message type 1: %d fields, want 2 or 3", n)
		}
		m.Join.Name = CleanName(rd.str("join name", maxNameBytes))
		m.Join.Token = ""
		if n == 3 {
			m.Join.Token = rd.str("join token", maxTokenBytes)
		}
	case MsgInput:
		if n != 7 && n != 8 {
			rd.fail("message type 3: %d fields, want 7 or 8", n)
		}
		in := &m.Input
		in.Seq = uint32(rd.uint("input seq", math.MaxUint32))
		in.Ack = uint32(rd.uint("input ack", math.MaxUint32))
		in.MoveX = rd.float("input moveX")
		in.MoveY = rd.float("input moveY")
		in.Aim = rd.float("input aim")
		in.Buttons = Buttons(rd.uint("input buttons", uint64(knownButtons)))
		in.ViewTick = 0
		if n == 8 {
			in.ViewTick = uint32(rd.uint("input viewTick", math.MaxUint32))
		}
		if rd.err == nil && math.Hypot(in.MoveX, in.MoveY) > 1.001 {
			rd.fail("input move: longer than 1")
		}
	case MsgPing:
		arity(2)
		m.Ping.ClientTime = rd.float("ping time")
	case MsgLeave:
		arity(1)
	case MsgWatch:
		arity(4)
		m.Watch.X = rd.float("watch x")
		m.Watch.Y = rd.float("watch y")
		m.Watch.Radius = rd.float("watch radius")
		if rd.err == nil && (m.Watch.Radius < MinWatchRadius || m.Watch.Radius > MaxWatchRadius) {
			rd.fail("watch radius: want %d to %d", MinWatchRadius, MaxWatchRadius)
		}
	default:
		rd.fail("unknown message type %d", m.Type)
	}
	return rd.end("message")
}

// CleanName makes a client-chosen name safe to show: control and invalid characters removed,
// surrounding space trimmed, at most MaxNameLen characters.
func CleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || !unicode.IsPrint(r) && r != ' ' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxNameLen {
		s = strings.TrimSpace(string([]rune(s)[:MaxNameLen]))
	}
	return s
}

// writer encodes messages into a reusable buffer.
type writer struct {
	buf bytes.Buffer
	e   *msgpack.Encoder
}

func newWriter() *writer {
	w := &writer{e: msgpack.NewEncoder(nil)}
	w.e.Reset(&w.buf)
	return w
}

// The encoder writes into a bytes.Buffer, which does not fail; the errors below are nil.

func (w *writer) header(t MsgType, fields int) {
	w.buf.Reset()
	_ = w.e.EncodeArrayLen(fields + 1)
	_ = w.e.EncodeUint(uint64(t))
}

func (w *writer) uint(n uint64)     { _ = w.e.EncodeUint(n) }
func (w *writer) f64(f float64)     { _ = w.e.EncodeFloat64(f) }
func (w *writer) str(s string)      { _ = w.e.EncodeString(s) }
func (w *writer) array(n int)       { _ = w.e.EncodeArrayLen(n) }
func (w *writer) bytesCopy() []byte { return bytes.Clone(w.buf.Bytes()) }

// Encoder encodes whole messages. Each method returns a new slice that the caller owns. An
// Encoder is not safe for concurrent use.
type Encoder struct{ w *writer }

// NewEncoder returns an Encoder.
func NewEncoder() *Encoder { return &Encoder{w: newWriter()} }

// Join encodes a join; with a token it asks to take the token's player over again.
func (e *Encoder) Join(j Join) []byte {
	w := e.w
	if j.Token == "" {
		w.header(MsgJoin, 1)
		w.str(j.Name)
	} else {
		w.header(MsgJoin, 2)
		w.str(j.Name)
		w.str(j.Token)
	}
	return w.bytesCopy()
}

// Input encodes an input.
func (e *Encoder) Input(in Input) []byte {
	w := e.w
	w.header(MsgInput, 7)
	w.uint(uint64(in.Seq))
	w.uint(uint64(in.Ack))
	w.f64(in.MoveX)
	w.f64(in.MoveY)
	w.f64(in.Aim)
	w.uint(uint64(in.Buttons))
	w.uint(uint64(in.ViewTick))
	return w.bytesCopy()
}

// Ping encodes a ping.
func (e *Encoder) Ping(p Ping) []byte {
	w := e.w
	w.header(MsgPing, 1)
	w.f64(p.ClientTime)
	return w.bytesCopy()
}

// Watch encodes a spectator's watch.
func (e *Encoder) Watch(wt Watch) []byte {
	w := e.w
	w.header(MsgWatch, 3)
	w.f64(wt.X)
	w.f64(wt.Y)
	w.f64(wt.Radius)
	return w.bytesCopy()
}

// ClientLeave encodes a client's leave.
func (e *Encoder) ClientLeave() []byte {
	e.w.header(MsgLeave, 0)
	return e.w.bytesCopy()
}

// Welcome encodes a welcome.
func (e *Encoder) Welcome(m Welcome) []byte {
	w := e.w
	w.header(MsgWelcome, 7)
	w.uint(uint64(m.PlayerID))
	w.uint(uint64(m.TickRate))
	w.uint(uint64(m.SnapshotRate))
	mi := m.Map
	w.array(7)
	w.str(mi.Name)
	w.f64(mi.TileSize)
	w.uint(uint64(mi.Cols))
	w.uint(uint64(mi.Rows))
	w.str(mi.Tiles)
	w.f64(mi.Width)
	w.f64(mi.Height)
	r := m.Rules
	w.array(5)
	w.f64(r.PlayerRadius)
	w.f64(r.BulletRadius)
	w.uint(uint64(r.MaxHealth))
	w.f64(r.PlayerSpeed)
	w.f64(r.BulletSpeed)
	w.str(m.RoomID)
	w.str(m.Token)
	return w.bytesCopy()
}

// Pong encodes a pong.
func (e *Encoder) Pong(p Pong) []byte {
	w := e.w
	w.header(MsgPong, 3)
	w.f64(p.ClientTime)
	w.uint(uint64(p.ServerTick))
	w.f64(p.ServerRTT)
	return w.bytesCopy()
}

// ServerLeave encodes the server's leave notice.
func (e *Encoder) ServerLeave(l Leave) []byte {
	w := e.w
	w.header(MsgLeave, 2)
	w.uint(uint64(l.Code))
	w.str(l.Reason)
	return w.bytesCopy()
}

// Scores encodes a scoreboard: [8, players, [[id, name, hue, kills, deaths], ...]].
func (e *Encoder) Scores(sc *Scores) []byte {
	w := e.w
	w.header(MsgScores, 2)
	w.uint(uint64(sc.Players))
	w.array(len(sc.Top))
	for _, t := range sc.Top {
		w.array(5)
		w.uint(uint64(t.ID))
		w.str(t.Name)
		w.uint(uint64(t.Hue))
		w.uint(uint64(max(t.Kills, 0)))
		w.uint(uint64(max(t.Deaths, 0)))
	}
	return w.bytesCopy()
}

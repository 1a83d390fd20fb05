package netcode

import (
	"math"

	"github.com/tickwire/tickwire/game"
)

// SnapshotEncoder turns the world into snapshot frames. Once per snapshot tick, Update
// encodes what every client shares (the entities); AppendFor then costs each client only its
// own four-field header and a copy. Neither allocates once its buffers have grown.
//
// A snapshot frame is [4, tick, lastSeq, players, bullets]; the encoder keeps the last two
// fields, already encoded, in body.
type SnapshotEncoder struct {
	body    *writer
	head    *writer
	tick    uint32
	players []PlayerState
	bullets []BulletState
}

// NewSnapshotEncoder returns an empty encoder.
func NewSnapshotEncoder() *SnapshotEncoder {
	return &SnapshotEncoder{body: newWriter(), head: newWriter()}
}

// Update encodes the entities of world w at its current tick.
func (s *SnapshotEncoder) Update(w *game.World) {
	s.tick = w.Tick
	s.players = s.players[:0]
	for i := range w.Players {
		p := &w.Players[i]
		var flags PlayerFlags
		if p.Alive {
			flags |= FlagAlive
		}
		s.players = append(s.players, PlayerState{
			ID: uint32(p.ID), X: float32(p.Pos.X), Y: float32(p.Pos.Y), Aim: float32(p.Aim),
			Health: p.Health, Kills: p.Kills, Deaths: p.Deaths, Flags: flags, Hue: p.Hue, Name: p.Name,
		})
	}
	s.bullets = s.bullets[:0]
	for i := range w.Bullets {
		b := &w.Bullets[i]
		s.bullets = append(s.bullets, BulletState{
			ID: uint32(b.ID), Owner: uint32(b.Owner),
			X: float32(b.Pos.X), Y: float32(b.Pos.Y), VX: float32(b.Vel.X), VY: float32(b.Vel.Y),
		})
	}
	s.body.buf.Reset()
	encodeEntities(s.body, s.players, s.bullets)
}

// Tick is the tick of the last Update.
func (s *SnapshotEncoder) Tick() uint32 { return s.tick }

// AppendFor appends to dst the snapshot frame for a client whose newest applied input is
// lastSeq, and returns the extended slice.
func (s *SnapshotEncoder) AppendFor(dst []byte, lastSeq uint32) []byte {
	h := s.head
	h.header(MsgSnapshot, 4)
	h.uint(uint64(s.tick))
	h.uint(uint64(lastSeq))
	dst = append(dst, h.buf.Bytes()...)
	return append(dst, s.body.buf.Bytes()...)
}

// ServerMessage is one decoded server message; only the field named by Type is set.
type ServerMessage struct {
	Type     MsgType
	Welcome  Welcome
	Snapshot Snapshot      // protocol 1: a full snapshot
	Delta    SnapshotDelta // protocol 2: a snapshot against a baseline
	IsDelta  bool          // a snapshot decoded into Delta rather than Snapshot
	Pong     Pong
	Leave    Leave
	Scores   Scores
}

// ServerDecoder decodes server frames, for clients written in Go (tests and bots). It
// reuses the slices of the message it decodes into.
type ServerDecoder struct{ rd *reader }

// NewServerDecoder returns a decoder of server messages.
func NewServerDecoder() *ServerDecoder { return &ServerDecoder{rd: newReader()} }

// maxServerString bounds strings from the server: map tiles are the longest.
const maxServerString = 1 << 20

// Decode decodes one server frame into m.
func (sd *ServerDecoder) Decode(b []byte, m *ServerMessage) error {
	rd := sd.rd
	rd.reset(b)
	n := rd.array("message")
	m.Type = MsgType(rd.uint("message type", 255))
	if rd.err != nil {
		return rd.err
	}
	arity := func(want int) {
		if n != want {
			rd.fail("message type %d: %d fields, want %d", m.Type, n, want)
		}
	}
	const u32 = math.MaxUint32
	switch m.Type {
	case MsgWelcome:
		arity(8)
		w := &m.Welcome
		w.PlayerID = uint32(rd.uint("playerId", u32))
		w.TickRate = int(rd.uint("tickRate", 1000))
		w.SnapshotRate = int(rd.uint("snapshotRate", 1000))
		if rd.array("map") != 7 {
			rd.fail("map: want 7 fields")
		}
		mi := &w.Map
		mi.Name = rd.str("map name", maxServerString)
		mi.TileSize = rd.float("tileSize")
		mi.Cols = int(rd.uint("cols", u32))
		mi.Rows = int(rd.uint("rows", u32))
		mi.Tiles = rd.str("tiles", maxServerString)
		mi.Width = rd.float("width")
		mi.Height = rd.float("height")
		if rd.array("rules") != 4 {
			rd.fail("rules: want 4 fields")
		}
		r := &w.Rules
		r.PlayerRadius = rd.float("playerRadius")
		r.BulletRadius = rd.float("bulletRadius")
		r.MaxHealth = int(rd.uint("maxHealth", u32))
		r.PlayerSpeed = rd.float("playerSpeed")
		w.RoomID = rd.str("roomId", maxServerString)
		w.Token = rd.str("token", maxServerString)
	case MsgSnapshot:
		m.IsDelta = n == 8
		if m.IsDelta {
			decodeDelta(rd, n, &m.Delta)
			break
		}
		arity(5)
		s := &m.Snapshot
		s.Tick = uint32(rd.uint("tick", u32))
		s.LastSeq = uint32(rd.uint("lastSeq", u32))
		np := rd.array("players")
		s.Players = s.Players[:0]
		for i := 0; i < np && rd.err == nil; i++ {
			if rd.array("player") != 10 {
				rd.fail("player: want 10 fields")
			}
			s.Players = append(s.Players, PlayerState{
				ID:     uint32(rd.uint("player id", u32)),
				X:      float32(rd.float("player x")),
				Y:      float32(rd.float("player y")),
				Aim:    float32(rd.float("player aim")),
				Health: int(rd.uint("player health", u32)),
				Kills:  int(rd.uint("player kills", u32)),
				Deaths: int(rd.uint("player deaths", u32)),
				Flags:  PlayerFlags(rd.uint("player flags", 255)),
				Hue:    uint16(rd.uint("player hue", 359)),
				Name:   rd.str("player name", maxNameBytes),
			})
		}
		nb := rd.array("bullets")
		s.Bullets = s.Bullets[:0]
		for i := 0; i < nb && rd.err == nil; i++ {
			if rd.array("bullet") != 6 {
				rd.fail("bullet: want 6 fields")
			}
			s.Bullets = append(s.Bullets, BulletState{
				ID:    uint32(rd.uint("bullet id", u32)),
				Owner: uint32(rd.uint("bullet owner", u32)),
				X:     float32(rd.float("bullet x")),
				Y:     float32(rd.float("bullet y")),
				VX:    float32(rd.float("bullet vx")),
				VY:    float32(rd.float("bullet vy")),
			})
		}
	case MsgScores:
		arity(3)
		m.Scores.Players = int(rd.uint("players", u32))
		n := rd.array("top")
		m.Scores.Top = m.Scores.Top[:0]
		for i := 0; i < n && rd.err == nil; i++ {
			if rd.array("score") != 5 {
				rd.fail("score: want 5 fields")
			}
			m.Scores.Top = append(m.Scores.Top, ScoreEntry{
				ID:     uint32(rd.uint("score id", u32)),
				Name:   rd.str("score name", maxNameBytes),
				Hue:    uint16(rd.uint("score hue", 359)),
				Kills:  int(rd.uint("score kills", u32)),
				Deaths: int(rd.uint("score deaths", u32)),
			})
		}
	case MsgPong:
		arity(4)
		m.Pong.ClientTime = rd.float("pong time")
		m.Pong.ServerTick = uint32(rd.uint("pong tick", u32))
		m.Pong.ServerRTT = rd.float("pong rtt")
	case MsgLeave:
		arity(3)
		m.Leave.Code = CloseCode(rd.uint("leave code", 4999))
		m.Leave.Reason = rd.str("leave reason", maxServerString)
	default:
		rd.fail("unknown message type %d", m.Type)
	}
	rd.end("message")
	if rd.err != nil {
		return rd.err
	}
	return nil
}

// PeekSnapshot reads only the header of a frame: whether it is a snapshot and, if so, its
// tick and lastSeq. It allocates nothing; bots use it to measure without decoding entities.
func (sd *ServerDecoder) PeekSnapshot(b []byte) (tick, lastSeq uint32, ok bool) {
	rd := sd.rd
	rd.reset(b)
	n := rd.array("message")
	if rd.uint("message type", 255) != uint64(MsgSnapshot) || n != 5 && n != 8 {
		return 0, 0, false
	}
	tick = uint32(rd.uint("tick", math.MaxUint32))
	lastSeq = uint32(rd.uint("lastSeq", math.MaxUint32))
	return tick, lastSeq, rd.err == nil
}

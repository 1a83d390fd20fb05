package netcode

import (
	"math"
)

// ServerMessage is one decoded server message; only the field named by Type is set.
type ServerMessage struct {
	Type     MsgType
	Welcome  Welcome
	Delta    SnapshotDelta // a snapshot as it came: against a baseline
	Snapshot Snapshot      // Client.Next: the view after applying Delta, in world units
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
		if rd.array("rules") != 5 {
			rd.fail("rules: want 5 fields")
		}
		r := &w.Rules
		r.PlayerRadius = rd.float("playerRadius")
		r.BulletRadius = rd.float("bulletRadius")
		r.MaxHealth = int(rd.uint("maxHealth", u32))
		r.PlayerSpeed = rd.float("playerSpeed")
		r.BulletSpeed = rd.float("bulletSpeed")
		w.RoomID = rd.str("roomId", maxServerString)
		w.Token = rd.str("token", maxServerString)
	case MsgSnapshot:
		decodeDelta(rd, n, &m.Delta)
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
	return rd.end("message")
}

// PeekSnapshot reads only the header of a frame: whether it is a snapshot and, if so, its
// tick and lastSeq. It allocates nothing; bots use it to measure without decoding entities.
func (sd *ServerDecoder) PeekSnapshot(b []byte) (tick, lastSeq uint32, ok bool) {
	rd := sd.rd
	rd.reset(b)
	n := rd.array("message")
	if rd.uint("message type", 255) != uint64(MsgSnapshot) || n != snapshotFields {
		return 0, 0, false
	}
	tick = uint32(rd.uint("tick", math.MaxUint32))
	lastSeq = uint32(rd.uint("lastSeq", math.MaxUint32))
	return tick, lastSeq, rd.err == nil
}

package netcode

import "github.com/tickwire/tickwire/game"

// Subprotocol is the WebSocket subprotocol a client must offer. Its number is the protocol
// version, raised on every incompatible change (see PROTOCOL.md, "Version history").
const Subprotocol = "tickwire.v4"

// ReadLimit is the largest frame a client may send, in bytes. The largest legitimate client
// message, a join with a long name, is well under it.
const ReadLimit = 1024

// MaxNameLen is the longest player name, in characters, that the server keeps.
const MaxNameLen = 16

// MsgType is the first element of every message array.
type MsgType uint8

// Message types. The numbers are part of the protocol.
const (
	MsgJoin     MsgType = 1 // client → server
	MsgWelcome  MsgType = 2 // server → client
	MsgInput    MsgType = 3 // client → server
	MsgSnapshot MsgType = 4 // server → client
	MsgPing     MsgType = 5 // client → server
	MsgPong     MsgType = 6 // server → client
	MsgLeave    MsgType = 7 // both ways
	MsgScores   MsgType = 8 // server → client: the room's scoreboard
	MsgWatch    MsgType = 9 // client → server, spectators: the area to watch
)

// Buttons are the bit flags of an input.
type Buttons uint8

// Button bits. Any other bit in an input is an error.
const (
	ButtonFire Buttons = 1 << iota

	knownButtons = ButtonFire
)

// Join is the first message a client sends.
type Join struct {
	Name  string // cleaned by the decoder: no control characters, at most MaxNameLen characters
	Token string // a reconnection token from an earlier welcome, to take the player over again
}

// Welcome answers a join.
type Welcome struct {
	PlayerID     uint32
	TickRate     int
	SnapshotRate int
	Map          MapInfo
	Rules        RulesInfo
	RoomID       string // the room's id, to share it or come back to it
	Token        string // the player's reconnection token; keep it secret
}

// MapInfo describes the arena: a block of tiles repeated to fill Width x Height.
type MapInfo struct {
	Name          string
	TileSize      float64
	Cols, Rows    int
	Tiles         string
	Width, Height float64
}

// RulesInfo are the rules a client needs to draw (and later predict) the game.
type RulesInfo struct {
	PlayerRadius float64
	BulletRadius float64
	MaxHealth    int
	PlayerSpeed  float64
	BulletSpeed  float64 // units per second: every bullet flies at it
}

// NewWelcome describes world w to the player id.
func NewWelcome(w *game.World, id game.EntityID, snapshotRate int) Welcome {
	m, r := w.Arena.Map, w.Rules
	return Welcome{
		PlayerID:     uint32(id),
		TickRate:     w.TickRate,
		SnapshotRate: snapshotRate,
		Map: MapInfo{
			Name: m.Name, TileSize: m.TileSize, Cols: m.Cols, Rows: m.Rows, Tiles: m.Tiles,
			Width: w.Arena.W, Height: w.Arena.H,
		},
		Rules: RulesInfo{
			PlayerRadius: r.PlayerRadius, BulletRadius: r.BulletRadius,
			MaxHealth: r.MaxHealth, PlayerSpeed: r.PlayerSpeed, BulletSpeed: r.BulletSpeed,
		},
	}
}

// Input is what a client wants for one tick.
type Input struct {
	Seq          uint32  // rises by one per input, from 1
	Ack          uint32  // tick of the newest snapshot the client applied
	MoveX, MoveY float64 // length at most 1
	Aim          float64 // radians, finite
	Buttons      Buttons
	// ViewTick is the server tick the client was drawing other players at when it made this
	// input (0: unknown). Lag compensation rewinds the input's shot to it, within bounds.
	ViewTick uint32
}

// Snapshot is what one client sees of the arena at one tick, in world units: what
// Client.Next makes of a snapshot frame once applied to its baseline.
type Snapshot struct {
	Tick    uint32
	LastSeq uint32 // newest input of the receiving client that the server applied
	Players []PlayerState
	Bullets []BulletState
}

// PlayerFlags are the bit flags of a PlayerState.
type PlayerFlags uint8

// FlagAlive is set while the player is alive.
const FlagAlive PlayerFlags = 1

// PlayerState is one player in a snapshot.
type PlayerState struct {
	ID            uint32
	X, Y, Aim     float32
	Health        int
	Kills, Deaths int
	Flags         PlayerFlags
	Hue           uint16
	Name          string
}

// BulletState is one bullet in a snapshot.
type BulletState struct {
	ID, Owner    uint32
	X, Y, VX, VY float32
}

// Watch moves a spectator's area of interest: a circle of Radius around (X, Y).
type Watch struct {
	X, Y, Radius float64
}

// Spectator view radii: a spectator may choose within these.
const (
	MinWatchRadius = 100
	MaxWatchRadius = 4000
)

// Scores is the room's scoreboard, sent to clients once a second: with interest
// management a client does not see every player, but should see who leads.
type Scores struct {
	Players int          // players in the room
	Top     []ScoreEntry // the leaders, most kills first (fewer deaths first on a tie)
}

// ScoreEntry is one line of the scoreboard.
type ScoreEntry struct {
	ID            uint32
	Name          string
	Hue           uint16
	Kills, Deaths int
}

// ScoreboardLen is how many leaders Scores lists.
const ScoreboardLen = 10

// Ping asks the server to echo ClientTime in a Pong.
type Ping struct{ ClientTime float64 }

// Pong answers a Ping.
type Pong struct {
	ClientTime float64
	ServerTick uint32
	// ServerRTT is the round trip the server measures with WebSocket pings, smoothed
	// (RFC 6298), in milliseconds; 0 before its first sample. Lag compensation uses it.
	ServerRTT float64
}

// Leave says goodbye: from a client it has no fields; from the server it carries the close
// code and reason that follow.
type Leave struct {
	Code   CloseCode
	Reason string
}

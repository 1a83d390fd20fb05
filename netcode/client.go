package netcode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// Client speaks the protocol from the player's side, for tests and bots. One goroutine may
// send (SendInput, Ping, Leave) while another reads (Next); no more.
type Client struct {
	conn    *websocket.Conn
	enc     *Encoder
	dec     *ServerDecoder
	msg     ServerMessage
	frame   []byte
	seq     uint32
	applier Applier
	ack     uint32  // tick of the newest snapshot applied; 0 asks for a full one
	Resyncs int     // snapshots that could not be applied (no baseline, checksum mismatch)
	Welcome Welcome // the server's welcome, received by Dial
}

// DialOptions adjust Dial. The zero value works.
type DialOptions struct {
	Header http.Header // extra handshake headers, such as Origin
	TLS    *tls.Config // for wss:// URLs; nil means the system's defaults
	Token  string      // a reconnection token from an earlier Welcome, to take that player over
}

// Dial connects to a Tickwire server's WebSocket URL (ws://host/ws), joins with name and waits
// for the welcome.
func Dial(ctx context.Context, url, name string, opt DialOptions) (*Client, error) {
	d := websocket.Dialer{Subprotocols: []string{Subprotocol}, HandshakeTimeout: 10 * time.Second, TLSClientConfig: opt.TLS}
	conn, resp, err := d.DialContext(ctx, url, opt.Header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("netcode: dial %s: %w (HTTP %d)", url, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("netcode: dial %s: %w", url, err)
	}
	if conn.Subprotocol() != Subprotocol {
		conn.Close()
		return nil, fmt.Errorf("netcode: dial %s: server chose subprotocol %q", url, conn.Subprotocol())
	}
	c := &Client{conn: conn, enc: NewEncoder(), dec: NewServerDecoder()}
	if err := c.send(c.enc.Join(Join{Name: name, Token: opt.Token})); err != nil {
		conn.Close()
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetReadDeadline(dl)
	}
	m, err := c.Next()
	_ = conn.SetReadDeadline(time.Time{})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("netcode: waiting for welcome: %w", err)
	}
	if m.Type == MsgLeave { // refused: room full, no such room...
		conn.Close()
		return nil, fmt.Errorf("netcode: join refused: %w", &CloseError{Code: m.Leave.Code, Reason: m.Leave.Reason})
	}
	if m.Type != MsgWelcome {
		conn.Close()
		return nil, fmt.Errorf("netcode: first message has type %d, want welcome", m.Type)
	}
	c.Welcome = m.Welcome
	return c, nil
}

func (c *Client) send(b []byte) error {
	if err := c.conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		return fmt.Errorf("netcode: send: %w", err)
	}
	return nil
}

// SendInput sends an input. A zero Seq is replaced with the next sequence number, and a zero
// Ack with the tick of the newest snapshot applied.
func (c *Client) SendInput(in Input) error {
	if in.Ack == 0 {
		in.Ack = c.ack
	}
	if in.Seq == 0 {
		c.seq++
		in.Seq = c.seq
	} else {
		c.seq = in.Seq
	}
	return c.send(c.enc.Input(in))
}

// Ping sends a ping carrying t.
func (c *Client) Ping(t float64) error { return c.send(c.enc.Ping(Ping{ClientTime: t})) }

// SendRaw sends b as one binary frame as it is, for tests of bad input.
func (c *Client) SendRaw(messageType int, b []byte) error {
	return c.conn.WriteMessage(messageType, b)
}

// Next reads the next server message. The message is reused by the next call. A delta
// snapshot is applied to its baseline and returned as the whole view in Snapshot; one that
// cannot be applied is counted in Resyncs and skipped, and the next input asks for a full
// snapshot. When the server closes the connection the error is a *websocket.CloseError;
// CloseCodeOf reads its code.
func (c *Client) Next() (*ServerMessage, error) {
	for {
		mt, b, err := c.conn.ReadMessage()
		if err != nil {
			return nil, err
		}
		if mt != websocket.BinaryMessage {
			return nil, errors.New("netcode: server sent a text frame")
		}
		if err := c.dec.Decode(b, &c.msg); err != nil {
			return nil, err
		}
		if c.msg.Type != MsgSnapshot {
			return &c.msg, nil
		}
		view, err := c.applier.Apply(&c.msg.Delta)
		if err != nil {
			c.Resyncs++
			c.ack = 0
			continue
		}
		c.ack = view.Tick
		c.msg.Snapshot = c.viewSnapshot(view, c.msg.Delta.LastSeq)
		return &c.msg, nil
	}
}

// viewSnapshot turns an applied view into a Snapshot in world units: positions from quarter
// units, bullets where they are at the view's tick.
func (c *Client) viewSnapshot(v *ViewState, lastSeq uint32) Snapshot {
	s := c.msg.Snapshot
	s.Tick, s.LastSeq = v.Tick, lastSeq
	s.Players, s.Bullets = s.Players[:0], s.Bullets[:0]
	for _, p := range v.Players {
		s.Players = append(s.Players, PlayerState{
			ID: p.ID, X: float32(p.X) / PosScale, Y: float32(p.Y) / PosScale,
			Aim:    float32(float64(p.Aim) * 2 * math.Pi / AimSteps),
			Health: int(p.Health), Kills: int(p.Kills), Deaths: int(p.Deaths), Flags: p.Flags, Hue: p.Hue, Name: p.Name,
		})
	}
	rate := float32(max(c.Welcome.TickRate, 1))
	for _, b := range v.Bullets {
		dt := float32(v.Tick-b.Tick) / rate
		vx64, vy64 := BulletVelocity(b.Dir, c.Welcome.Rules.BulletSpeed)
		vx, vy := float32(vx64), float32(vy64)
		s.Bullets = append(s.Bullets, BulletState{
			ID: b.ID, Owner: b.Owner, X: float32(b.X)/PosScale + vx*dt, Y: float32(b.Y)/PosScale + vy*dt, VX: vx, VY: vy,
		})
	}
	return s
}

// SetReadDeadline bounds the next reads.
func (c *Client) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// Leave sends a leave and a normal close frame. Keep calling Next to see the server's close;
// then call Close.
func (c *Client) Leave() error {
	if err := c.send(c.enc.ClientLeave()); err != nil {
		return err
	}
	return c.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
}

// Close closes the connection at once, without a close handshake.
func (c *Client) Close() error { return c.conn.Close() }

// CloseCodeOf returns the close code carried by an error from Dial or a read (a close frame,
// or a leave message refusing the join), or 0 if it carries none.
func CloseCodeOf(err error) CloseCode {
	var wce *websocket.CloseError
	if errors.As(err, &wce) {
		return CloseCode(wce.Code)
	}
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

// NextFrame reads the next server frame without decoding it, for bots that measure only a
// few things: see PeekSnapshot. The slice is valid until the next read.
func (c *Client) NextFrame() ([]byte, error) {
	mt, r, err := c.conn.NextReader()
	if err != nil {
		return nil, err
	}
	if mt != websocket.BinaryMessage {
		return nil, errors.New("netcode: server sent a text frame")
	}
	c.frame = c.frame[:0]
	for {
		if len(c.frame) == cap(c.frame) {
			c.frame = append(c.frame, 0)[:len(c.frame)]
		}
		n, err := r.Read(c.frame[len(c.frame):cap(c.frame)])
		c.frame = c.frame[:len(c.frame)+n]
		if err == io.EOF {
			return c.frame, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Decode decodes a frame from NextFrame into the message Next would have returned.
func (c *Client) Decode(frame []byte) (*ServerMessage, error) {
	if err := c.dec.Decode(frame, &c.msg); err != nil {
		return nil, err
	}
	return &c.msg, nil
}

// Watch moves a spectator's area of interest (joined with ?spectate=1).
func (c *Client) Watch(w Watch) error { return c.send(c.enc.Watch(w)) }

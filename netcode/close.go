package netcode

import (
	"errors"
	"fmt"
)

// CloseCode is a WebSocket close status code. The meanings are fixed in ARCHITECTURE.md and
// PROTOCOL.md.
type CloseCode uint16

// Close codes the server sends.
const (
	CloseNormal        CloseCode = 1000 // normal leave
	CloseGoingAway     CloseCode = 1001 // server shutting down; reconnect later
	CloseUnsupported   CloseCode = 1003 // text frame or other unsupported data
	CloseInvalid       CloseCode = 1007 // undecodable payload or values out of range
	ClosePolicy        CloseCode = 1008 // rate limit exceeded, origin or auth failure
	CloseTooBig        CloseCode = 1009 // frame over ReadLimit
	CloseInternal      CloseCode = 1011 // unexpected server error
	CloseTryAgainLater CloseCode = 1013 // room full, server overloaded
	CloseFellBehind    CloseCode = 4000 // could not keep up with snapshots
	CloseJoinTimeout   CloseCode = 4001 // no join message in time
	CloseNoSuchRoom    CloseCode = 4002 // the room asked for does not exist (or has closed)
	CloseReplaced      CloseCode = 4003 // the player reconnected on another connection

	// CloseBadServerMessage is sent by a client that received a message it could not decode.
	CloseBadServerMessage CloseCode = 4400
)

// CloseError is a reason to close a session: a code and a short reason for the close frame.
type CloseError struct {
	Code   CloseCode
	Reason string
}

func (e *CloseError) Error() string { return fmt.Sprintf("netcode: close %d: %s", e.Code, e.Reason) }

// closeErr makes a CloseError; the reason is cut to fit a close frame (123 bytes).
func closeErr(code CloseCode, format string, args ...any) *CloseError {
	r := fmt.Sprintf(format, args...)
	if len(r) > 120 {
		r = r[:120]
	}
	return &CloseError{Code: code, Reason: r}
}

// ErrQueueFull is what QueueControl returns when a session's control queue is full.
var ErrQueueFull = errors.New("netcode: send queue full")

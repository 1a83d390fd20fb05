package netcode

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// This file is the session's WebSocket framing (RFC 6455) once gorilla/websocket has done the
// opening handshake. The session reads and writes frames on the connection itself: gorilla's
// reader allocates for every message and its pooled write buffer holds a copy of every frame,
// while a session needs neither. The read loop parses client frames out of one small buffer
// and hands a message to the decoder where it lies; the write loop writes a frame header and
// the payload in one writev. Only the write loop writes: a client's ping is answered, and a
// client's close echoed, by the write loop.

// WebSocket opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

const (
	// readBufSize is the session's read buffer: several input frames, or one control frame
	// with its header (14 + 125 bytes). A data message that does not fit (a long join) is
	// read into a buffer of its own.
	readBufSize = 256
	// maxControlPayload is the largest control frame payload.
	maxControlPayload = 125
	// closeProtocolError is the close code for a frame that breaks RFC 6455.
	closeProtocolError CloseCode = 1002
)

// errUnexpectedEOF is the cause of a connection that ended without a close frame, as
// gorilla/websocket reports it, so that Resumable sees it the same way.
var errUnexpectedEOF = &websocket.CloseError{Code: websocket.CloseAbnormalClosure, Text: io.ErrUnexpectedEOF.Error()}

// frameReader reads client frames from a connection through a small buffer.
type frameReader struct {
	nc   net.Conn
	buf  []byte // len(buf) is its capacity; unread bytes are buf[r:w]
	r, w int
}

// fill makes at least n (<= len(buf)) bytes readable in buf[r:w].
func (fr *frameReader) fill(n int) error {
	if fr.w-fr.r >= n {
		return nil
	}
	if fr.r+n > len(fr.buf) {
		fr.w = copy(fr.buf, fr.buf[fr.r:fr.w])
		fr.r = 0
	}
	for fr.w-fr.r < n {
		m, err := fr.nc.Read(fr.buf[fr.w:])
		fr.w += m
		if err != nil && fr.w-fr.r < n {
			if errors.Is(err, io.EOF) {
				return errUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// payload reads a frame's n payload bytes, unmasked with key, appending them to dst; with
// discard it reads and drops them. It is for payloads that do not fit the buffer.
func (fr *frameReader) payload(dst []byte, n int, key [4]byte, discard bool) ([]byte, error) {
	pos := 0
	for n > 0 {
		if fr.r == fr.w {
			fr.r, fr.w = 0, 0
			if err := fr.fill(1); err != nil {
				return dst, err
			}
		}
		chunk := fr.buf[fr.r:min(fr.w, fr.r+n)]
		fr.r += len(chunk)
		n -= len(chunk)
		if !discard {
			start := len(dst)
			dst = append(dst, chunk...)
			pos = maskBytes(key, pos, dst[start:])
		}
	}
	return dst, nil
}

// maskBytes XORs b with key, starting at key position pos, and returns the next position.
func maskBytes(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[pos&3]
		pos++
	}
	return pos & 3
}

// protocolError closes the session with 1002 and returns the error that ends its read loop.
func (s *Session) protocolError(reason string) error {
	s.Close(&CloseError{Code: closeProtocolError, Reason: reason})
	return errors.New("netcode: websocket protocol error: " + reason)
}

// nextMessage reads frames until a whole data message has arrived, handling control frames on
// the way. It returns the message's opcode and payload, which stays valid until the next call,
// or tooBig (and no payload) for a message over ReadLimit, whose bytes are read and dropped.
// A close frame from the client ends it with a *websocket.CloseError.
func (s *Session) nextMessage() (op byte, p []byte, tooBig bool, err error) {
	fr := &s.fr
	var msgOp byte // the opcode of a fragmented message being read; 0 if none
	var size int   // its bytes so far
	for {
		if err := fr.fill(2); err != nil {
			return 0, nil, false, err
		}
		b0, b1 := fr.buf[fr.r], fr.buf[fr.r+1]
		fin, opcode := b0&0x80 != 0, b0&0x0f
		if b0&0x70 != 0 {
			return 0, nil, false, s.protocolError("reserved bits set")
		}
		if b1&0x80 == 0 {
			return 0, nil, false, s.protocolError("client frame not masked")
		}
		hl := 2 + 4
		switch b1 & 0x7f {
		case 126:
			hl += 2
		case 127:
			hl += 8
		}
		if err := fr.fill(hl); err != nil {
			return 0, nil, false, err
		}
		h := fr.buf[fr.r : fr.r+hl]
		var n uint64
		switch b1 & 0x7f {
		case 126:
			n = uint64(binary.BigEndian.Uint16(h[2:]))
		case 127:
			n = binary.BigEndian.Uint64(h[2:])
			if n>>63 != 0 {
				return 0, nil, false, s.protocolError("frame length over 63 bits")
			}
		default:
			n = uint64(b1 & 0x7f)
		}
		key := [4]byte(h[hl-4:])

		switch opcode {
		case opClose, opPing, opPong:
			if !fin || n > maxControlPayload {
				return 0, nil, false, s.protocolError("bad control frame")
			}
			if err := fr.fill(hl + int(n)); err != nil {
				return 0, nil, false, err
			}
			b := fr.buf[fr.r+hl : fr.r+hl+int(n)]
			fr.r += hl + int(n)
			maskBytes(key, 0, b)
			if err := s.control(opcode, b); err != nil {
				return 0, nil, false, err
			}
			continue
		case opText, opBinary:
			if msgOp != 0 {
				return 0, nil, false, s.protocolError("data frame inside a fragmented message")
			}
			if fin && n <= ReadLimit && hl+int(n) <= len(fr.buf) { // the usual case: in place
				if err := fr.fill(hl + int(n)); err != nil {
					return 0, nil, false, err
				}
				p := fr.buf[fr.r+hl : fr.r+hl+int(n)]
				fr.r += hl + int(n)
				maskBytes(key, 0, p)
				s.cfg.Counters.BytesIn.Add(n)
				return opcode, p, false, nil
			}
			msgOp, size, tooBig = opcode, 0, false
			s.frag = s.frag[:0]
		case opContinuation:
			if msgOp == 0 {
				return 0, nil, false, s.protocolError("continuation frame without a message")
			}
		default:
			return 0, nil, false, s.protocolError("unknown opcode")
		}
		// A fragment, or a message that does not fit the buffer: gather it in s.frag.
		fr.r += hl
		if tooBig || uint64(size)+n > ReadLimit {
			tooBig = true
		} else if s.frag == nil {
			s.frag = make([]byte, 0, ReadLimit)
		}
		s.frag, err = fr.payload(s.frag, int(min(n, 1<<62)), key, tooBig)
		if err != nil {
			return 0, nil, false, err
		}
		size += int(min(n, ReadLimit+1))
		s.cfg.Counters.BytesIn.Add(n)
		if fin {
			if tooBig {
				return msgOp, nil, true, nil
			}
			return msgOp, s.frag, false, nil
		}
	}
}

// control acts on a control frame from the client.
func (s *Session) control(op byte, b []byte) error {
	switch op {
	case opPong:
		now := time.Now()
		if len(b) == 8 { // our pings carry their send time
			sent := time.Unix(0, int64(binary.BigEndian.Uint64(b)))
			s.rtt.Observe(now.Sub(sent))
			s.srtt.Store(int64(s.rtt.SRTT()))
			if s.cfg.OnRTT != nil {
				s.cfg.OnRTT(now.Sub(sent), s.rtt.SRTT())
			}
		}
		return s.fr.nc.SetReadDeadline(now.Add(s.cfg.PongWait))
	case opPing: // answered by the writer; only the newest unanswered ping (RFC 6455, 5.5.3)
		p := append([]byte(nil), b...)
		s.pongReply.Store(&p)
		s.signal()
		return nil
	default: // opClose
		code, text := websocket.CloseNoStatusReceived, ""
		if len(b) >= 2 {
			code, text = int(binary.BigEndian.Uint16(b)), string(b[2:])
			if !validReceivedCloseCode(code) {
				return s.protocolError("bad close code")
			}
			if !utf8.ValidString(text) {
				return s.protocolError("close reason not UTF-8")
			}
		}
		s.peerClose = int32(code)
		return &websocket.CloseError{Code: code, Text: text}
	}
}

// validReceivedCloseCode reports whether a client may send close code c (RFC 6455, 7.4).
func validReceivedCloseCode(c int) bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014:
		return true
	default:
		return c >= 3000 && c <= 4999
	}
}

// frameWriter writes server frames (unmasked) with one writev each.
type frameWriter struct {
	hdr  [10]byte
	ping [8]byte // the payload of the ping being written
	iov  [2][]byte
	bufs net.Buffers // a field, so that writing through it does not allocate
	copy []byte      // header and payload together, for connections without writev
}

// writeFrame writes one frame. Only the write loop calls it, after setting the deadline.
func (s *Session) writeFrame(op byte, p []byte) error {
	fw := &s.fw
	h := append(fw.hdr[:0], 0x80|op)
	switch n := len(p); {
	case n <= 125:
		h = append(h, byte(n))
	case n <= 0xffff:
		h = binary.BigEndian.AppendUint16(append(h, 126), uint16(n))
	default:
		h = binary.BigEndian.AppendUint64(append(h, 127), uint64(n))
	}
	if _, ok := s.nc.(*net.TCPConn); !ok {
		// Without writev (TLS, say) net.Buffers writes each buffer on its own: one frame,
		// one write, from a copy.
		fw.copy = append(append(fw.copy[:0], h...), p...)
		_, err := s.nc.Write(fw.copy)
		return err
	}
	fw.iov = [2][]byte{h, p}
	fw.bufs = fw.iov[:]
	_, err := fw.bufs.WriteTo(s.nc)
	fw.iov, fw.bufs = [2][]byte{}, nil // keep no reference to p
	return err
}

// The WebSocket to the server: binary msgpack frames both ways (PROTOCOL.md, "Transport").
// It joins as soon as the socket opens, decodes what arrives and hands each message to a
// handler; it knows nothing of the game.

import { PROTOCOL, MsgType, encodeJoin, encodeLeave, decodeServerMessage } from './protocol.js';

// Page query parameters passed on to /ws: they choose the room (PROTOCOL.md, "Transport").
const ROOM_PARAMS = ['room', 'create', 'private'];

/**
 * wsURL derives the game's WebSocket address from the page's location:
 * ws(s)://<host>/ws, keeping the room parameters of the page's query string.
 */
export function wsURL(loc) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const page = new URLSearchParams(loc.search);
  const q = new URLSearchParams();
  for (const k of ROOM_PARAMS) {
    if (page.has(k)) q.set(k, page.get(k));
  }
  const qs = q.toString();
  return `${scheme}//${loc.host}/ws${qs ? `?${qs}` : ''}`;
}

/**
 * Connection is one session with the server. Handlers (all optional):
 *   onMessage(msg, byteLength, receivedAt)  a decoded server message
 *   onFrame(byteLength, receivedAt)          any frame, before decoding (for byte counts)
 *   onClose({code, reason, leave, error})    once, when the socket has closed; leave is the
 *                                            server's leave message if one came, error the
 *                                            client's reason if it closed the socket itself
 */
export class Connection {
  constructor(url, name, handlers, now = () => performance.now()) {
    this.handlers = handlers;
    this.now = now;
    this.open = false;
    this.closed = false;
    this.leaveMsg = null; // the server's leave message, if it sent one
    this.error = null; // why the client closed the socket itself

    const ws = new WebSocket(url, PROTOCOL);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.open = true;
      this.send(encodeJoin(name)); // the join must come first, within 5 s
    });
    ws.addEventListener('message', (e) => this.receive(e.data));
    ws.addEventListener('close', (e) => {
      this.open = false;
      this.closed = true;
      this.handlers.onClose?.({ code: e.code, reason: e.reason, leave: this.leaveMsg, error: this.error });
    });
  }

  receive(data) {
    const at = this.now();
    if (typeof data === 'string') {
      this.fail('the server sent a text frame');
      return;
    }
    this.handlers.onFrame?.(data.byteLength, at);
    let msg;
    try {
      msg = decodeServerMessage(data);
    } catch (err) {
      this.fail(err.message);
      return;
    }
    if (msg.type === MsgType.LEAVE) this.leaveMsg = msg;
    this.handlers.onMessage?.(msg, data.byteLength, at);
  }

  /** send sends one encoded message as a binary frame, if the socket is open. */
  send(bytes) {
    if (!this.open) return false;
    this.ws.send(bytes); // a Uint8Array: always a binary frame
    return true;
  }

  /** leave says goodbye; the server closes with 1000. */
  leave() {
    if (!this.send(encodeLeave())) this.ws.close(1000);
  }

  // A browser may only close with 1000 or 3000-4999, so a broken server message closes with
  // 1000 and the reason says what was wrong.
  fail(reason) {
    if (this.error) return;
    this.error = reason;
    console.error('tickwire:', reason);
    this.open = false;
    this.ws.close(1000, 'client: bad server message');
  }
}

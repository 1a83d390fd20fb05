// The WebSocket to the server: binary msgpack frames both ways (PROTOCOL.md, "Transport").
// It joins as soon as the socket opens, decodes what arrives and hands each message to a
// handler; it knows nothing of the game.

import {
  PROTOCOL, MsgType, CLOSE_BAD_SERVER_MESSAGE, BAD_SERVER_MESSAGE_REASON,
  encodeJoin, encodeLeave, decodeServerMessage,
} from './protocol.js';

/**
 * Connection is one WebSocket to the server, at url (address.js makes it). It joins as name,
 * with token (an earlier welcome's) to take that player over again. Handlers (all optional):
 *   onMessage(msg, byteLength, receivedAt)  a decoded server message
 *   onFrame(byteLength, receivedAt)          any frame, before decoding (for byte counts)
 *   onClose({code, reason, leave, error})    once, when the socket has closed; leave is the
 *                                            server's leave message if one came, error the
 *                                            client's reason if it closed the socket itself
 */
export class Connection {
  constructor({ url, name, token = '', handlers = {}, now = () => performance.now(), WebSocket: WS = globalThis.WebSocket }) {
    this.handlers = handlers;
    this.now = now;
    this.open = false;
    this.closed = false;
    this.leaveMsg = null; // the server's leave message, if it sent one
    this.error = null; // why the client closed the socket itself

    const ws = new WS(url, PROTOCOL);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.open = true;
      this.send(encodeJoin(name, token)); // the join must come first, within 5 s
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

  /**
   * fail closes the socket because of a server message this client cannot use: with 4400
   * "bad server message", as PROTOCOL.md asks (the server logs it). The details stay here,
   * in error and on the console.
   */
  fail(reason) {
    if (this.error) return;
    this.error = reason;
    console.error('tickwire:', reason);
    this.open = false;
    this.ws.close(CLOSE_BAD_SERVER_MESSAGE, BAD_SERVER_MESSAGE_REASON);
  }
}

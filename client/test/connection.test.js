import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode } from '@msgpack/msgpack';
import { Connection } from '../src/connection.js';
import { generateName } from '../src/names.js';
import { MAX_NAME_LEN, PROTOCOL, CLOSE_BAD_SERVER_MESSAGE } from '../src/protocol.js';

/** FakeSocket stands in for the browser's WebSocket: the test plays the server. */
class FakeSocket extends EventTarget {
  static last = null;

  constructor(url, protocol) {
    super();
    this.url = url;
    this.protocol = protocol;
    this.sent = [];
    this.closedWith = null;
    FakeSocket.last = this;
  }

  send(bytes) { this.sent.push(decode(bytes)); }

  close(code, reason) {
    this.closedWith = { code, reason };
    // The browser reports the close once the handshake ends; the server echoes the code.
    queueMicrotask(() => this.serverCloses(code, reason));
  }

  opens() { this.dispatchEvent(new Event('open')); }

  receives(data) {
    const e = new Event('message');
    e.data = data;
    this.dispatchEvent(e);
  }

  serverCloses(code, reason = '') {
    const e = new Event('close');
    e.code = code;
    e.reason = reason;
    this.dispatchEvent(e);
  }
}

const toBuffer = (bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

function open(opts = {}) {
  const got = { messages: [], closes: [] };
  const conn = new Connection({
    url: 'ws://h/ws?room=k3x9m2qa',
    name: 'Alice',
    WebSocket: FakeSocket,
    now: () => 0,
    handlers: { onMessage: (m) => got.messages.push(m), onClose: (c) => got.closes.push(c) },
    ...opts,
  });
  return { conn, ws: FakeSocket.last, got };
}

test('the join goes first, with the token when there is one', () => {
  const { ws } = open();
  assert.equal(ws.url, 'ws://h/ws?room=k3x9m2qa');
  assert.equal(ws.protocol, PROTOCOL);
  ws.opens();
  assert.deepEqual(ws.sent, [[1, 'Alice']]);

  const again = open({ token: 'tok-1' });
  again.ws.opens();
  assert.deepEqual(again.ws.sent, [[1, 'Alice', 'tok-1']]);
});

test('a server message that does not decode closes with 4400 "bad server message"', async () => {
  const errors = [];
  const orig = console.error;
  console.error = (...a) => errors.push(a.join(' '));
  try {
    for (const bad of [toBuffer(encode([99, 1])), toBuffer(new Uint8Array([0xc1])), 'text']) {
      const { ws, got } = open();
      ws.opens();
      ws.receives(bad);
      assert.deepEqual(ws.closedWith, { code: CLOSE_BAD_SERVER_MESSAGE, reason: 'bad server message' });
      assert.equal(CLOSE_BAD_SERVER_MESSAGE, 4400);
      assert.equal(got.messages.length, 0);
      await new Promise((r) => setImmediate(r));
      assert.equal(got.closes.length, 1);
      assert.equal(got.closes[0].code, 4400);
      assert.ok(got.closes[0].error, 'the close says what the client found wrong');
    }
  } finally {
    console.error = orig;
  }
  assert.equal(errors.length, 3);
});

test('a leave message is kept for the close that follows', () => {
  const { ws, got } = open();
  ws.opens();
  ws.receives(toBuffer(encode([7, 1001, 'server shutting down'])));
  ws.serverCloses(1001, 'server shutting down');
  assert.equal(got.closes.length, 1);
  assert.equal(got.closes[0].code, 1001);
  assert.deepEqual(got.closes[0].leave, { type: 7, code: 1001, reason: 'server shutting down' });
  assert.equal(got.closes[0].error, null);
});

test('generated names fit the server limit', () => {
  let i = 0;
  const seq = [0.99, 0.99, 0.99, 0, 0, 0, 0.5, 0.31, 0.42];
  const random = () => seq[i++ % seq.length];
  const names = [generateName(random), generateName(random), generateName(random)];
  assert.deepEqual(names, ['CalmRaven99', 'SwiftOtter0', 'LuckyHeron50']);
  for (let k = 0; k < 200; k++) {
    const n = generateName();
    assert.ok(n.length > 0 && n.length <= MAX_NAME_LEN, n);
  }
});

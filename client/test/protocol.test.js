import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { encode, decode } from '@msgpack/msgpack';
import {
  PROTOCOL, MsgType, Buttons, CLOSE_CODES, closeInfo, reconnectAdvice,
  encodeJoin, encodeInput, encodePing, encodeLeave, decodeServerMessage, ProtocolError,
} from '../src/protocol.js';

// Hand-made frames: fixarray header, then values, for checks that do not trust any encoder.
const bytes = (...b) => new Uint8Array(b);

const MAP = ['Courtyard', 40, 3, 2, '.#.S..', 1280, 800];
const RULES = [16, 4, 100, 220];
const TOKEN = '6f1c2d4e-8a9b-4c3d-9e1f-0a1b2c3d4e5f';
const welcome = () => [2, 7, 30, 15, MAP.slice(), RULES.slice(), 'k3x9m2qa', TOKEN];
const player = () => [3, 120.5, 64.25, 1.5, 80, 2, 1, 1, 137, 'Alice'];
const bullet = () => [9, 3, 10.5, 20.25, 800, -0.5];
const snapshot = () => [4, 1234, 56, [player()], [bullet()]];

describe('constants', () => {
  test('mirror netcode/protocol.go and close.go', () => {
    assert.equal(PROTOCOL, 'tickwire.v1');
    assert.deepEqual({ ...MsgType }, { JOIN: 1, WELCOME: 2, INPUT: 3, SNAPSHOT: 4, PING: 5, PONG: 6, LEAVE: 7 });
    assert.equal(Buttons.FIRE, 1);
    assert.deepEqual(Object.keys(CLOSE_CODES).map(Number),
      [1000, 1001, 1003, 1005, 1006, 1007, 1008, 1009, 1011, 1013, 4000, 4001, 4002, 4003, 4400]);
  });

  test('close codes say whether to reconnect, as PROTOCOL.md does', () => {
    const advised = (c) => closeInfo(c).reconnect !== 'no';
    // netcode.CloseCode.ReconnectAdvised: 1001, 1011, 1013, 4000, 4001.
    for (const c of [1001, 1011, 1013, 4000, 4001]) assert.ok(advised(c), `${c} should advise reconnecting`);
    for (const c of [1000, 1003, 1007, 1008, 1009, 4002, 4003]) assert.ok(!advised(c), `${c} should not`);
    assert.equal(closeInfo(1001).meaning, 'server shutting down');
    assert.equal(closeInfo(1001).reconnect, 'later');
    assert.match(reconnectAdvice(1001), /later/);
    assert.match(reconnectAdvice(1008), /not help/);
    assert.equal(closeInfo(4321).meaning, 'application close');
    assert.equal(closeInfo(1234).meaning, 'unknown close code');
  });
});

describe('encode', () => {
  test('join round-trips through @msgpack/msgpack', () => {
    assert.deepEqual(decode(encodeJoin('Alice')), [1, 'Alice']);
    assert.deepEqual(decode(encodeJoin('')), [1, '']);
    assert.deepEqual(decode(encodeJoin('Zoë 🦊')), [1, 'Zoë 🦊']);
    assert.throws(() => encodeJoin(7), TypeError);
    assert.deepEqual(decode(encodeJoin('Alice', TOKEN)), [1, 'Alice', TOKEN]);
    assert.throws(() => encodeJoin('Alice', 7), TypeError);
  });

  test('join is the exact bytes PROTOCOL.md describes', () => {
    // fixarray(2), positive fixint 1, fixstr(3) "Bob"
    assert.deepEqual(encodeJoin('Bob'), bytes(0x92, 0x01, 0xa3, 0x42, 0x6f, 0x62));
  });

  test('input round-trips, field order included', () => {
    const m = { seq: 42, ack: 1000, moveX: 0.6, moveY: -0.8, aim: -2.5, buttons: Buttons.FIRE };
    assert.deepEqual(decode(encodeInput(m)), [3, 42, 1000, 0.6, -0.8, -2.5, 1]);
    const still = { seq: 4294967295, ack: 0, moveX: 0, moveY: 0, aim: 0, buttons: 0 };
    assert.deepEqual(decode(encodeInput(still)), [3, 4294967295, 0, 0, 0, 0, 0]);
    const diag = { seq: 1, ack: 0, moveX: Math.SQRT1_2, moveY: Math.SQRT1_2, aim: Math.PI, buttons: 0 };
    assert.deepEqual(decode(encodeInput(diag)), [3, 1, 0, Math.SQRT1_2, Math.SQRT1_2, Math.PI, 0]);
  });

  test('input stays within the server read limit', () => {
    const m = { seq: 4294967295, ack: 4294967295, moveX: -0.123456789, moveY: 0.987654321, aim: -3.14159, buttons: 1 };
    assert.ok(encodeInput(m).byteLength < 64);
  });

  test('input refuses what the server would close for', () => {
    const ok = { seq: 1, ack: 0, moveX: 0, moveY: 0, aim: 0, buttons: 0 };
    const bad = {
      'seq 0': { seq: 0 },
      'negative seq': { seq: -1 },
      'fractional seq': { seq: 1.5 },
      'seq above uint32': { seq: 2 ** 32 },
      'negative ack': { ack: -1 },
      'move too long': { moveX: 1, moveY: 1 },
      'NaN move': { moveX: NaN },
      'infinite aim': { aim: Infinity },
      'string aim': { aim: '1' },
      'unknown button bit': { buttons: 2 },
      'fractional buttons': { buttons: 0.5 },
    };
    for (const [name, patch] of Object.entries(bad)) {
      assert.throws(() => encodeInput({ ...ok, ...patch }), RangeError, name);
    }
    assert.doesNotThrow(() => encodeInput({ ...ok, moveX: 1.0005 })); // within the server's 1.001
  });

  test('ping and leave', () => {
    assert.deepEqual(decode(encodePing(1234.5678)), [5, 1234.5678]);
    assert.deepEqual(decode(encodePing(0)), [5, 0]);
    assert.throws(() => encodePing(NaN), RangeError);
    assert.deepEqual(encodeLeave(), bytes(0x91, 0x07));
  });

  test('each call returns its own bytes', () => {
    const a = encodePing(1.5);
    const b = encodePing(2.5);
    assert.deepEqual(decode(a), [5, 1.5]);
    assert.deepEqual(decode(b), [5, 2.5]);
  });
});

describe('decode', () => {
  test('welcome', () => {
    const m = decodeServerMessage(encode(welcome()));
    assert.deepEqual(m, {
      type: MsgType.WELCOME,
      playerId: 7,
      tickRate: 30,
      snapshotRate: 15,
      map: { name: 'Courtyard', tileSize: 40, cols: 3, rows: 2, tiles: '.#.S..', width: 1280, height: 800 },
      rules: { playerRadius: 16, bulletRadius: 4, maxHealth: 100, playerSpeed: 220 },
      roomId: 'k3x9m2qa',
      token: TOKEN,
    });
  });

  test('snapshot', () => {
    const m = decodeServerMessage(encode(snapshot()));
    assert.equal(m.type, MsgType.SNAPSHOT);
    assert.equal(m.tick, 1234);
    assert.equal(m.lastSeq, 56);
    assert.deepEqual(m.players, [{
      id: 3, x: 120.5, y: 64.25, aim: 1.5, health: 80, kills: 2, deaths: 1,
      flags: 1, alive: true, hue: 137, name: 'Alice',
    }]);
    assert.deepEqual(m.bullets, [{ id: 9, owner: 3, x: 10.5, y: 20.25, vx: 800, vy: -0.5 }]);
  });

  test('snapshot with float32 positions, as the Go server writes them', () => {
    // [4, 1, 0, [[1, f32 1.5, f32 -2.25, f32 0, 0, 0, 0, 0, 0, ""]], []]
    const f32 = (v) => { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, v); return [0xca, ...new Uint8Array(b.buffer)]; };
    const frame = bytes(0x95, 0x04, 0x01, 0x00, 0x91,
      0x9a, 0x01, ...f32(1.5), ...f32(-2.25), ...f32(0), 0x00, 0x00, 0x00, 0x00, 0x00, 0xa0,
      0x90);
    const m = decodeServerMessage(frame);
    assert.deepEqual([m.players[0].x, m.players[0].y, m.players[0].alive], [1.5, -2.25, false]);
    assert.deepEqual(m.bullets, []);
  });

  test('accepts an ArrayBuffer, as a WebSocket delivers it', () => {
    const b = encode([6, 99.5, 300]);
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    assert.deepEqual(decodeServerMessage(ab), { type: MsgType.PONG, clientTime: 99.5, serverTick: 300 });
  });

  test('pong and leave', () => {
    assert.deepEqual(decodeServerMessage(encode([6, 12.25, 77])), { type: MsgType.PONG, clientTime: 12.25, serverTick: 77 });
    assert.deepEqual(decodeServerMessage(encode([7, 1001, 'server shutting down'])),
      { type: MsgType.LEAVE, code: 1001, reason: 'server shutting down' });
  });

  // Each case is a message that breaks PROTOCOL.md in one way, and the reason it must give.
  const malformed = {
    'not msgpack': [bytes(0xc1), /undecodable/],
    'truncated': [encode(snapshot()).slice(0, 20), /undecodable/],
    'trailing bytes': [bytes(...encode([6, 1, 2]), 0x00), /undecodable.*Extra/],
    'not an array': [encode({ type: 6 }), /not a non-empty array/],
    'empty array': [encode([]), /not a non-empty array/],
    'type not an integer': [encode(['6', 1, 2]), /message type: want an integer/],
    'type is a float': [encode([6.5, 1, 2]), /message type: want an integer/],
    'unknown type': [encode([42, 1]), /unknown message type 42/],
    'client-only type': [encode([1, 'Mallory']), /sent by clients/],
    'pong arity': [encode([6, 1]), /pong: 2 elements, want 3/],
    'pong extra field': [encode([6, 1, 2, 3]), /pong: 4 elements, want 3/],
    'pong time is a string': [encode([6, '1', 2]), /pong clientTime: want a number/],
    'pong tick negative': [encode([6, 1, -2]), /pong serverTick: out of range/],
    'pong time nil': [encode([6, null, 2]), /pong clientTime: want a number/],
    'leave reason not a string': [encode([7, 1001, 5]), /leave reason: want a string/],
    'leave code fractional': [encode([7, 1001.5, 'x']), /leave code: want an integer/],
    'welcome arity': [encode(welcome().slice(0, 5)), /welcome: 5 elements, want 8/],
    'welcome tick rate out of range': [encode(Object.assign(welcome(), { 2: 500 })), /tickRate: 500 not in 10\.\.128/],
    'welcome snapshot rate does not divide': [encode(Object.assign(welcome(), { 3: 7 })), /snapshotRate: 7 does not divide/],
    'welcome map arity': [encode(Object.assign(welcome(), { 4: MAP.slice(0, 6) })), /welcome map: 6 elements, want 7/],
    'welcome tiles length': [encode(Object.assign(welcome(), { 4: Object.assign(MAP.slice(), { 4: '.#.' }) })), /map tiles: 3 characters, want cols\*rows = 6/],
    'welcome tile size zero': [encode(Object.assign(welcome(), { 4: Object.assign(MAP.slice(), { 1: 0 }) })), /map tileSize: must be positive/],
    'welcome map name binary': [encode(Object.assign(welcome(), { 4: Object.assign(MAP.slice(), { 0: new Uint8Array([65]) }) })), /map name: want a string/],
    'welcome token not a string': [encode(Object.assign(welcome(), { 7: 42 })), /welcome token: want a string/],
    'welcome rules arity': [encode(Object.assign(welcome(), { 5: [16, 4, 100] })), /welcome rules: 3 elements, want 4/],
    'snapshot arity': [encode([4, 1, 0, []]), /snapshot: 4 elements, want 5/],
    'snapshot tick above uint32': [encode([4, 2 ** 32, 0, [], []]), /snapshot tick: out of range/],
    'snapshot players not an array': [encode([4, 1, 0, {}, []]), /snapshot players: not an array/],
    'player arity': [encode([4, 1, 0, [player().slice(0, 9)], []]), /snapshot player 0: 9 elements, want 10/],
    'player x is a string': [encode([4, 1, 0, [Object.assign(player(), { 1: '120' })], []]), /player 0 x: want a number/],
    'player x is nil': [encode([4, 1, 0, [Object.assign(player(), { 1: null })], []]), /player 0 x: want a number/],
    'player health fractional': [encode([4, 1, 0, [Object.assign(player(), { 4: 99.5 })], []]), /player 0 health: want an integer/],
    'player hue out of range': [encode([4, 1, 0, [Object.assign(player(), { 8: 360 })], []]), /player 0 hue: out of range/],
    'player name not a string': [encode([4, 1, 0, [Object.assign(player(), { 9: 7 })], []]), /player 0 name: want a string/],
    'bullet arity': [encode([4, 1, 0, [], [bullet().slice(0, 5)]]), /snapshot bullet 0: 5 elements, want 6/],
    'bullet velocity not a number': [encode([4, 1, 0, [], [Object.assign(bullet(), { 4: true })]]), /bullet 0 vx: want a number/],
    'NaN float': [encode([6, NaN, 2]), /pong clientTime: not finite/],
    'infinite float': [encode([4, 1, 0, [Object.assign(player(), { 2: Infinity })], []]), /player 0 y: not finite/],
  };
  for (const [name, [frame, reason]] of Object.entries(malformed)) {
    test(`rejects: ${name}`, () => {
      assert.throws(() => decodeServerMessage(frame), (err) => {
        assert.ok(err instanceof ProtocolError, `${err} is not a ProtocolError`);
        assert.match(err.message, reason);
        return true;
      });
    });
  }
});

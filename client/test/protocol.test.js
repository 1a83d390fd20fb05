import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encode, decode } from '@msgpack/msgpack';
import {
  PROTOCOL, READ_LIMIT, MAX_NAME_LEN, MsgType, Buttons, CLOSE_CODES, closeInfo, reconnectAdvice,
  encodeJoin, encodeInput, encodePing, encodeWatch, encodeLeave, decodeServerMessage, ProtocolError,
  MIN_WATCH_RADIUS, MAX_WATCH_RADIUS,
} from '../src/protocol.js';

// Hand-made frames: fixarray header, then values, for checks that do not trust any encoder.
const bytes = (...b) => new Uint8Array(b);

const MAP = ['Courtyard', 40, 3, 2, '.#.S..', 1280, 800];
const RULES = [16, 4, 100, 220, 800];
const TOKEN = '6f1c2d4e-8a9b-4c3d-9e1f-0a1b2c3d4e5f';
const welcome = () => [2, 7, 30, 15, MAP.slice(), RULES.slice(), 'k3x9m2qa', TOKEN];
// A full protocol 4 snapshot: no baseline players, player 3 entering (gap, quantized x, y, vx,
// vy, aim, flags, health, kills, deaths, hue, name), bullet 9 entering (gap, owner, x, y,
// dir), nothing removed, and a checksum (not checked while decoding: the Applier checks it).
const player = () => [3, 482, 257, 29, -29, 61, 1, 80, 2, 1, 137, 'Alice'];
const bullet = () => [9, 3, 42, 81, 49152];
const snapshot = () => [4, 1234, 56, 0, [], player(), bullet(), [], 4321];
const scores = () => [8, 12, [[3, 'Alice', 137, 5, 1], [7, 'Bob', 20, 2, 4]]];

// The Go definitions this module mirrors, read from the source so that the two cannot drift.
const goSource = (file) => readFileSync(new URL(`../../netcode/${file}`, import.meta.url), 'utf8');

describe('constants', () => {
  test('mirror netcode/protocol.go and close.go', () => {
    assert.equal(PROTOCOL, 'tickwire.v4');
    assert.deepEqual({ ...MsgType }, { JOIN: 1, WELCOME: 2, INPUT: 3, SNAPSHOT: 4, PING: 5, PONG: 6, LEAVE: 7, SCORES: 8, WATCH: 9 });
    assert.equal(Buttons.FIRE, 1);
    assert.deepEqual(Object.keys(CLOSE_CODES).map(Number),
      [1000, 1001, 1003, 1005, 1006, 1007, 1008, 1009, 1011, 1013, 4000, 4001, 4002, 4003, 4400]);
  });

  test('are the ones the Go source defines', () => {
    const protocolGo = goSource('protocol.go');
    assert.equal(protocolGo.match(/const Subprotocol = "([^"]+)"/)?.[1], PROTOCOL);
    assert.equal(Number(protocolGo.match(/const ReadLimit = (\d+)/)?.[1]), READ_LIMIT);
    assert.equal(Number(protocolGo.match(/const MaxNameLen = (\d+)/)?.[1]), MAX_NAME_LEN);
    assert.equal(Number(protocolGo.match(/MinWatchRadius = (\d+)/)?.[1]), MIN_WATCH_RADIUS);
    assert.equal(Number(protocolGo.match(/MaxWatchRadius = (\d+)/)?.[1]), MAX_WATCH_RADIUS);
    const goTypes = Object.fromEntries([...protocolGo.matchAll(/^\s*Msg(\w+)\s+MsgType = (\d+)/gm)]
      .map(([, name, n]) => [name.toUpperCase(), Number(n)]));
    assert.ok(Object.keys(goTypes).length >= 9, `message types found in protocol.go: ${JSON.stringify(goTypes)}`);
    assert.deepEqual({ ...MsgType }, goTypes);
    // The codes the server (and, for 4400, a client) sends; 1005 and 1006 are the browser's own.
    const goCodes = [...goSource('close.go').matchAll(/^\s*Close\w+\s+CloseCode = (\d+)/gm)].map(([, n]) => Number(n));
    assert.ok(goCodes.length >= 13, `close codes found in close.go: ${goCodes}`);
    const ours = Object.keys(CLOSE_CODES).map(Number).filter((c) => c !== 1005 && c !== 1006);
    assert.deepEqual(ours.sort((a, b) => a - b), goCodes.sort((a, b) => a - b));
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
    const m = { seq: 42, ack: 1000, moveX: 0.6, moveY: -0.8, aim: -2.5, buttons: Buttons.FIRE, viewTick: 996 };
    assert.deepEqual(decode(encodeInput(m)), [3, 42, 1000, 0.6, -0.8, -2.5, 1, 996]);
    const still = { seq: 4294967295, ack: 0, moveX: 0, moveY: 0, aim: 0, buttons: 0 };
    assert.deepEqual(decode(encodeInput(still)), [3, 4294967295, 0, 0, 0, 0, 0, 0]);
    const diag = { seq: 1, ack: 0, moveX: Math.SQRT1_2, moveY: Math.SQRT1_2, aim: Math.PI, buttons: 0 };
    assert.deepEqual(decode(encodeInput(diag)), [3, 1, 0, Math.SQRT1_2, Math.SQRT1_2, Math.PI, 0, 0]);
    assert.throws(() => encodeInput({ ...m, viewTick: -1 }), RangeError);
  });

  test('input stays within the server read limit', () => {
    const m = { seq: 4294967295, ack: 4294967295, moveX: -0.123456789, moveY: 0.987654321, aim: -3.14159, buttons: 1, viewTick: 4294967295 };
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

  test('watch: where a spectator looks, within the radii the server allows', () => {
    assert.deepEqual(decode(encodeWatch(640, 400, 763)), [9, 640, 400, 763]);
    assert.deepEqual(decode(encodeWatch(-5.5, 1e6, MIN_WATCH_RADIUS)), [9, -5.5, 1e6, 100]); // the server clamps x, y
    assert.deepEqual(decode(encodeWatch(0, 0, MAX_WATCH_RADIUS)), [9, 0, 0, 4000]);
    for (const [x, y, r] of [[0, 0, 99.9], [0, 0, 4000.5], [NaN, 0, 500], [0, Infinity, 500], [0, 0, NaN], ['1', 0, 500]]) {
      assert.throws(() => encodeWatch(x, y, r), RangeError, `${x}, ${y}, ${r}`);
    }
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
      rules: { playerRadius: 16, bulletRadius: 4, maxHealth: 100, playerSpeed: 220, bulletSpeed: 800 },
      roomId: 'k3x9m2qa',
      token: TOKEN,
    });
  });

  test('snapshot: a protocol 4 delta, quantized, for the Applier', () => {
    const m = decodeServerMessage(encode(snapshot()));
    assert.deepEqual(m, {
      type: MsgType.SNAPSHOT,
      tick: 1234,
      lastSeq: 56,
      baseTick: 0,
      players: [],
      entering: [{
        id: 3, x: 482, y: 257, vx: 29, vy: -29, aim: 61, flags: 1, health: 80, kills: 2, deaths: 1, hue: 137, name: 'Alice',
      }],
      bullets: [{ id: 9, owner: 3, x: 42, y: 81, dir: 49152, tick: 1234 }],
      removed: [],
      checksum: 4321,
    });
  });

  test('snapshot: a delta entry carries only what changed', () => {
    // The first player still in view: x 4 off the prediction, health 60; the next two as
    // predicted; the next: aim turned 3 steps back, now moving 29 a tick right; the next: a
    // small turn alone, 3 steps, in one byte. Bullet 9 and player 8 removed.
    const m = decodeServerMessage(encode([4, 1240, 60, 1234, [1 | 32, 4, 60, 0, 2, 4 | 8, -3, 29, 0, -13], [], [], [8, 1], 7]));
    assert.deepEqual(m.players, [
      { mask: 33, x: 4, health: 60 }, { run: 2 }, { mask: 12, aim: -3, vx: 29, vy: 0 }, { mask: 4, aim: 3 },
    ]);
    assert.deepEqual(m.removed, [8, 9]);
    assert.equal(m.baseTick, 1234);
  });

  test('accepts an ArrayBuffer, as a WebSocket delivers it', () => {
    const b = encode([6, 99.5, 300, 12.5]);
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    assert.deepEqual(decodeServerMessage(ab), { type: MsgType.PONG, clientTime: 99.5, serverTick: 300, serverRTT: 12.5 });
  });

  test('pong, leave and scores', () => {
    assert.deepEqual(decodeServerMessage(encode([6, 12.25, 77, 0])),
      { type: MsgType.PONG, clientTime: 12.25, serverTick: 77, serverRTT: 0 });
    assert.deepEqual(decodeServerMessage(encode([7, 1001, 'server shutting down'])),
      { type: MsgType.LEAVE, code: 1001, reason: 'server shutting down' });
    assert.deepEqual(decodeServerMessage(encode(scores())), {
      type: MsgType.SCORES,
      players: 12,
      top: [
        { id: 3, name: 'Alice', hue: 137, kills: 5, deaths: 1 },
        { id: 7, name: 'Bob', hue: 20, kills: 2, deaths: 4 },
      ],
    });
    assert.deepEqual(decodeServerMessage(encode([8, 0, []])), { type: MsgType.SCORES, players: 0, top: [] });
  });

  // Each case is a message that breaks PROTOCOL.md in one way, and the reason it must give.
  const malformed = {
    'not msgpack': [bytes(0xc1), /undecodable/],
    'truncated': [encode(snapshot()).slice(0, 20), /undecodable/],
    'trailing bytes': [bytes(...encode([6, 1, 2, 0]), 0x00), /undecodable.*Extra/],
    'not an array': [encode({ type: 6 }), /not a non-empty array/],
    'empty array': [encode([]), /not a non-empty array/],
    'type not an integer': [encode(['6', 1, 2]), /message type: want an integer/],
    'type is a float': [encode([6.5, 1, 2]), /message type: want an integer/],
    'unknown type': [encode([42, 1]), /unknown message type 42/],
    'client-only type': [encode([1, 'Mallory']), /sent by clients/],
    'pong arity': [encode([6, 1, 2]), /pong: 3 elements, want 4/],
    'pong extra field': [encode([6, 1, 2, 3, 4]), /pong: 5 elements, want 4/],
    'pong time is a string': [encode([6, '1', 2, 0]), /pong clientTime: want a number/],
    'pong tick negative': [encode([6, 1, -2, 0]), /pong serverTick: out of range/],
    'pong time nil': [encode([6, null, 2, 0]), /pong clientTime: want a number/],
    'pong server RTT not a number': [encode([6, 1, 2, 'x']), /pong serverRTT: want a number/],
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
    'welcome rules arity': [encode(Object.assign(welcome(), { 5: [16, 4, 100, 220] })), /welcome rules: 4 elements, want 5/],
    'a protocol 1 snapshot': [encode([4, 1, 0, [], []]), /snapshot: 5 elements, want 9/],
    'a protocol 3 snapshot': [encode([4, 1, 0, 0, [], [], [], 0]), /snapshot: 8 elements, want 9/],
    'snapshot tick above uint32': [encode([4, 2 ** 32, 0, 0, [], [], [], [], 0]), /snapshot: delta: tick: out of range/],
    'snapshot players not an array': [encode([4, 1, 0, 0, {}, [], [], [], 0]), /snapshot: delta: snapshot: entries must be arrays/],
    'entering player truncated': [encode([4, 1, 0, 0, [], player().slice(0, 11), [], [], 0]), /entering: not a multiple of 12/],
    'player x is a float': [encode([4, 1, 0, 0, [], Object.assign(player(), { 1: 120.5 }), [], [], 0]), /x: want an integer/],
    'player x is nil': [encode([4, 1, 0, 0, [], Object.assign(player(), { 1: null }), [], [], 0]), /x: want an integer/],
    'player hue out of range': [encode([4, 1, 0, 0, [], Object.assign(player(), { 10: 360 }), [], [], 0]), /hue: out of range/],
    'player name not a string': [encode([4, 1, 0, 0, [], Object.assign(player(), { 11: 7 }), [], [], 0]), /name: want a string/],
    'player entry truncated': [encode([4, 1, 0, 0, [1 | 32, 4], [], [], [], 0]), /player entry 0: health missing/],
    'player run of zero': [encode([4, 1, 0, 0, [0, 0], [], [], [], 0]), /player entry 0: a run of 0/],
    'player turn of zero': [encode([4, 1, 0, 0, [-16], [], [], [], 0]), /player entry 0: -16, a turn of 0/],
    'player entry below the turns': [encode([4, 1, 0, 0, [-33], [], [], [], 0]), /player entry: out of range/],
    'player mask of 128': [encode([4, 1, 0, 0, [128], [], [], [], 0]), /player entry: out of range/],
    'bullets not in fives': [encode([4, 1, 0, 0, [], [], bullet().slice(0, 4), [], 0]), /snapshot: delta/],
    'bullet dir out of range': [encode([4, 1, 0, 0, [], [], Object.assign(bullet(), { 4: 65536 }), [], 0]), /snapshot: delta/],
    'checksum above 16 bits': [encode([4, 1, 0, 0, [], [], [], [], 70000]), /checksum: out of range/],
    'scores arity': [encode([8, 1]), /scores: 2 elements, want 3/],
    'scores entry arity': [encode([8, 1, [[3, 'Alice', 137, 5]]]), /scores entry 0: 4 elements, want 5/],
    'scores hue out of range': [encode([8, 1, [[3, 'Alice', 360, 5, 1]]]), /scores entry 0 hue: out of range/],
    'NaN float': [encode([6, NaN, 2, 0]), /pong clientTime: not finite/],
    'infinite float': [encode([6, 1, 2, Infinity]), /pong serverRTT: not finite/],
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

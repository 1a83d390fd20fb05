// The Tickwire wire protocol, version 4: the browser's mirror of netcode/protocol.go,
// netcode/close.go and netcode/codec.go. netcode/PROTOCOL.md is the contract; change the
// three together.
//
// Pure: no DOM, so Node tests import it as it is.

import { Encoder, Decoder } from '@msgpack/msgpack';
import { decodeDelta, DeltaError } from './delta.js';

// One encoder and one decoder for the page, reused: the functions that make a new one per
// call allocate a 2 kB buffer each time. encode() returns a copy the caller owns.
const encoder = new Encoder();
const decoder = new Decoder();
const encode = (v) => encoder.encode(v);
const decode = (bytes) => decoder.decode(bytes);

/**
 * The WebSocket subprotocol the client offers, the only one: its number is the protocol
 * version. Snapshots are deltas over what the player can see (delta.js).
 */
export const PROTOCOL = 'tickwire.v4';

/** The largest frame the server reads from a client, in bytes. */
export const READ_LIMIT = 1024;

/** The longest name the server keeps, in characters. */
export const MAX_NAME_LEN = 16;

/** Message types: the first element of every message array. */
export const MsgType = Object.freeze({
  JOIN: 1, // client → server
  WELCOME: 2, // server → client
  INPUT: 3, // client → server
  SNAPSHOT: 4, // server → client
  PING: 5, // client → server
  PONG: 6, // server → client
  LEAVE: 7, // both ways
  SCORES: 8, // server → client: the room's leaders, once a second
  WATCH: 9, // client → server, spectators only: where they look
});

/** The radii a spectator may watch, in world units; outside them the server closes with 1007. */
export const MIN_WATCH_RADIUS = 100;
export const MAX_WATCH_RADIUS = 4000;

/** Bit flags of an input's buttons. Any other bit closes the connection with 1007. */
export const Buttons = Object.freeze({ FIRE: 1 });

/** Bit flags of a player in a snapshot. */
export const PlayerFlags = Object.freeze({ ALIVE: 1 });

/**
 * Close codes and what they tell the player. `reconnect` is the protocol's advice:
 * 'no', 'later', 'yes' or 'backoff' (yes, waiting longer each time).
 * 1005 and 1006 are never sent by the server: the browser reports them when a connection
 * ends without a close frame.
 */
export const CLOSE_CODES = Object.freeze({
  1000: { meaning: 'normal leave', reconnect: 'no' },
  1001: { meaning: 'server shutting down', reconnect: 'later' },
  1003: { meaning: 'text frame or other unsupported data', reconnect: 'no' },
  1005: { meaning: 'closed without a status code', reconnect: 'yes' },
  1006: { meaning: 'connection lost or refused', reconnect: 'backoff' },
  1007: { meaning: 'payload that does not decode, unexpected message, or values out of range', reconnect: 'no' },
  1008: { meaning: 'policy: rate limit exceeded', reconnect: 'no' },
  1009: { meaning: 'frame larger than the read limit (1024 bytes)', reconnect: 'no' },
  1011: { meaning: 'unexpected server error', reconnect: 'backoff' },
  1013: { meaning: 'try again later: room full, server overloaded', reconnect: 'backoff' },
  4000: { meaning: 'kicked: fell behind (could not keep up with snapshots)', reconnect: 'yes' },
  4001: { meaning: 'no join message in time', reconnect: 'yes' },
  4002: { meaning: 'no such room: it does not exist or has closed', reconnect: 'no' },
  4003: { meaning: 'replaced: this player connected again elsewhere', reconnect: 'no' },
  4400: { meaning: 'bad server message (the client closed)', reconnect: 'no' },
});

/**
 * The close code a client sends when a server message does not decode, with its reason
 * (PROTOCOL.md, "Reconnecting"). A browser may only send 1000 or 3000-4999.
 */
export const CLOSE_BAD_SERVER_MESSAGE = 4400;
export const BAD_SERVER_MESSAGE_REASON = 'bad server message';

/** closeInfo describes any close code, known or not. */
export function closeInfo(code) {
  const known = CLOSE_CODES[code];
  if (known) return { code, ...known };
  if (code >= 4000 && code <= 4999) return { code, meaning: 'application close', reconnect: 'no' };
  return { code, meaning: 'unknown close code', reconnect: 'no' };
}

/** reconnectAdvice turns a close code into a sentence for the player. */
export function reconnectAdvice(code) {
  switch (closeInfo(code).reconnect) {
    case 'later': return 'You can reconnect later.';
    case 'yes': return 'You can reconnect now.';
    case 'backoff': return 'Try again in a little while.';
    default: return 'Reconnecting will not help.';
  }
}

// ---- Encoding (client → server) ----
//
// @msgpack/msgpack writes whole numbers as integers and other numbers as float64; the server
// accepts any integer or float width for float fields (PROTOCOL.md, "Messages").

const MAX_UINT32 = 0xffffffff;

function checkUint32(what, n) {
  if (!Number.isInteger(n) || n < 0 || n > MAX_UINT32) {
    throw new RangeError(`protocol: ${what} must be a uint32, got ${n}`);
  }
}

function checkFinite(what, n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new RangeError(`protocol: ${what} must be a finite number, got ${n}`);
  }
}

/**
 * encodeJoin: [1, name] or, to take a player over again after a dropped connection,
 * [1, name, token] with the token of an earlier welcome. The server cleans and cuts the name;
 * '' lets it pick one.
 */
export function encodeJoin(name, token = '') {
  if (typeof name !== 'string') throw new TypeError('protocol: join name must be a string');
  if (typeof token !== 'string') throw new TypeError('protocol: join token must be a string');
  return encode(token === '' ? [MsgType.JOIN, name] : [MsgType.JOIN, name, token]);
}

/**
 * encodeInput: [3, seq, ack, moveX, moveY, aim, buttons]. It refuses values the server would
 * close the connection for, so a bug shows here and not as a 1007.
 */
export function encodeInput({ seq, ack, moveX, moveY, aim, buttons, viewTick = 0 }) {
  checkUint32('input seq', seq);
  if (seq === 0) throw new RangeError('protocol: input seq starts at 1');
  checkUint32('input ack', ack);
  checkFinite('input moveX', moveX);
  checkFinite('input moveY', moveY);
  checkFinite('input aim', aim);
  if (Math.hypot(moveX, moveY) > 1.001) throw new RangeError('protocol: input move longer than 1');
  if (!Number.isInteger(buttons) || buttons < 0 || (buttons & ~Buttons.FIRE) !== 0) {
    throw new RangeError(`protocol: input buttons has unknown bits: ${buttons}`);
  }
  checkUint32('input viewTick', viewTick);
  return encode([MsgType.INPUT, seq, ack, moveX, moveY, aim, buttons, viewTick]);
}

/** encodePing: [5, clientTime]. The server echoes clientTime in a pong. */
export function encodePing(clientTime) {
  checkFinite('ping time', clientTime);
  return encode([MsgType.PING, clientTime]);
}

/**
 * encodeWatch: [9, x, y, radius], a spectator's area of interest: the circle of radius world
 * units around (x, y), which the server keeps inside the arena.
 */
export function encodeWatch(x, y, radius) {
  checkFinite('watch x', x);
  checkFinite('watch y', y);
  checkFinite('watch radius', radius);
  if (radius < MIN_WATCH_RADIUS || radius > MAX_WATCH_RADIUS) {
    throw new RangeError(`protocol: watch radius must be ${MIN_WATCH_RADIUS} to ${MAX_WATCH_RADIUS}, got ${radius}`);
  }
  return encode([MsgType.WATCH, x, y, radius]);
}

/** encodeLeave: [7]. The server answers by closing with 1000. */
export function encodeLeave() {
  return encode([MsgType.LEAVE]);
}

// ---- Decoding (server → client) ----
//
// Strict, like the server's decoder: wrong types, wrong arity, nil, out-of-range values and
// trailing bytes all throw a ProtocolError.

/** ProtocolError is a server message that does not follow PROTOCOL.md. */
export class ProtocolError extends Error {
  constructor(message) {
    super(`protocol: ${message}`);
    this.name = 'ProtocolError';
  }
}

function fail(message) {
  throw new ProtocolError(message);
}

function arrayOf(what, v, arity) {
  if (!Array.isArray(v)) fail(`${what}: not an array`);
  if (arity !== undefined && v.length !== arity) {
    fail(`${what}: ${v.length} elements, want ${arity}`);
  }
  return v;
}

function uint(what, v, max = MAX_UINT32) {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(`${what}: want an integer`);
  if (v < 0 || v > max) fail(`${what}: out of range`);
  return v;
}

function num(what, v) {
  if (typeof v !== 'number') fail(`${what}: want a number`);
  if (!Number.isFinite(v)) fail(`${what}: not finite`);
  return v;
}

function positive(what, v) {
  if (num(what, v) <= 0) fail(`${what}: must be positive`);
  return v;
}

function str(what, v) {
  if (typeof v !== 'string') fail(`${what}: want a string`);
  return v;
}

function decodeMap(v) {
  const a = arrayOf('welcome map', v, 7);
  const map = {
    name: str('map name', a[0]),
    tileSize: positive('map tileSize', a[1]),
    cols: uint('map cols', a[2]),
    rows: uint('map rows', a[3]),
    tiles: str('map tiles', a[4]),
    width: positive('map width', a[5]),
    height: positive('map height', a[6]),
  };
  if (map.cols === 0 || map.rows === 0) fail('map: empty block');
  // Characters, not UTF-16 units: the Go side counts runes.
  if (Array.from(map.tiles).length !== map.cols * map.rows) {
    fail(`map tiles: ${Array.from(map.tiles).length} characters, want cols*rows = ${map.cols * map.rows}`);
  }
  return map;
}

function decodeRules(v) {
  const a = arrayOf('welcome rules', v, 5);
  return {
    playerRadius: positive('rules playerRadius', a[0]),
    bulletRadius: positive('rules bulletRadius', a[1]),
    maxHealth: positive('rules maxHealth', a[2]),
    playerSpeed: num('rules playerSpeed', a[3]),
    bulletSpeed: num('rules bulletSpeed', a[4]),
  };
}

function decodeWelcome(m) {
  arrayOf('welcome', m, 8);
  const w = {
    type: MsgType.WELCOME,
    playerId: uint('welcome playerId', m[1]),
    tickRate: uint('welcome tickRate', m[2]),
    snapshotRate: uint('welcome snapshotRate', m[3]),
    map: decodeMap(m[4]),
    rules: decodeRules(m[5]),
    roomId: str('welcome roomId', m[6]),
    token: str('welcome token', m[7]),
  };
  if (w.tickRate < 10 || w.tickRate > 128) fail(`welcome tickRate: ${w.tickRate} not in 10..128`);
  if (w.snapshotRate < 1 || w.tickRate % w.snapshotRate !== 0) {
    fail(`welcome snapshotRate: ${w.snapshotRate} does not divide the tick rate ${w.tickRate}`);
  }
  return w;
}

/**
 * decodeSnapshot reads a protocol 4 snapshot, [4, tick, lastSeq, baseTick, players, entering,
 * bullets, removed, checksum], into delta.js's form: quantized, and still to be applied to its
 * baseline.
 */
function decodeSnapshot(m) {
  arrayOf('snapshot', m, 9);
  try {
    return { type: MsgType.SNAPSHOT, ...decodeDelta(m) };
  } catch (err) {
    if (err instanceof DeltaError) fail(`snapshot: ${err.message}`);
    throw err;
  }
}

function decodeScoreEntry(v, i) {
  const what = `scores entry ${i}`;
  const a = arrayOf(what, v, 5);
  return {
    id: uint(`${what} id`, a[0]),
    name: str(`${what} name`, a[1]),
    hue: uint(`${what} hue`, a[2], 359),
    kills: uint(`${what} kills`, a[3]),
    deaths: uint(`${what} deaths`, a[4]),
  };
}

/** decodeScores: [8, players, top], top being [id, name, hue, kills, deaths], leaders first. */
function decodeScores(m) {
  arrayOf('scores', m, 3);
  return {
    type: MsgType.SCORES,
    players: uint('scores players', m[1]),
    top: arrayOf('scores top', m[2]).map(decodeScoreEntry),
  };
}

function decodePong(m) {
  arrayOf('pong', m, 4);
  return {
    type: MsgType.PONG,
    clientTime: num('pong clientTime', m[1]),
    serverTick: uint('pong serverTick', m[2]),
    serverRTT: num('pong serverRTT', m[3]), // ms, the server's smoothed measure; 0 before its first
  };
}

function decodeServerLeave(m) {
  arrayOf('leave', m, 3);
  return {
    type: MsgType.LEAVE,
    code: uint('leave code', m[1], 4999),
    reason: str('leave reason', m[2]),
  };
}

/**
 * decodeServerMessage decodes one server frame (ArrayBuffer or byte view) into a plain object
 * whose `type` is a MsgType: welcome, snapshot (a delta, to apply with delta.js's Applier),
 * pong, leave or scores. Anything else throws a
 * ProtocolError.
 */
export function decodeServerMessage(bytes) {
  let m;
  try {
    m = decode(bytes); // throws on trailing bytes, too
  } catch (err) {
    fail(`undecodable msgpack: ${err.message}`);
  }
  if (!Array.isArray(m) || m.length < 1) fail('message: not a non-empty array');
  const type = uint('message type', m[0], 255);
  switch (type) {
    case MsgType.WELCOME: return decodeWelcome(m);
    case MsgType.SNAPSHOT: return decodeSnapshot(m);
    case MsgType.PONG: return decodePong(m);
    case MsgType.LEAVE: return decodeServerLeave(m);
    case MsgType.SCORES: return decodeScores(m);
    case MsgType.JOIN:
    case MsgType.INPUT:
    case MsgType.PING:
      return fail(`message type ${type} is sent by clients, not servers`);
    default:
      return fail(`unknown message type ${type}`);
  }
}

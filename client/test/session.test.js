// Session's render time: others are drawn on the server clock from the pongs once there is
// one, at (server time − one-way transit − interpolation delay), and on the snapshots' own
// arrival times before. No socket: a stub WebSocket, and messages handed to handle().

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '@msgpack/msgpack';
import { Session, WATCH_INTERVAL_MS } from '../src/session.js';
import { MsgType } from '../src/protocol.js';
import { INTERPOLATION_DELAY_MS, MAX_EXTRAPOLATION_MS } from '../src/interpolation.js';

class StubSocket {
  constructor() { this.sent = []; }
  addEventListener() {}
  send(data) { this.sent.push(data); }
  close() {}
}
const realWebSocket = globalThis.WebSocket;
globalThis.WebSocket = StubSocket;
after(() => { globalThis.WebSocket = realWebSocket; });

const TICK_RATE = 30;
const MS = 1000 / TICK_RATE;
const welcome = {
  type: MsgType.WELCOME, playerId: 1, tickRate: TICK_RATE, snapshotRate: TICK_RATE,
  map: { name: 'm', tileSize: 40, cols: 2, rows: 2, tiles: '....', width: 80, height: 80 },
  rules: { playerRadius: 16, bulletRadius: 4, maxHealth: 100, playerSpeed: 220 },
  roomId: 'r', token: 't',
};
const other = (tick) => ({ id: 2, x: 3 * tick, y: 0, aim: 0, alive: true, health: 100, name: 'b', hue: 1, kills: 0, deaths: 0, flags: 0 });

function session() {
  const s = new Session({ url: 'ws://x/ws', name: 'a', input: { move: () => ({ x: 0, y: 0 }), firing: () => false }, now: () => 0 });
  s.handle(welcome, 0);
  s.stop(); // no timers: the test drives time
  return s;
}

/** snapshots pushes ticks from..to into the buffer, arriving transit ms after their server time − offset. */
function snapshots(s, from, to, offset, transit) {
  for (let tick = from; tick <= to; tick++) {
    const at = tick * MS - offset + transit;
    s.buffer.push({ tick, players: [other(tick)], bullets: [] }, at);
    if (s.clock.ready) {
      s.clock.update(at);
      s.delay.observe(at - (s.clock.tickMs(tick) - s.clock.offsetMs + s.clock.transitMs), at);
    }
  }
}

test('before the first pong, others are drawn INTERPOLATION_DELAY_MS behind the arrivals', () => {
  const s = session();
  snapshots(s, 100, 120, 2000, 75); // tick t arrives at local t × MS − 2000 + 75
  assert.equal(s.renderServerMs(2000), null);
  const now = 110 * MS - 2000 + 75 + INTERPOLATION_DELAY_MS;
  const v = s.view(now);
  assert.ok(Math.abs(v.players[0].x - 3 * 110) < 1e-6, `x ${v.players[0].x}`);
});

test('after pongs: server time − transit − the adaptive delay, and no underruns on time', () => {
  const s = session();
  const offset = 2000; // server ms − local ms
  // Pongs: 75 ms each way; the server at tick floor((sent + 75 + offset) / MS).
  for (let sent = 0; sent < 4000; sent += 500) {
    s.handle({ type: MsgType.PONG, clientTime: sent, serverTick: Math.floor((sent + 75 + offset) / MS), serverRTT: 150 }, sent + 150);
  }
  assert.ok(Math.abs(s.clock.offsetMs - offset) <= MS / 2, `offset ${s.clock.offsetMs}`);
  assert.ok(Math.abs(s.clock.transitMs - 75) < 1e-9);
  snapshots(s, 150, 400, offset, 75);
  let underruns = 0;
  for (let now = 300 * MS - offset + 75; now < 400 * MS - offset + 75; now += 16) {
    const at = s.renderServerMs(now);
    const want = now + s.clock.offsetMs - 75 - s.delay.valueMs;
    assert.ok(Math.abs(at - want) < 1e-9);
    if (s.buffer.sampleServer(at).underrun) underruns++;
  }
  assert.equal(underruns, 0);
  // On-time snapshots: the delay settles at two snapshot intervals, plus what the tick
  // quantisation of the pongs leaves in the offset (at most half a tick).
  assert.ok(s.delay.valueMs >= 2 * MS && s.delay.valueMs <= 2.5 * MS + 1e-6, `delay ${s.delay.valueMs}`);
  const d = s.debug(0);
  assert.ok(Math.abs(d.clockOffsetMs - offset) <= MS / 2);
  assert.equal(d.interpolationDelayMs, s.delay.valueMs);
});

test('inputs carry the tick others are drawn at, never past the newest applied snapshot', () => {
  const s = session();
  assert.equal(s.viewTick(0), 0, 'no server clock yet: 0, and the server assumes');
  const offset = 2000;
  for (let sent = 0; sent < 4000; sent += 500) {
    s.handle({ type: MsgType.PONG, clientTime: sent, serverTick: Math.floor((sent + 75 + offset) / MS), serverRTT: 150 }, sent + 150);
  }
  snapshots(s, 150, 400, offset, 75);
  s.replica.ack = 399;
  const now = 380 * MS - offset + 75;
  const drawn = Math.floor(s.renderServerMs(now) / MS);
  assert.equal(s.viewTick(now), drawn);
  assert.ok(drawn < 380 && drawn > 370, `drawn at tick ${drawn}`);
  s.replica.ack = 360; // behind what the clock says: the server would refuse a tick it has not sent
  assert.equal(s.viewTick(now), 360);
});

test('frames drawn past the newest snapshot count as underruns; others move on briefly, then stand', () => {
  const s = session();
  const offset = 2000;
  for (let sent = 0; sent < 4000; sent += 500) {
    s.handle({ type: MsgType.PONG, clientTime: sent, serverTick: Math.floor((sent + 75 + offset) / MS), serverRTT: 150 }, sent + 150);
  }
  snapshots(s, 150, 400, offset, 75);
  const last = 400 * MS - offset + 75; // when the newest snapshot arrived
  for (let now = last - 50; now <= last; now += 10) s.view(now); // while snapshots were coming
  assert.deepEqual([s.frames, s.underruns], [6, 0]);
  // Then no more arrive: once the render time passes tick 400, every frame is an underrun.
  let x;
  for (let now = last + 16; now <= last + 1000; now += 16) x = s.view(now).players[0].x;
  assert.equal(s.frames, 6 + 62);
  assert.ok(s.underruns > 50 && s.underruns <= 62, `underruns ${s.underruns}`);
  assert.equal(s.debug(last + 1000).underruns, s.underruns);
  // Carried on at 3 units a tick (90 per second) for at most MAX_EXTRAPOLATION_MS, then stood.
  assert.ok(Math.abs(x - (3 * 400 + 90 * MAX_EXTRAPOLATION_MS / 1000)) < 1e-6, `x ${x}`);
});

/** spectator is a welcomed spectator's session whose sends the test reads, at the time it sets. */
function spectator(held) {
  let now = 0;
  const s = new Session({
    url: 'ws://x/ws?room=r&spectate=1', name: 'c', spectator: true, now: () => now,
    input: { move: () => held.move, firing: () => held.fire },
    aim: () => 1.5,
  });
  s.handle({ ...welcome, playerId: 0, token: '' }, 0);
  s.stop();
  s.conn.open = true; // the stub socket never opens by itself
  const sent = () => s.conn.ws.sent.map((b) => decode(b));
  return { s, sent, at: (t) => { now = t; } };
}

test("a spectator's inputs carry only its ack, whatever is held", () => {
  const { s, sent } = spectator({ move: { x: 1, y: 0 }, fire: true });
  s.replica.ack = 42;
  s.sendInput();
  s.sendInput();
  assert.deepEqual(sent(), [[MsgType.INPUT, 1, 42, 0, 0, 0, 0, 0], [MsgType.INPUT, 2, 42, 0, 0, 0, 0, 0]]);
  assert.equal(s.predictor.pending.length, 0, 'nothing to predict');
});

test("a spectator's watch goes with its inputs: when it changes, at most every WATCH_INTERVAL_MS", () => {
  const { s, sent, at } = spectator({ move: { x: 0, y: 0 }, fire: false });
  const watches = () => sent().filter((m) => m[0] === MsgType.WATCH);
  s.sendInput();
  assert.deepEqual(watches(), [], 'none before the page asks');
  s.watch(640.4, 399.6, 50); // whole units, and at least the server's least radius
  s.sendInput();
  assert.deepEqual(watches(), [[MsgType.WATCH, 640, 400, 100]]);
  s.watch(640.2, 400.3, 99); // the same in whole units: not sent again
  at(2 * WATCH_INTERVAL_MS);
  s.sendInput();
  assert.equal(watches().length, 1);
  s.watch(700, 400, 1e6); // at most the greatest radius, sent at once: the last was long ago
  s.sendInput();
  assert.equal(watches().length, 2);
  s.watch(720, 400, 1e6); // not before the interval is up
  at(2 * WATCH_INTERVAL_MS + WATCH_INTERVAL_MS / 2);
  s.sendInput();
  assert.equal(watches().length, 2);
  s.watch(740, 400, 1e6); // the newest wins
  at(3 * WATCH_INTERVAL_MS);
  s.sendInput();
  assert.deepEqual(watches(), [[MsgType.WATCH, 640, 400, 100], [MsgType.WATCH, 700, 400, 4000], [MsgType.WATCH, 740, 400, 4000]]);
  assert.deepEqual(s.sentWatch, { x: 740, y: 400, radius: 4000 });
  // Every tick an input, whatever the watch does.
  assert.equal(sent().filter((m) => m[0] === MsgType.INPUT).length, 6);
});

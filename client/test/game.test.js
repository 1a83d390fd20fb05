import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Game, GameState } from '../src/game.js';
import { RetrySchedule } from '../src/reconnect.js';
import { quickPlay, roomTarget, watchRoom, newRoom } from '../src/address.js';

/** FakeSession: what Game needs of a Session; the test plays the server through it. */
class FakeSession {
  constructor({ target, name, token, onWelcome, onClose }) {
    Object.assign(this, { target, name, token, onWelcome, onClose });
    this.welcome = null;
    this.close = null;
    this.lastSnapshot = null;
    this.left = false;
  }

  welcomes(playerId, roomId = 'k3x9m2qa', token = `tok-${playerId}`) {
    this.welcome = { playerId, roomId, token };
    this.onWelcome(this);
  }

  snapshot(tick) { this.lastSnapshot = { tick, players: [], bullets: [] }; }

  closes(code, reason = '', error = null) {
    this.close = { code, reason, error };
    this.onClose(this);
  }

  leave() { this.left = true; }
}

/** harness: a Game with fake sessions, a fake clock and timers, and the events it emitted. */
function harness(target = quickPlay(), random = () => 1) {
  let now = 0;
  let timers = [];
  const sessions = [];
  const events = [];
  const game = new Game({
    name: 'Alice',
    target,
    openSession: (o) => { const s = new FakeSession(o); sessions.push(s); return s; },
    onChange: (g, what) => events.push(what),
    now: () => now,
    setTimer: (fn, ms) => { const t = { fn, at: now + ms }; timers.push(t); return t; },
    clearTimer: (t) => { timers = timers.filter((x) => x !== t); },
    schedule: new RetrySchedule({ random }),
  }).start();
  const advance = (ms) => {
    now += ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      timers = timers.filter((t) => t !== due);
      due.fn();
    }
  };
  return { game, sessions, events, advance, last: () => sessions[sessions.length - 1], pending: () => timers.length, now: () => now };
}

test('a dropped connection comes back to the same room with the token, and resumes', () => {
  const h = harness();
  const first = h.last();
  assert.deepEqual(first.target, quickPlay());
  assert.equal(first.token, '');
  first.welcomes(7, 'k3x9m2qa', 'secret');
  first.snapshot(100);
  assert.equal(h.game.state, GameState.PLAYING);
  assert.deepEqual(h.events, ['welcome']);

  first.closes(1006);
  assert.equal(h.game.state, GameState.RECONNECTING);
  assert.equal(h.game.attempt, 1);
  assert.equal(h.game.retryAt, 500);
  assert.equal(h.game.dropped.code, 1006);
  assert.equal(h.sessions.length, 1, 'no try before the backoff');
  assert.equal(h.game.shown, first, 'the last state stays on screen');

  h.advance(499);
  assert.equal(h.sessions.length, 1);
  h.advance(1);
  assert.equal(h.sessions.length, 2);
  const second = h.last();
  assert.deepEqual(second.target, roomTarget('k3x9m2qa'));
  assert.equal(second.token, 'secret');
  assert.equal(second.name, 'Alice');
  assert.equal(h.game.retryAt, null, 'a try is under way');

  second.welcomes(7, 'k3x9m2qa', 'secret');
  assert.equal(h.game.state, GameState.PLAYING);
  assert.equal(h.game.resumed, true);
  assert.equal(h.game.reconnects, 1);
  assert.equal(h.game.attempt, 0);
  assert.equal(h.game.dropped, null);
  assert.equal(h.game.shown, first, 'until the new connection has a snapshot');
  second.snapshot(130);
  assert.equal(h.game.shown, second);
  assert.deepEqual(h.events, ['welcome', 'retry', 'attempt', 'reconnect']);
});

test('after the grace period the welcome names a new player, and its token is kept', () => {
  const h = harness();
  h.last().welcomes(7, 'k3x9m2qa', 'old');
  h.last().closes(1001, 'server shutting down');
  h.advance(500);
  h.last().welcomes(9, 'k3x9m2qa', 'new');
  assert.equal(h.game.resumed, false);
  assert.equal(h.game.playerId, 9);
  assert.equal(h.game.token, 'new');
  h.last().closes(1006);
  h.advance(500);
  assert.equal(h.last().token, 'new');
});

test('closes that say not to retry end the game at once', () => {
  for (const code of [1000, 1003, 1007, 1008, 1009, 4002, 4003]) {
    const h = harness();
    h.last().welcomes(7);
    h.last().closes(code, 'why');
    assert.equal(h.game.state, GameState.ENDED, `${code}`);
    assert.deepEqual(h.events, ['welcome', 'end'], `${code}`);
    assert.equal(h.game.end.code, code);
    assert.equal(h.game.end.gaveUp, false);
    assert.equal(h.pending(), 0);
    h.advance(120_000);
    assert.equal(h.sessions.length, 1, `${code}: no new connection`);
  }
});

test('retried codes schedule a try', () => {
  for (const code of [1001, 1005, 1006, 1011, 1013, 4000, 4001]) {
    const h = harness();
    h.last().welcomes(7);
    h.last().closes(code);
    assert.equal(h.game.state, GameState.RECONNECTING, `${code}`);
    h.advance(500);
    assert.equal(h.sessions.length, 2, `${code}`);
  }
});

test('a client that closed over a bad server message does not retry', () => {
  const h = harness();
  h.last().welcomes(7);
  h.last().closes(4400, 'bad server message', 'protocol: unknown message type 99');
  assert.equal(h.game.state, GameState.ENDED);
  assert.match(h.game.end.error, /unknown message type/);
});

test('tries back off, then give up; the first close is kept', () => {
  const h = harness();
  h.last().welcomes(7);
  h.last().closes(1001, 'server shutting down');
  const waits = [];
  while (h.game.state === GameState.RECONNECTING) {
    waits.push(h.game.retryAt - h.now());
    h.advance(h.game.retryAt - h.now());
    h.advance(20);
    h.last().closes(1006); // the server is not back
  }
  assert.deepEqual(waits.slice(0, 5), [500, 1000, 2000, 4000, 8000]);
  assert.equal(h.game.state, GameState.ENDED);
  assert.equal(h.game.end.gaveUp, true);
  assert.equal(h.game.end.tries, waits.length);
  assert.equal(h.game.end.code, 1006, 'the last try');
  assert.equal(h.game.end.dropped.code, 1001, 'the drop');
  assert.ok(h.now() <= 61_000, `gave up at ${h.now()} ms`);
  assert.equal(h.events.at(-1), 'end');
});

test('a room that closed while the player was away ends with 4002', () => {
  const h = harness(roomTarget('k3x9m2qa'));
  h.last().welcomes(7);
  h.last().closes(1006);
  h.advance(500);
  h.last().closes(4002, 'no such room');
  assert.equal(h.game.state, GameState.ENDED);
  assert.equal(h.game.end.code, 4002);
  assert.equal(h.game.end.dropped.code, 1006);
});

test('before the first welcome a try goes to the same target, without a token', () => {
  const h = harness(newRoom(true));
  h.last().closes(1006);
  assert.equal(h.game.state, GameState.RECONNECTING);
  assert.equal(h.game.playerId, null);
  h.advance(500);
  assert.deepEqual(h.last().target, newRoom(true));
  assert.equal(h.last().token, '');
  h.last().welcomes(3, 'newroom1');
  assert.deepEqual(h.events, ['retry', 'attempt', 'welcome'], 'the first welcome, not a reconnection');
  assert.equal(h.game.reconnects, 0);
});

test('stop cancels the scheduled try and leaves; late closes are ignored', () => {
  const h = harness();
  const first = h.last();
  first.welcomes(7);
  first.closes(1006);
  h.game.stop();
  assert.equal(h.pending(), 0);
  h.advance(10_000);
  assert.equal(h.sessions.length, 1);
  assert.equal(h.game.state, GameState.ENDED);

  const h2 = harness();
  h2.last().welcomes(7);
  h2.game.stop();
  assert.equal(h2.last().left, true, 'a connected session leaves');
  h2.last().closes(1000);
  assert.deepEqual(h2.events, ['welcome'], 'no end event after stop');
});

test('a close of a session that was replaced is ignored', () => {
  const h = harness();
  const first = h.last();
  first.welcomes(7);
  first.closes(1006);
  h.advance(500);
  h.last().welcomes(7);
  first.closes(4003, 'replaced by a new connection'); // the old one, late
  assert.equal(h.game.state, GameState.PLAYING);
});

test('a spectator who drops comes back to watch the same room', () => {
  const h = harness(watchRoom('k3x9m2qa'));
  assert.equal(h.game.spectating, true);
  assert.deepEqual(h.last().target, watchRoom('k3x9m2qa'));
  h.last().welcomes(0, 'k3x9m2qa', '');
  h.last().snapshot(10);
  h.last().closes(1006);
  h.advance(60_000);
  assert.deepEqual(h.last().target, watchRoom('k3x9m2qa'), 'watching again, not playing');
  h.last().welcomes(0, 'k3x9m2qa', '');
  assert.equal(h.game.state, GameState.PLAYING);
  assert.equal(h.game.playerId, 0);
  assert.deepEqual(h.events, ['welcome', 'retry', 'attempt', 'reconnect']);
});

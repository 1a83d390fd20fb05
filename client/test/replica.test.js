import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Replica } from '../src/replica.js';
import { checksum } from '../src/delta.js';

// Quantized: x, y in quarter units, vx, vy in quarter units a tick, aim in 256ths of a turn.
const alice = { id: 3, x: 400, y: 800, vx: 4, vy: 0, aim: 64, flags: 1, health: 100, kills: 0, deaths: 0, hue: 10, name: 'Alice' };
const bob = { id: 5, x: 1200, y: 800, vx: 0, vy: 0, aim: 0, flags: 0, health: 0, kills: 1, deaths: 2, hue: 200, name: 'Bob' };
const shot = { id: 9, owner: 3, x: 400, y: 400, dir: 0 };

function full(tick, lastSeq, players, bullets = []) {
  return {
    tick, lastSeq, baseTick: 0,
    players: [],
    entering: players,
    bullets: bullets.map((b) => ({ ...b, tick })),
    removed: [],
    checksum: checksum(players, bullets),
  };
}

test('a full snapshot becomes a state in world units, and its tick the ack', () => {
  const r = new Replica(30, 800);
  const s = r.receive(full(30, 4, [alice, bob], [shot]));
  assert.equal(r.ack, 30);
  assert.equal(s.lastSeq, 4);
  assert.deepEqual(s.players.map((p) => [p.id, p.x, p.y, p.aim, p.alive]), [[3, 100, 200, Math.PI / 2, true], [5, 300, 200, 0, false]]);
  assert.deepEqual(s.bullets, [{ id: 9, owner: 3, x: 100, y: 100, vx: 800, vy: 0 }]);
});

test('a delta applies to its baseline; players leave when removed', () => {
  const r = new Replica(30, 800);
  r.receive(full(30, 4, [alice, bob]));
  // Alice is expected to move on 4 a tick, to 408 two ticks later; she went 8 further.
  const moved = { ...alice, x: 416 };
  const s = r.receive({
    tick: 32, lastSeq: 6, baseTick: 30, players: [{ mask: 1, x: 8 }], entering: [], bullets: [], removed: [5],
    checksum: checksum([moved], []),
  });
  assert.deepEqual(s.players.map((p) => [p.id, p.x]), [[3, 104]]);
  assert.equal(r.ack, 32);
  assert.equal(r.resyncs, 0);
});

test('a missing baseline or a checksum mismatch is not drawn: ack 0, counted', () => {
  const r = new Replica(30, 800);
  r.receive(full(30, 4, [alice]));
  assert.equal(r.receive({ tick: 40, lastSeq: 5, baseTick: 31, players: [], entering: [], bullets: [], removed: [], checksum: 0 }), null);
  assert.equal(r.ack, 0);
  assert.equal(r.resyncs, 1);
  assert.equal(r.lastError, 'no-baseline');
  const bad = full(42, 6, [alice]);
  bad.checksum ^= 1;
  assert.equal(r.receive(bad), null);
  assert.equal(r.resyncs, 2);
  assert.equal(r.lastError, 'checksum');
  // The full snapshot the server sends next applies again.
  assert.ok(r.receive(full(44, 7, [alice])));
  assert.equal(r.ack, 44);
});

test('reset: a new connection starts from a full snapshot', () => {
  const r = new Replica(30, 800);
  r.receive(full(30, 4, [alice]));
  r.reset();
  assert.equal(r.ack, 0);
  assert.equal(r.receive({ tick: 32, lastSeq: 5, baseTick: 30, players: [], bullets: [], removed: [], checksum: checksum([alice], []) }), null);
});

test('a player the delta does not mention moves on as predicted', () => {
  const r = new Replica(30, 800);
  r.receive(full(30, 4, [alice]));
  // Three ticks on, Alice walked on at 4 a tick: nothing is sent of her.
  const s = r.receive({ tick: 33, lastSeq: 5, baseTick: 30, players: [], entering: [], bullets: [], removed: [], checksum: checksum([{ ...alice, x: 412 }], []) });
  assert.deepEqual(s.players.map((p) => [p.id, p.x, p.y]), [[3, 103, 200]]);
});

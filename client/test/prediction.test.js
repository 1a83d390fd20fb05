import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeArena, step } from '../src/movement.js';
import { Predictor, SNAP_DISTANCE, quantile } from '../src/prediction.js';
import { POS_SCALE } from '../src/delta.js';

// An open 10x10 block of 40-unit tiles with a wall column at tx = 6.
const tiles = Array.from({ length: 100 }, (_, i) => (i % 10 === 6 ? '#' : '.')).join('');
const arena = makeArena({ tileSize: 40, cols: 10, rows: 10, tiles, width: 400, height: 400 });
const rules = { playerRadius: 16, playerSpeed: 220 };
const TICK = 30;
const alive = (x, y) => ({ x, y, alive: true });

test('inputs move the player at once, as the server would', () => {
  const p = new Predictor(arena, rules, TICK);
  assert.equal(p.drawn(0), null);
  p.reconcile(alive(100, 100), 0, 0);
  p.input(1, 1, 0, 10);
  p.input(2, 1, 0, 43);
  const want = step(arena, rules, TICK, step(arena, rules, TICK, 100, 100, 1, 0).x, 100, 1, 0);
  assert.deepEqual(p.pos, want);
  assert.deepEqual(p.drawn(43), want);
});

test('between inputs the drawn player moves on along the held direction, never into a wall', () => {
  const p = new Predictor(arena, rules, TICK);
  p.reconcile(alive(100, 100), 0, 0);
  p.input(1, 0, 0, 0);
  const half = p.drawn(1000 / TICK / 2, 1, 0);
  assert.ok(Math.abs(half.x - (100 + 220 / TICK / 2)) < 1e-9, `half a tick: ${half.x}`);
  p.reconcile(alive(230, 100), 1, 100); // flush against the wall's left side is x = 240 - 16 = 224
  p.input(2, 0, 0, 100);
  assert.ok(p.drawn(130, 1, 0).x <= 224 + 1e-9);
});

test('reconciliation replays the unacknowledged inputs from the server position', () => {
  const p = new Predictor(arena, rules, TICK);
  p.reconcile(alive(100, 100), 0, 0);
  for (let s = 1; s <= 5; s++) p.input(s, 0, 1, s * 33);
  const before = p.pos;
  // The server applied inputs 1..3 from (100, 100) exactly as predicted: no correction.
  let y = 100;
  for (let s = 1; s <= 3; s++) y = step(arena, rules, TICK, 100, y, 0, 1).y;
  assert.equal(p.reconcile(alive(100, y), 3, 200), 0);
  assert.deepEqual(p.pos, before);
  assert.deepEqual(p.pending.map((i) => i.seq), [4, 5]);
  assert.equal(p.stats().corrections, 0);
});

test('predictions stay on the grid snapshots carry, so any difference is a correction', () => {
  const p = new Predictor(arena, rules, TICK);
  p.reconcile(alive(100, 100), 0, 0);
  p.input(1, 0.6, 0.8, 0);
  const predicted = p.pos;
  for (const v of [predicted.x, predicted.y]) assert.equal(v * POS_SCALE, Math.round(v * POS_SCALE), `${v} is on the grid`);
  // The server's word, sent on that grid, is the prediction to the bit.
  assert.equal(p.reconcile(alive(predicted.x, predicted.y), 1, 40), 0);
  assert.deepEqual(p.pos, predicted);
  // A quarter unit off is a real difference, and taken.
  p.input(2, 1, 0, 50);
  const want = step(arena, rules, TICK, predicted.x + 0.25, predicted.y, 1, 0);
  assert.equal(p.reconcile(alive(predicted.x + 0.25, predicted.y), 1, 60), 0.25);
  assert.deepEqual(p.pos, want);
  assert.equal(p.stats().corrections, 1);
});

test('a small correction is smoothed over a few frames; a large one snaps', () => {
  const p = new Predictor(arena, rules, TICK);
  p.reconcile(alive(100, 100), 0, 0);
  const size = p.reconcile(alive(104, 100), 0, 10);
  assert.equal(size, 4);
  const d0 = p.drawn(10);
  assert.ok(Math.abs(d0.x - 100) < 1e-9, `drawn where it was: ${d0.x}`);
  const d1 = p.drawn(60);
  assert.ok(d1.x > 100 && d1.x < 104, `on its way: ${d1.x}`);
  assert.ok(Math.abs(p.drawn(500).x - 104) < 0.01, 'arrived');
  assert.equal(p.reconcile(alive(104 + SNAP_DISTANCE + 1, 100), 0, 600), SNAP_DISTANCE + 1);
  assert.equal(p.drawn(600).x, 104 + SNAP_DISTANCE + 1);
  assert.deepEqual(p.stats(), { reconciles: 3, corrections: 2, snaps: 1, median: 4, p99: SNAP_DISTANCE + 1 });
});

test('a dead player does not move', () => {
  const p = new Predictor(arena, rules, TICK);
  p.reconcile({ x: 100, y: 100, alive: false }, 0, 0);
  p.input(1, 1, 0, 0);
  assert.deepEqual(p.drawn(20, 1, 0), { x: 100, y: 100 });
});

test('quantile, nearest rank', () => {
  assert.equal(quantile([], 0.5), 0);
  assert.equal(quantile([3, 1, 2], 0.5), 2);
  assert.equal(quantile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99), 99);
});

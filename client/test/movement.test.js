// Replays the Go side's movement vectors (game/testdata/movement-vectors.json, made by
// go test ./game -run TestMovementVectors -update): prediction must land where the server does,
// bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeArena, wallAt, clampLen, step, snap, POS_PER_UNIT } from '../src/movement.js';
import { POS_SCALE } from '../src/delta.js';

const vectors = JSON.parse(readFileSync(new URL('../../game/testdata/movement-vectors.json', import.meta.url), 'utf8'));
const arena = makeArena(vectors.map);
const rules = { playerRadius: vectors.playerRadius, playerSpeed: vectors.playerSpeed };

vectors.cases.forEach((c, k) => {
  test(`vectors: case ${k} from (${c.start})`, () => {
    assert.equal(c.moves.length, c.positions.length);
    let [x, y] = c.start;
    c.moves.forEach(([mx, my], i) => {
      ({ x, y } = step(arena, rules, vectors.tickRate, x, y, mx, my));
      assert.equal(x, c.positions[i][0], `tick ${i}: x`);
      assert.equal(y, c.positions[i][1], `tick ${i}: y`);
    });
  });
});

test('the vectors cover walls, long moves and the arena edge', () => {
  const ticks = vectors.cases.reduce((n, c) => n + c.moves.length, 0);
  assert.ok(vectors.cases.length >= 10 && ticks >= 200, `${vectors.cases.length} cases, ${ticks} ticks`);
});

test('outside the arena is wall; the block repeats inside it', () => {
  const a = makeArena({ tileSize: 10, cols: 2, rows: 1, tiles: '.#', width: 45, height: 10 });
  assert.deepEqual([0, 1, 2, 3, 4].map((tx) => wallAt(a, tx, 0)), [false, true, false, true, false]);
  assert.ok(wallAt(a, -1, 0));
  assert.ok(wallAt(a, 5, 0));
  assert.ok(wallAt(a, 0, 1));
});

test('clampLen shortens only what is longer than 1', () => {
  assert.deepEqual(clampLen(0.6, 0.8), { x: 0.6, y: 0.8 });
  assert.deepEqual(clampLen(3, 4), { x: 3 * 0.2, y: 4 * 0.2 });
  assert.deepEqual(clampLen(0, 0), { x: 0, y: 0 });
});

test('the position grid is the snapshots\' quantization, and snap rounds halves away from zero', () => {
  assert.equal(POS_PER_UNIT, POS_SCALE);
  assert.equal(snap(10.125), 10.25);
  assert.equal(snap(-10.125), -10.25);
  assert.equal(snap(7.3333), 7.25);
  assert.equal(snap(12.75), 12.75);
});

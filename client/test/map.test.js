import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTileMap, isWallAt, isWallTile, visibleTiles } from '../src/map.js';

// A 3x2 block of 10-unit tiles:
//   # . .
//   . . #
// repeated over a 95 x 45 arena (not a whole number of blocks, nor of tiles).
const tm = makeTileMap({ name: 't', tileSize: 10, cols: 3, rows: 2, tiles: '#....#', width: 95, height: 45 });

test('the block itself', () => {
  assert.equal(isWallAt(tm, 5, 5), true); // (0,0) '#'
  assert.equal(isWallAt(tm, 15, 5), false);
  assert.equal(isWallAt(tm, 25, 15), true); // (2,1) '#'
  assert.equal(isWallAt(tm, 5, 15), false);
  assert.equal(isWallAt(tm, 9.999, 9.999), true);
  assert.equal(isWallAt(tm, 10, 0), false); // tile edges belong to the next tile
});

test('the block repeats: tiles[(row mod rows)*cols + (col mod cols)]', () => {
  assert.equal(isWallAt(tm, 35, 5), true); // col 3 → 0
  assert.equal(isWallAt(tm, 5, 25), true); // row 2 → 0
  assert.equal(isWallAt(tm, 55, 35), true); // col 5 → 2, row 3 → 1
  assert.equal(isWallAt(tm, 65, 25), true); // col 6 → 0, row 2 → 0
  assert.equal(isWallAt(tm, 45, 25), false); // col 4 → 1
  assert.equal(isWallAt(tm, 92, 42), true); // col 9 → 0, row 4 → 0, in the arena's partial last tile
  assert.equal(isWallAt(tm, 92, 32), false); // col 9 → 0, row 3 → 1
});

test('outside the arena is wall', () => {
  assert.equal(isWallAt(tm, -0.001, 15), true);
  assert.equal(isWallAt(tm, 15, -5), true);
  assert.equal(isWallAt(tm, 95, 15), true); // width is excluded
  assert.equal(isWallAt(tm, 15, 45), true);
  assert.equal(isWallAt(tm, 1e6, 1e6), true);
  assert.equal(isWallAt(tm, NaN, 15), true);
  assert.equal(isWallAt(tm, 94.9, 15), false); // col 9 → 0, row 1: '.'
});

test('tile coordinates wrap both ways', () => {
  assert.equal(isWallTile(tm, 0, 0), true);
  assert.equal(isWallTile(tm, -3, -2), true);
  assert.equal(isWallTile(tm, -1, -1), true); // col 2, row 1
  assert.equal(isWallTile(tm, -1, 0), false); // col 2, row 0
});

test('only # is a wall: S and unknown characters are floor', () => {
  const m = makeTileMap({ name: 'x', tileSize: 1, cols: 4, rows: 1, tiles: '#S.?', width: 4, height: 1 });
  assert.deepEqual([...m.walls], [1, 0, 0, 0]);
});

test('visible tiles are clipped to the arena', () => {
  assert.deepEqual(visibleTiles(tm, 12, 3, 38, 19), { col0: 1, col1: 3, row0: 0, row1: 1 });
  // The arena's last, partial tiles are col 9 and row 4.
  assert.deepEqual(visibleTiles(tm, -500, -500, 500, 500), { col0: 0, col1: 9, row0: 0, row1: 4 });
  const off = visibleTiles(tm, 200, 200, 300, 300);
  assert.ok(off.col0 > off.col1 && off.row0 > off.row1, 'a view beside the arena shows no tiles');
});

test('a huge arena costs only the visible tiles', () => {
  const big = makeTileMap({ name: 'b', tileSize: 40, cols: 32, rows: 20, tiles: '.'.repeat(640), width: 20000, height: 20000 });
  const r = visibleTiles(big, 9500, 9600, 10500, 10300);
  assert.deepEqual(r, { col0: 237, col1: 262, row0: 240, row1: 257 }); // 26 x 18 tiles
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeMove, moveFromKeys, aimAngle, isGameKey } from '../src/input.js';

const close = (a, b, eps = 1e-12) => Math.abs(a - b) <= eps;
const move = (...codes) => moveFromKeys(new Set(codes));

test('no keys: stand still', () => {
  assert.deepEqual(move(), { x: 0, y: 0 });
  assert.deepEqual(move('KeyQ', 'Enter'), { x: 0, y: 0 });
});

test('single keys, WASD and arrows, y grows downwards', () => {
  const cases = {
    KeyW: [0, -1], ArrowUp: [0, -1],
    KeyS: [0, 1], ArrowDown: [0, 1],
    KeyA: [-1, 0], ArrowLeft: [-1, 0],
    KeyD: [1, 0], ArrowRight: [1, 0],
  };
  for (const [code, [x, y]] of Object.entries(cases)) {
    assert.deepEqual(move(code), { x, y }, code);
  }
});

test('diagonals have length 1', () => {
  for (const codes of [['KeyW', 'KeyD'], ['ArrowDown', 'ArrowLeft'], ['KeyS', 'ArrowRight'], ['KeyW', 'KeyA']]) {
    const m = move(...codes);
    assert.ok(close(Math.hypot(m.x, m.y), 1), `${codes}: length ${Math.hypot(m.x, m.y)}`);
    assert.ok(close(Math.abs(m.x), Math.SQRT1_2) && close(Math.abs(m.y), Math.SQRT1_2), `${codes}`);
  }
  const ne = move('KeyW', 'KeyD');
  assert.ok(ne.x > 0 && ne.y < 0);
});

test('opposite keys cancel; a letter and its arrow count once', () => {
  assert.deepEqual(move('KeyA', 'KeyD'), { x: 0, y: 0 });
  assert.deepEqual(move('KeyW', 'ArrowDown', 'KeyD'), { x: 1, y: 0 });
  assert.deepEqual(move('KeyD', 'ArrowRight'), { x: 1, y: 0 });
  const m = move('KeyD', 'ArrowRight', 'KeyS');
  assert.ok(close(Math.hypot(m.x, m.y), 1));
});

test('normalizeMove', () => {
  assert.deepEqual(normalizeMove(3, 4), { x: 0.6, y: 0.8 });
  assert.deepEqual(normalizeMove(0, 0), { x: 0, y: 0 });
  assert.deepEqual(normalizeMove(NaN, 1), { x: 0, y: 0 });
  const m = normalizeMove(0.2, 0.1);
  assert.ok(close(Math.hypot(m.x, m.y), 1));
});

test('aim is atan2 in world coordinates, y down', () => {
  assert.equal(aimAngle(100, 100, 200, 100), 0);
  assert.ok(close(aimAngle(100, 100, 100, 300), Math.PI / 2)); // below: +π/2
  assert.ok(close(aimAngle(100, 100, 100, 0), -Math.PI / 2));
  assert.ok(close(Math.abs(aimAngle(100, 100, 0, 100)), Math.PI));
  assert.equal(aimAngle(5, 5, 5, 5), 0);
});

test('game keys', () => {
  assert.ok(isGameKey('Space'));
  assert.ok(isGameKey('ArrowLeft'));
  assert.ok(!isGameKey('KeyQ'));
});

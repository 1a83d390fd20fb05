// Replays the Go side's protocol 3 test vectors through the browser's applier: the same
// frames must give the same states, and the same errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decode } from '@msgpack/msgpack';
import { decodeDelta, Applier, DeltaError, checksum, toWorld, bulletAt } from '../src/delta.js';

const vectors = JSON.parse(readFileSync(new URL('../../netcode/testdata/delta-vectors.json', import.meta.url), 'utf8'));

const fromHex = (s) => Uint8Array.from(s.match(/../g), (h) => parseInt(h, 16));

for (const c of vectors.cases) {
  test(`vectors: ${c.name}`, () => {
    const applier = new Applier();
    let states = 0;
    let errors = 0;
    c.steps.forEach((step, i) => {
      if (step.reset) applier.reset();
      const d = decodeDelta(decode(fromHex(step.frame)));
      if (step.error) {
        assert.throws(() => applier.apply(d), (err) => err instanceof DeltaError && err.reason === step.error,
          `step ${i}: want a ${step.error} error`);
        errors++;
        return;
      }
      const s = applier.apply(d);
      assert.equal(s.tick, step.tick, `step ${i}: tick`);
      const players = s.players.map((p) => [p.id, p.x, p.y, p.vx, p.vy, p.aim, p.flags, p.health, p.kills, p.deaths, p.hue, p.name]);
      assert.deepEqual(players, step.players ?? [], `step ${i}: players`);
      const bullets = s.bullets.map((b) => [b.id, b.owner, b.dir]);
      assert.deepEqual(bullets, step.bullets ?? [], `step ${i}: bullets`);
      states++;
    });
    assert.ok(states > 50 && errors > 0, `${states} states and ${errors} errors checked`);
  });
}

test('checksum of an empty state', () => {
  // FNV-1a offset basis folded: 0x811c ^ 0x9dc5
  assert.equal(checksum([], []), 0x811c ^ 0x9dc5);
});

test('malformed deltas are refused', () => {
  const cases = {
    'wrong arity': [4, 1, 0, 0, [], [], []],
    'players not an array': [4, 1, 0, 0, 5, [], [], 0],
    'truncated whole entry': [4, 1, 0, 0, [3, 128, 10, 10], [], [], 0],
    'mask zero': [4, 1, 0, 0, [3, 0], [], [], 0],
    'bullets not in fives': [4, 1, 0, 0, [], [1, 2, 3], [], 0],
    'checksum too big': [4, 1, 0, 0, [], [], [], 70000],
  };
  for (const [name, m] of Object.entries(cases)) {
    assert.throws(() => decodeDelta(m), DeltaError, name);
  }
});

test('quantized units become world units', () => {
  const p = toWorld({ id: 1, x: 401, y: -8, aim: 64, flags: 1, health: 100, kills: 0, deaths: 0, hue: 0, name: 'a' });
  assert.equal(p.x, 100.25);
  assert.equal(p.y, -2);
  assert.equal(p.aim, Math.PI / 2);
  const b = bulletAt({ id: 9, owner: 1, x: 400, y: 400, dir: 0, tick: 30 }, 33, 30, 800);
  assert.equal(b.x, 100 + 800 * 0.1);
  assert.equal(b.y, 100);
  const down = bulletAt({ id: 9, owner: 1, x: 400, y: 400, dir: 16384, tick: 30 }, 33, 30, 800);
  assert.ok(Math.abs(down.x - 100) < 1e-9 && Math.abs(down.y - 180) < 1e-9, `a bullet flying down: ${down.x}, ${down.y}`);
});

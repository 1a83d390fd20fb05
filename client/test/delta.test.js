// Replays the Go side's protocol 4 test vectors through the browser's applier: the same
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
    'wrong arity': [4, 1, 0, 0, [], [], [], []],
    'players not an array': [4, 1, 0, 0, 5, [], [], [], 0],
    'entering not an array': [4, 1, 0, 0, [], 5, [], [], 0],
    'truncated entry': [4, 1, 0, 0, [1 | 32, 10], [], [], [], 0],
    'a run of 0': [4, 1, 0, 0, [0, 0], [], [], [], 0],
    'a run cut short': [4, 1, 0, 0, [0], [], [], [], 0],
    'a mask of 128': [4, 1, 0, 0, [128, 1, 2], [], [], [], 0],
    'a turn of 0': [4, 1, 0, 0, [-16], [], [], [], 0],
    'below -32': [4, 1, 0, 0, [-33], [], [], [], 0],
    'entering cut short': [4, 1, 0, 0, [], [3, 10, 10], [], [], 0],
    'entering without a name': [4, 1, 0, 0, [], [3, 1, 2, 0, 0, 0, 1, 100, 0, 0, 0, 7], [], [], 0],
    'bullets not in fives': [4, 1, 0, 0, [], [], [1, 2, 3], [], 0],
    'checksum too big': [4, 1, 0, 0, [], [], [], [], 70000],
    'entering id gap 0': [4, 1, 0, 0, [], [3, 1, 2, 0, 0, 0, 1, 100, 0, 0, 0, 'a', 0, 1, 2, 0, 0, 0, 1, 100, 0, 0, 0, 'b'], [], [], 0],
    'bullet id 0': [4, 1, 0, 0, [], [], [0, 3, 42, 81, 0], [], 0],
    'removed id gap 0': [4, 1, 0, 0, [], [], [], [5, 0], 0],
    'ids past 32 bits': [4, 1, 0, 0, [], [], [], [0xffffffff, 1], 0],
  };
  for (const [name, m] of Object.entries(cases)) {
    assert.throws(() => decodeDelta(m), DeltaError, name);
  }
});

// Mirrors TestApplyPlayerEntries in netcode/delta_test.go: the entries go to the baseline's
// players still in view, in order, a run to as many as it says, and those after the last entry
// move on as predicted; entering players are merged in by id.
test('player entries apply in order to the players still in view', () => {
  const pl = (id, x, vx, aim) => ({ id, x, y: 40, vx, vy: 0, aim, flags: 0, health: 100, kills: 0, deaths: 0, hue: 0, name: 'p' });
  const base = [pl(2, 100, 4, 10), pl(5, 200, 0, 20), pl(9, 300, -4, 30), pl(12, 400, 4, 40), pl(15, 500, 4, 50)];
  const start = () => {
    const a = new Applier();
    a.apply({ tick: 10, baseTick: 0, players: [], entering: base, bullets: [], removed: [], checksum: checksum(base, []) });
    return a;
  };
  const delta = (d, want = []) => ({ tick: 12, baseTick: 10, players: [], entering: [], bullets: [], removed: [], checksum: checksum(want, []), ...d });
  const entering = pl(7, 250, 0, 0);
  const want = [pl(2, 108, 4, 13), entering, pl(9, 292, -4, 30), { ...pl(12, 404, 4, 40), health: 60 }, pl(15, 508, 4, 50)];
  const entries = [{ mask: 4, aim: 3 }, { run: 1 }, { mask: 1 | 32, x: -4, health: 60 }];
  const s = start().apply(delta({ players: entries, entering: [entering], removed: [5] }, want));
  assert.deepEqual(s.players, want);

  const bad = {
    'an entry too many': { players: [...entries, { run: 1 }, { run: 1 }], removed: [5] },
    'a run too long': { players: [{ run: 6 }] },
    'entering, but in view': { entering: [pl(9, 0, 0, 0)] },
  };
  for (const [name, d] of Object.entries(bad)) {
    assert.throws(() => start().apply(delta(d)), (err) => err instanceof DeltaError && err.reason === 'bad', name);
  }
  // A player that left and came back between the baseline and now may be listed as both.
  const back = pl(5, 230, 0, 0);
  const again = [pl(2, 108, 4, 10), back, pl(9, 292, -4, 30), pl(12, 408, 4, 40), pl(15, 508, 4, 50)];
  assert.deepEqual(start().apply(delta({ entering: [back], removed: [5] }, again)).players, again);
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

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  INTERPOLATION_DELAY_MS, MAX_EXTRAPOLATION_MS, lerp, lerpAngle, bracket, interpolatePlayer,
  interpolatePlayers, extrapolateBullets, extrapolatePlayers, TickClock, SnapshotBuffer,
} from '../src/interpolation.js';

const near = (a, b, eps = 1e-9) => Math.abs(a - b) <= eps;
const player = (id, x, y, extra = {}) => ({
  id, x, y, aim: 0, health: 100, kills: 0, deaths: 0, flags: 1, alive: true, hue: 10, name: `p${id}`, ...extra,
});
const snap = (tick, players, bullets = []) => ({ type: 4, tick, lastSeq: 0, players, bullets });

describe('math', () => {
  test('lerp', () => {
    assert.equal(lerp(10, 20, 0), 10);
    assert.equal(lerp(10, 20, 0.25), 12.5);
    assert.equal(lerp(10, 20, 1), 20);
  });

  test('lerpAngle turns the short way across ±π', () => {
    const a = 3.0;
    const b = -3.0; // 0.283 rad away through π, not 6 rad back through 0
    const mid = lerpAngle(a, b, 0.5);
    assert.ok(near(Math.cos(mid), Math.cos(Math.PI), 1e-6), `mid ${mid}`);
    assert.ok(near(lerpAngle(0, 1, 0.5), 0.5));
    assert.ok(near(lerpAngle(0.1, 2 * Math.PI - 0.1, 0.5) % (2 * Math.PI), 0));
  });
});

describe('bracket', () => {
  const entries = [{ time: 100 }, { time: 133 }, { time: 166 }];

  test('between two entries', () => {
    const r = bracket(entries, 120);
    assert.equal(r.a, entries[0]);
    assert.equal(r.b, entries[1]);
    assert.ok(near(r.t, 20 / 33));
    const r2 = bracket(entries, 150);
    assert.equal(r2.a, entries[1]);
    assert.equal(r2.b, entries[2]);
  });

  test('on an entry', () => {
    const r = bracket(entries, 133);
    assert.equal(r.a, entries[1]);
    assert.equal(r.t, 0);
  });

  test('clamps when the buffer runs dry, and before its start', () => {
    const late = bracket(entries, 500);
    assert.equal(late.a, entries[2]);
    assert.equal(late.b, entries[2]);
    assert.equal(late.t, 0);
    const early = bracket(entries, 0);
    assert.equal(early.a, entries[0]);
    assert.equal(early.b, entries[0]);
    assert.equal(bracket([], 100), null);
  });
});

describe('players', () => {
  test('position and aim between two snapshots; discrete fields from the older', () => {
    const pa = player(1, 0, 100, { aim: 0, health: 100 });
    const pb = player(1, 40, 60, { aim: 1, health: 50 });
    const p = interpolatePlayer(pa, pb, 0.25);
    assert.deepEqual([p.x, p.y, p.aim, p.health], [10, 90, 0.25, 100]);
  });

  test('a respawn or a jump is not slid across the map', () => {
    const dead = player(1, 500, 500, { alive: false, flags: 0, health: 0 });
    const back = player(1, 50, 50);
    assert.deepEqual(interpolatePlayer(dead, back, 0.5), dead);
    const far = player(1, 600, 600);
    const p = interpolatePlayer(player(1, 0, 0), far, 0.5, 100);
    assert.deepEqual([p.x, p.y], [0, 0]);
    const walk = interpolatePlayer(player(1, 0, 0), player(1, 60, 80), 0.5, 100);
    assert.deepEqual([walk.x, walk.y], [30, 40]);
  });

  test('joined and left players', () => {
    const a = snap(10, [player(1, 0, 0), player(2, 0, 0)]);
    const b = snap(11, [player(1, 10, 0), player(3, 7, 7)]);
    const out = interpolatePlayers(a, b, 0.5);
    assert.deepEqual(out.map((p) => [p.id, p.x, p.y]), [[1, 5, 0], [3, 7, 7]]);
  });

  test('does not change the snapshots', () => {
    const a = snap(10, [player(1, 0, 0)]);
    const b = snap(11, [player(1, 10, 0)]);
    interpolatePlayers(a, b, 0.5)[0].x = 999;
    interpolatePlayers(b, b, 0)[0].x = 999;
    assert.equal(a.players[0].x, 0);
    assert.equal(b.players[0].x, 10);
  });
});

describe('bullets', () => {
  const bl = (id, x, vx) => ({ id, owner: 1, x, y: 0, vx, vy: -vx });

  test('extrapolated along their velocity', () => {
    const a = { time: 1000, snapshot: snap(1, [], [bl(1, 100, 800)]) };
    const [b] = extrapolateBullets(a, a, 1050);
    assert.ok(near(b.x, 140) && near(b.y, -40));
  });

  test('at most MAX_EXTRAPOLATION_MS ahead, never behind', () => {
    const a = { time: 1000, snapshot: snap(1, [], [bl(1, 100, 1000)]) };
    assert.ok(near(extrapolateBullets(a, a, 5000)[0].x, 100 + MAX_EXTRAPOLATION_MS));
    assert.equal(extrapolateBullets(a, a, 900)[0].x, 100);
  });

  test('bullets gone from the newer snapshot are not drawn', () => {
    const a = { time: 1000, snapshot: snap(1, [], [bl(1, 0, 100), bl(2, 0, 100)]) };
    const b = { time: 1033, snapshot: snap(2, [], [bl(2, 3.3, 100)]) };
    assert.deepEqual(extrapolateBullets(a, b, 1010).map((x) => x.id), [2]);
  });
});

describe('TickClock', () => {
  test('maps ticks to local time from the earliest arrivals', () => {
    const c = new TickClock(30);
    c.observe(100, 5000); // tick 100 seen at 5000 ms
    assert.ok(near(c.timeOf(100), 5000));
    assert.ok(near(c.timeOf(103), 5100));
    c.observe(101, 5033.3333 + 20); // late by 20 ms: barely moves the estimate
    assert.ok(c.timeOf(100) > 5000 && c.timeOf(100) < 5002, `${c.timeOf(100)}`);
    c.observe(102, 5066.6667 - 5); // early: follows at once
    assert.ok(near(c.timeOf(102), 5061.6667, 1e-3));
  });

  test('starts over after a stall', () => {
    const c = new TickClock(30);
    c.observe(100, 5000);
    c.observe(101, 5033.3333 + 1000);
    assert.ok(near(c.timeOf(101), 6033.3333, 1e-3));
  });
});

describe('SnapshotBuffer', () => {
  // 30 Hz ticks, a snapshot every tick, arriving with no jitter: tick n at 1000 + n*ms.
  const ms = 1000 / 30;
  const fill = (buf, n, x0 = 0, vx = 3) => {
    for (let i = 0; i < n; i++) buf.push(snap(i, [player(1, x0 + vx * i, 0)]), 1000 + i * ms);
  };

  test('draws others INTERPOLATION_DELAY_MS in the past, between snapshots', () => {
    const buf = new SnapshotBuffer(30);
    fill(buf, 20);
    // now = the arrival of tick 15 + 0.5 tick + the delay: halfway between 15 and 16.
    const now = 1000 + 15.5 * ms + INTERPOLATION_DELAY_MS;
    const s = buf.sample(now);
    assert.ok(near(s.players[0].x, 3 * 15.5, 1e-6), `x ${s.players[0].x}`);
    assert.ok(near(s.tick, 15.5, 1e-6));
  });

  test('extrapolates briefly when the buffer runs dry, then stands', () => {
    const buf = new SnapshotBuffer(30);
    fill(buf, 5); // x = 3 per tick; the newest, tick 4, at x 12 and local time 1000 + 4 ticks
    const newest = 1000 + 4 * ms + INTERPOLATION_DELAY_MS;
    const half = buf.sample(newest + 50); // 1.5 ticks past the newest
    assert.ok(near(half.players[0].x, 12 + 3 * 1.5, 1e-6), `x ${half.players[0].x}`);
    assert.equal(half.underrun, true);
    // At most MAX_EXTRAPOLATION_MS past it (3 ticks), however long the buffer stays dry.
    const s = buf.sample(1e6);
    assert.ok(near(s.players[0].x, 12 + 3 * MAX_EXTRAPOLATION_MS / ms, 1e-6), `x ${s.players[0].x}`);
    assert.equal(s.tick, 4);
    assert.equal(s.underrun, true);
    assert.equal(buf.sample(0).players[0].x, 0); // clamps to the oldest before its start
    assert.equal(buf.sample(0).underrun, false);
  });

  test('one snapshot alone is not extrapolated', () => {
    const buf = new SnapshotBuffer(30);
    fill(buf, 1, 7);
    const s = buf.sample(1e6);
    assert.equal(s.players[0].x, 7);
    assert.equal(s.underrun, true);
  });

  test('samples at server time: tick × ms per tick, whatever the arrival times', () => {
    const buf = new SnapshotBuffer(30);
    const jitter = [0, 40, 3, 22, 0, 9];
    jitter.forEach((j, i) => buf.push(snap(10 + i, [player(1, 10 * i, 0)]), 5000 + i * ms + j));
    const s = buf.sampleServer(12.25 * ms);
    assert.ok(near(s.players[0].x, 22.5, 1e-6), `x ${s.players[0].x}`);
    assert.ok(near(s.tick, 12.25, 1e-6));
    assert.equal(s.underrun, false);
    const dry = buf.sampleServer(15 * ms + 20);
    assert.equal(dry.underrun, true);
    assert.ok(near(dry.players[0].x, 50 + 10 * 20 / ms, 1e-6), `x ${dry.players[0].x}`);
  });

  test('refuses stale snapshots and keeps a bounded buffer', () => {
    const buf = new SnapshotBuffer(30, { size: 8 });
    fill(buf, 20);
    assert.equal(buf.entries.length, 8);
    assert.equal(buf.newest.tick, 19);
    assert.equal(buf.push(snap(19, []), 5000), false);
    assert.equal(buf.push(snap(3, []), 5000), false);
    assert.equal(buf.newest.tick, 19);
  });

  test('jittered arrivals still move others evenly', () => {
    const buf = new SnapshotBuffer(30);
    const jitter = [0, 15, 3, 22, 0, 9, 30, 1, 12, 0, 18, 4, 0, 25, 2, 0];
    jitter.forEach((j, i) => buf.push(snap(i, [player(1, 10 * i, 0)]), 1000 + i * ms + j));
    // Frames 4 ms apart: the drawn x must never go backwards or jump more than one tick's worth.
    let prev = -Infinity;
    for (let now = 1000 + 5 * ms + INTERPOLATION_DELAY_MS; now < 1000 + 14 * ms + INTERPOLATION_DELAY_MS; now += 4) {
      const x = buf.sample(now).players[0].x;
      assert.ok(x >= prev, `x went back at ${now}: ${prev} → ${x}`);
      if (prev > -Infinity) assert.ok(x - prev <= 10 * 4 / ms + 1e-6, `jump at ${now}: ${prev} → ${x}`);
      prev = x;
    }
  });

  test('interest: a player who leaves the view and comes back elsewhere is not slid across', () => {
    const buf = new SnapshotBuffer(30);
    buf.push(snap(0, [player(1, 0, 0), player(2, 100, 0)]), 1000);
    buf.push(snap(1, [player(1, 3, 0)]), 1000 + ms); // 2 out of view
    buf.push(snap(2, [player(1, 6, 0), player(2, 40, 0)]), 1000 + 2 * ms); // back, 60 units away
    const at = (tick) => buf.sample(1000 + tick * ms + INTERPOLATION_DELAY_MS).players.map((p) => [p.id, Math.round(p.x * 1e6) / 1e6]);
    assert.deepEqual(at(0.5), [[1, 1.5]]);
    assert.deepEqual(at(1.5), [[1, 4.5], [2, 40]]);
  });

  test('empty buffer samples nothing', () => {
    assert.equal(new SnapshotBuffer(30).sample(1000), null);
  });
});

describe('extrapolatePlayers', () => {
  const a = snap(1, [player(1, 0, 0), player(2, 0, 0), player(3, 0, 0, { alive: false }), player(4, 0, 0)]);
  const b = snap(2, [player(1, 10, 5), player(2, 500, 0), player(3, 10, 0), player(4, 10, 0, { alive: false }), player(5, 1, 1)]);

  test('carries on at the last velocity, bounded by MAX_EXTRAPOLATION_MS', () => {
    const [p] = extrapolatePlayers(a, b, 50, 100);
    assert.deepEqual([p.x, p.y], [15, 7.5]);
    const [q] = extrapolatePlayers(a, b, 10 * MAX_EXTRAPOLATION_MS, 100);
    assert.deepEqual([q.x, q.y], [10 + 10 * MAX_EXTRAPOLATION_MS / 100, 5 + 5 * MAX_EXTRAPOLATION_MS / 100]);
  });

  test('jumped, respawned, dead and new players stand as in the newest snapshot', () => {
    const out = extrapolatePlayers(a, b, 50, 100);
    assert.deepEqual(out.slice(1).map((p) => [p.id, p.x, p.y]), [[2, 500, 0], [3, 10, 0], [4, 10, 0], [5, 1, 1]]);
  });

  test('no time ahead or no second snapshot: as in the newest', () => {
    assert.equal(extrapolatePlayers(a, b, 0, 100)[0].x, 10);
    assert.equal(extrapolatePlayers(a, b, -5, 100)[0].x, 10);
    assert.equal(extrapolatePlayers(b, b, 50, 100)[0].x, 10);
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Slew, ServerClock, CLOCK_SLEW, CLOCK_SNAP_MS } from '../src/clock.js';

const near = (a, b, eps) => Math.abs(a - b) <= eps;
const TICK_RATE = 30;
const MS_PER_TICK = 1000 / TICK_RATE;

/**
 * pong is a synthetic sample: the server's clock runs at local + offset; the ping goes up in
 * up ms and the pong comes back in down ms; the server reports the whole tick it was at.
 */
function pong(sent, offset, up, down) {
  const serverMs = sent + up + offset;
  return [sent, sent + up + down, Math.floor(serverMs / MS_PER_TICK)];
}

describe('Slew', () => {
  test('takes the first target at once, then moves at most rate × dt', () => {
    const s = new Slew({ rate: 0.1, snap: 250 });
    s.set(100, 0);
    assert.equal(s.value, 100);
    s.set(150, 0);
    assert.equal(s.value, 100);
    assert.equal(s.update(100), 110); // 100 ms: 10 ms
    assert.equal(s.update(1000), 150); // reached, no overshoot
    assert.equal(s.update(2000), 150);
  });

  test('snaps when the target is farther than snap', () => {
    const s = new Slew({ rate: 0.1, snap: 250 });
    s.set(0, 0);
    s.set(1000, 10);
    assert.equal(s.value, 1000);
    assert.equal(s.snaps, 1);
  });

  test('rises and falls at their own rates', () => {
    const s = new Slew({ rate: 0.1, downRate: 0.01, snap: Infinity });
    s.set(100, 0);
    s.set(0, 0);
    assert.equal(s.update(100), 99);
    s.set(200, 100);
    assert.equal(s.update(200), 109);
  });
});

describe('ServerClock', () => {
  test('converges to a known offset from symmetric round trips', () => {
    const c = new ServerClock(TICK_RATE);
    const offset = 123456.7; // the server's clock is this far ahead of the page's
    let now = 1000;
    for (let i = 0; i < 16; i++, now += 500) {
      const jitter = [3, 9, 0, 14, 6, 1, 11, 4][i % 8];
      c.observe(...pong(now, offset, 75 + jitter, 75 + jitter));
    }
    c.update(now + 5000);
    // Only the tick quantisation (± half a tick) is left, averaged over the best samples.
    assert.ok(near(c.offsetMs, offset, MS_PER_TICK / 2), `offset ${c.offsetMs}`);
    assert.ok(near(c.transitMs, 75, 2), `transit ${c.transitMs}`);
    assert.ok(near(c.serverMs(50000), 50000 + offset, MS_PER_TICK / 2));
    assert.ok(near(c.tickMs(30), 1000, 1e-9));
  });

  test('ignores high-delay outliers', () => {
    const c = new ServerClock(TICK_RATE);
    const offset = 5000;
    let now = 0;
    for (let i = 0; i < 4; i++, now += 500) c.observe(...pong(now, offset, 50, 50));
    const before = c.target().offset;
    // Pongs held up on the way back by 400 ms, and pings on the way there by 300 ms: had they
    // counted, the offset would be off by ±200 and ±150 ms.
    for (let i = 0; i < 6; i++, now += 500) { // 4 + 12 samples: the window holds them all
      c.observe(...pong(now, offset, 50, 450));
      c.observe(...pong(now + 250, offset, 350, 50));
    }
    assert.equal(c.target().offset, before);
    assert.equal(c.target().rtt, 100);
    assert.ok(near(c.target().offset, offset, MS_PER_TICK / 2), `offset ${c.target().offset}`);
  });

  test('slews without jumps when the offset drifts, and snaps on a big step', () => {
    const c = new ServerClock(TICK_RATE, { window: 4, best: 1 });
    let now = 0;
    for (let i = 0; i < 4; i++, now += 500) c.observe(...pong(now, 0, 40, 40));
    const start = c.offsetMs;
    // The path changes: the server now seems 100 ms further ahead.
    for (let i = 0; i < 4; i++, now += 500) c.observe(...pong(now, 100, 40, 40));
    const targetOffset = c.target().offset;
    assert.ok(near(targetOffset - start, 100, MS_PER_TICK), `${start} → ${targetOffset}`);
    // Frames 16 ms apart: the estimate moves at most CLOCK_SLEW × 16 ms per frame.
    let t = c.offset.at; // the newest pong's arrival
    let prev = c.offsetMs;
    for (let i = 0; i < 200; i++) {
      t += 16;
      c.update(t);
      assert.ok(Math.abs(c.offsetMs - prev) <= CLOCK_SLEW * 16 + 1e-9, `jump at ${t}: ${prev} → ${c.offsetMs}`);
      prev = c.offsetMs;
    }
    assert.equal(c.offsetMs, targetOffset);
    // A step of more than CLOCK_SNAP_MS snaps at once.
    now = t + 100;
    for (let i = 0; i < 4; i++, now += 500) c.observe(...pong(now, 100 + 2 * CLOCK_SNAP_MS, 40, 40));
    assert.equal(c.offsetMs, c.target().offset);
    assert.equal(c.offset.snaps, 1);
  });

  test('not ready before a pong; a pong from the future is ignored', () => {
    const c = new ServerClock(TICK_RATE);
    assert.equal(c.ready, false);
    assert.equal(c.observe(100, 50, 3), false);
    assert.equal(c.ready, false);
    assert.equal(c.observe(100, 250, 3), true);
    assert.equal(c.ready, true);
  });
});

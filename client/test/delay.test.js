import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  InterpolationDelay, delayTarget, percentile, MIN_DELAY_MS, MAX_DELAY_MS, DELAY_UP_RATE, DELAY_DOWN_RATE,
} from '../src/delay.js';

const near = (a, b, eps) => Math.abs(a - b) <= eps;
const INTERVAL = 1000 / 30;

describe('delay policy', () => {
  test('percentile: nearest rank', () => {
    assert.equal(percentile([], 0.95), undefined);
    assert.equal(percentile([5], 0.95), 5);
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100
    assert.equal(percentile(v, 0.95), 95);
    assert.equal(percentile(v, 0.5), 50);
  });

  test('two snapshot intervals plus lateness, clamped', () => {
    assert.ok(near(delayTarget(INTERVAL, 20), 2 * INTERVAL + 20, 1e-9));
    assert.ok(near(delayTarget(INTERVAL, -10), 2 * INTERVAL, 1e-9)); // early: no credit
    assert.equal(delayTarget(10, 0), MIN_DELAY_MS);
    assert.equal(delayTarget(INTERVAL, 1000), MAX_DELAY_MS);
  });
});

describe('InterpolationDelay', () => {
  // Snapshots at 30 Hz, at local time 1000 + i × interval; lateness from a repeating pattern.
  const feed = (d, n, lateness, from = 0) => {
    let now;
    for (let i = from; i < from + n; i++) {
      now = 1000 + i * INTERVAL;
      d.observe(lateness(i), now);
    }
    return now;
  };

  test('settles at two intervals plus the 95th percentile of the lateness', () => {
    const d = new InterpolationDelay(30);
    // The newest 64 are 0..63 ms late: the 95th percentile (nearest rank 61 of 64) is 60.
    const now = feed(d, 192, (i) => i % 64);
    d.update(now + 10000);
    assert.equal(d.lateMs, 60);
    assert.ok(near(d.valueMs, 2 * INTERVAL + 60, 1e-9), `delay ${d.valueMs}`);
  });

  test('starts at startMs and waits for a few samples', () => {
    const d = new InterpolationDelay(30, { startMs: 120 });
    assert.equal(d.valueMs, 120);
    feed(d, 5, () => 0);
    assert.equal(d.valueMs, 120);
  });

  test('changes smoothly: bounded rates up and down, so others never jump', () => {
    const d = new InterpolationDelay(30);
    let now = feed(d, 200, () => 0);
    d.update(now + 10000);
    const low = d.valueMs;
    assert.ok(near(low, 2 * INTERVAL, 1e-9));
    // Snapshots start arriving 100 ms late: the delay rises, at most DELAY_UP_RATE per ms.
    let prev = d.valueMs;
    let at = now + 10000;
    for (let i = 0; i < 300; i++) {
      at += INTERVAL;
      d.observe(100, at);
      d.update(at);
      assert.ok(d.valueMs - prev <= DELAY_UP_RATE * INTERVAL + 1e-9, `jump up at ${at}: ${prev} → ${d.valueMs}`);
      prev = d.valueMs;
    }
    assert.ok(near(d.valueMs, 2 * INTERVAL + 100, 1e-9), `delay ${d.valueMs}`);
    // On time again: it creeps back down, slower.
    for (let i = 0; i < 2000; i++) {
      at += INTERVAL;
      d.observe(0, at);
      d.update(at);
      assert.ok(prev - d.valueMs <= DELAY_DOWN_RATE * INTERVAL + 1e-9, `jump down at ${at}: ${prev} → ${d.valueMs}`);
      prev = d.valueMs;
    }
    assert.ok(near(d.valueMs, low, 1e-9), `delay ${d.valueMs}`);
  });

  test('stays within its bounds', () => {
    const d = new InterpolationDelay(30);
    let now = feed(d, 100, () => 5000);
    d.update(now + 1e6);
    assert.equal(d.valueMs, MAX_DELAY_MS);
    const e = new InterpolationDelay(120);
    now = feed(e, 100, () => -50);
    e.update(now + 1e6);
    assert.equal(e.valueMs, MIN_DELAY_MS);
  });
});

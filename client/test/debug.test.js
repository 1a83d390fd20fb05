import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debugLines, isDebugToggle } from '../src/debug.js';

test('the overlay lines name every measure', () => {
  const lines = debugLines({
    rttMs: 151.4, serverRttMs: 149.6, jitterMs: 8.2, clockOffsetMs: -1234567.25, clockErrorMs: 0.44, clockSnaps: 0,
    transitMs: 68.4, interpolationDelayMs: 84.7, delayTargetMs: 85.2, latenessMs: 18.1,
    prediction: { reconciles: 300, corrections: 12, snaps: 1, median: 0.5, p99: 40 },
    pendingInputs: 5, frames: 600, underruns: 6, bytesPerSecond: 2500, resyncs: 0, ack: 1234,
  });
  assert.deepEqual(lines, [
    'RTT 151 ms (server 150 ms) · jitter 8 ms',
    'clock offset −1234.567 s (server − local; slewing +0.4 ms, snaps 0) · one-way 68 ms',
    'interpolation delay 85 ms (target 85 ms, late p95 18 ms) · underruns 6/600 frames (1.0%)',
    'corrections 12/300 (snapped 1) · median 0.5 u · p99 40.0 u · pending 5',
    'received 2.5 kB/s · resyncs 0 · ack 1234',
  ]);
});

test('before any measure: dashes', () => {
  const lines = debugLines({
    rttMs: null, serverRttMs: null, jitterMs: null, clockOffsetMs: null, clockErrorMs: null, clockSnaps: 0,
    transitMs: null, interpolationDelayMs: 100, delayTargetMs: null, latenessMs: null,
    prediction: null, pendingInputs: 0, frames: 0, underruns: 0, bytesPerSecond: 0, resyncs: 0, ack: 0,
  });
  assert.equal(lines[0], 'RTT – (server –) · jitter –');
  assert.equal(lines[1], 'clock offset –');
  assert.equal(lines[2], 'interpolation delay 100 ms (target –, late p95 –) · underruns 0/0 frames (0.0%)');
  assert.equal(lines[3], 'corrections –');
});

test('backquote and F3 toggle it', () => {
  assert.ok(isDebugToggle('Backquote'));
  assert.ok(isDebugToggle('F3'));
  assert.ok(!isDebugToggle('KeyD'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  shouldReconnect, backoffDelay, RetrySchedule, FIRST_DELAY_MS, MAX_DELAY_MS, GIVE_UP_AFTER_MS,
} from '../src/reconnect.js';

test('which close codes are retried (PROTOCOL.md, "Reconnecting")', () => {
  const cases = [
    [1000, false, 'normal leave'],
    [1001, true, 'server shutting down'],
    [1003, false, 'unsupported data: our fault'],
    [1005, true, 'closed without a status'],
    [1006, true, 'connection lost'],
    [1007, false, 'invalid payload: our fault'],
    [1008, false, 'rate limit: our fault'],
    [1009, false, 'too big: our fault'],
    [1011, true, 'server error'],
    [1013, true, 'try again later'],
    [4000, true, 'fell behind'],
    [4001, true, 'no join in time'],
    [4002, false, 'no such room'],
    [4003, false, 'replaced'],
    [4400, false, 'we closed: bad server message'],
    [4999, false, 'unknown application code'],
    [1002, false, 'protocol error'],
    [1015, false, 'TLS failure'],
  ];
  for (const [code, want, why] of cases) assert.equal(shouldReconnect(code), want, `${code} (${why})`);
});

test('the backoff doubles from 0.5 s to 8 s, each wait between half the base and the base', () => {
  const bases = [500, 1000, 2000, 4000, 8000, 8000, 8000];
  assert.equal(FIRST_DELAY_MS, 500);
  assert.equal(MAX_DELAY_MS, 8000);
  bases.forEach((base, i) => {
    const attempt = i + 1;
    assert.equal(backoffDelay(attempt, () => 0), base / 2, `attempt ${attempt}, least jitter`);
    assert.equal(backoffDelay(attempt, () => 0.5), base * 0.75, `attempt ${attempt}, middle`);
    assert.ok(backoffDelay(attempt, () => 0.999999) <= base, `attempt ${attempt}, at most the base`);
  });
  assert.equal(backoffDelay(1000, () => 1), 8000, 'no overflow for large attempts');
  assert.throws(() => backoffDelay(0), RangeError);
});

test('a schedule numbers its tries and gives up after about 60 s', () => {
  const s = new RetrySchedule({ random: () => 1 }); // the longest waits
  let now = 1000;
  const waits = [];
  for (;;) {
    const next = s.next(now);
    if (!next) break;
    assert.equal(next.attempt, waits.length + 1);
    assert.equal(next.at, now + next.delayMs);
    waits.push(next.delayMs);
    now = next.at + 50; // the try fails 50 ms after it starts
  }
  assert.deepEqual(waits.slice(0, 6), [500, 1000, 2000, 4000, 8000, 8000]);
  const total = waits.reduce((a, b) => a + b, 0);
  assert.ok(total <= GIVE_UP_AFTER_MS, `waited ${total} ms in all`);
  assert.ok(total > GIVE_UP_AFTER_MS - MAX_DELAY_MS - 1000, `gave up early, after ${total} ms`);
  assert.equal(waits.length, 10); // 0.5 + 1 + 2 + 4 + 6 × 8 s, and 50 ms per try

  s.reset();
  assert.deepEqual(s.next(now), { attempt: 1, delayMs: 500, at: now + 500 }, 'a new drop starts over');
  assert.equal(s.elapsed(now + 200), 200);
});

test('jitter spreads the clients of one drop', () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const firsts = new Set();
  for (let i = 0; i < 50; i++) firsts.add(Math.round(new RetrySchedule({ random }).next(0).delayMs));
  assert.ok(firsts.size > 20, `only ${firsts.size} distinct first waits out of 50`);
  for (const d of firsts) assert.ok(d >= 250 && d <= 500, `first wait ${d}`);
});

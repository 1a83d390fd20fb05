import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryText, dropText, waitText, reconnectedText } from '../src/banner.js';

test('the banner says why, which try, and when the next one is', () => {
  const g = { dropped: { code: 1006 }, attempt: 3, retryAt: 12_000, playerId: 5 };
  assert.equal(retryText(g, 10_100), 'Connection lost — reconnecting (try 3, next in 2 s)…');
  assert.equal(retryText({ ...g, retryAt: null }, 10_100), 'Connection lost — reconnecting (try 3)…');
  assert.equal(retryText({ ...g, dropped: { code: 1001 }, attempt: 1 }, 11_500),
    'Server shutting down — reconnecting (try 1, next in 1 s)…');
  assert.equal(retryText({ ...g, playerId: null, attempt: 2 }, 10_000),
    'Could not connect — retrying (try 2, next in 2 s)…');
});

test('drop reasons and waits', () => {
  assert.equal(dropText(1013), 'Server busy or room full');
  assert.equal(dropText(1013, false, 'room full'), 'Room full');
  assert.equal(dropText(1013, false, 'no seat left for spectators'), 'No seat left for spectators');
  assert.equal(retryText({ dropped: { code: 1013, reason: 'room full' }, attempt: 1, retryAt: null, playerId: null }, 0),
    'Room full — retrying (try 1)…');
  assert.equal(dropText(4000), 'Fell behind');
  assert.equal(dropText(1005), 'Connection lost');
  assert.equal(waitText(0), '1 s');
  assert.equal(waitText(1001), '2 s');
  assert.equal(waitText(8000), '8 s');
});

test('after a reconnection: resumed, or a new player', () => {
  assert.equal(reconnectedText(true), 'Reconnected');
  assert.match(reconnectedText(false), /new player/);
});

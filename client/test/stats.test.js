import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateMeter, formatRate } from '../src/stats.js';
import { rankPlayers, scoreboardRows } from '../src/hud.js';

test('RateMeter counts bytes over a rolling second', () => {
  const m = new RateMeter(1000);
  assert.equal(m.perSecond(0), 0);
  m.add(0, 100);
  m.add(400, 200);
  m.add(900, 300);
  assert.equal(m.perSecond(900), 600);
  assert.equal(m.perSecond(999), 600);
  assert.equal(m.perSecond(1000), 500); // the sample at 0 has left the window
  assert.equal(m.perSecond(1450), 300);
  assert.equal(m.perSecond(5000), 0);
  assert.equal(m.samples.length, 0, 'old samples are dropped, not kept');
});

test('RateMeter scales other windows to one second', () => {
  const m = new RateMeter(500);
  m.add(10, 50);
  assert.equal(m.perSecond(20), 100);
});

test('formatRate', () => {
  assert.equal(formatRate(0), '0 B/s');
  assert.equal(formatRate(812.4), '812 B/s');
  assert.equal(formatRate(14234), '14.2 kB/s');
  assert.equal(formatRate(2_500_000), '2.50 MB/s');
});

const p = (id, kills, deaths) => ({ id, kills, deaths, name: `p${id}` });

test('scoreboard ranks by kills, then fewer deaths, then id', () => {
  const ranked = rankPlayers([p(1, 2, 5), p(2, 7, 1), p(3, 2, 1), p(4, 2, 1)]);
  assert.deepEqual(ranked.map((x) => x.id), [2, 3, 4, 1]);
});

test('scoreboard keeps your row when you are not in the top rows', () => {
  const players = [p(1, 9, 0), p(2, 8, 0), p(3, 7, 0), p(4, 0, 3)];
  const rows = scoreboardRows(players, p(4, 0, 3), 2);
  assert.deepEqual(rows.map((r) => [r.rank, r.player.id, r.self]), [[1, 1, false], [2, 2, false], [4, 4, true]]);
  const top = scoreboardRows(players, p(2, 8, 0), 2);
  assert.deepEqual(top.map((r) => [r.rank, r.self]), [[1, false], [2, true]]);
});

test('scoreboard: your row when the leaders of the scores message leave you out', () => {
  const leaders = [p(1, 9, 0), p(2, 8, 0)];
  const rows = scoreboardRows(leaders, p(7, 0, 1), 8);
  assert.deepEqual(rows.map((r) => [r.rank, r.player.id, r.self]), [[1, 1, false], [2, 2, false], [null, 7, true]]);
  assert.deepEqual(scoreboardRows([], undefined).length, 0);
});

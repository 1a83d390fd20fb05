import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoomList, fetchRooms } from '../src/roomlist.js';

const BODY = {
  rooms: [
    { id: 'k3x9m2qa', players: 3, spectators: 2, max_players: 100, max_spectators: 20, tick: 901, tick_p99_ms: 0.4, overruns: 0 },
    { id: 'b7c8d9ef', players: 0, spectators: 0, max_players: 100, max_spectators: 0, tick: 12, tick_p99_ms: 0.1, overruns: 0 },
  ],
};

test('the room list keeps id and counts, in the server\'s order', () => {
  assert.deepEqual(parseRoomList(BODY), [
    { id: 'k3x9m2qa', players: 3, spectators: 2, maxPlayers: 100, maxSpectators: 20 },
    { id: 'b7c8d9ef', players: 0, spectators: 0, maxPlayers: 100, maxSpectators: 0 },
  ]);
  assert.deepEqual(parseRoomList({ rooms: [] }), []);
});

test('entries that cannot be shown are left out; a body that is no list throws', () => {
  const rooms = [
    { id: '', players: 1, max_players: 2 },
    { id: 7, players: 1, max_players: 2 },
    { id: 'a', players: -1, max_players: 2 },
    { id: 'b', players: 1.5, max_players: 2 },
    { id: 'c', players: 1 },
    { id: 'd', players: 1, spectators: -1, max_players: 2 },
    { id: 'e', players: 1, spectators: '1', max_players: 2 },
    { id: 'f', players: 1, max_players: 2, max_spectators: -1 },
    null,
    { id: 'ok', players: 1, max_players: 2 },
  ];
  // No counts of spectators: none, in as many seats as players.
  assert.deepEqual(parseRoomList({ rooms }), [{ id: 'ok', players: 1, spectators: 0, maxPlayers: 2, maxSpectators: 2 }]);
  for (const bad of [null, [], {}, { rooms: {} }, 'rooms']) assert.throws(() => parseRoomList(bad), TypeError);
});

test('fetchRooms asks /rooms and reports HTTP errors', async () => {
  const asked = [];
  const ok = async (url) => { asked.push(url); return { ok: true, status: 200, json: async () => BODY }; };
  assert.equal((await fetchRooms('/rooms', ok)).length, 2);
  assert.deepEqual(asked, ['/rooms']);
  const down = async () => ({ ok: false, status: 503, json: async () => ({}) });
  await assert.rejects(fetchRooms('/rooms', down), /HTTP 503/);
});

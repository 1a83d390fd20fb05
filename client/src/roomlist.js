// The public rooms, from the server's GET /rooms:
//   {"rooms": [{"id", "players", "spectators", "max_players", "max_spectators", "tick",
//     "tick_p99_ms", "overruns"}]}
// Only the lobby's fields are kept. Pure apart from the fetch it is given, so Node tests
// import it.

/** How long the lobby waits for the list, in ms. */
export const FETCH_TIMEOUT_MS = 5000;

/**
 * parseRoomList turns the decoded JSON into [{id, players, spectators, maxPlayers,
 * maxSpectators}], in the server's order (fullest first). A room has maxPlayers seats for
 * players and maxSpectators for spectators. Entries without a usable id or counts are left
 * out (missing spectator counts are 0 spectators, in as many seats as players); a body that
 * is not a room list throws.
 */
export function parseRoomList(json) {
  if (!json || typeof json !== 'object' || !Array.isArray(json.rooms)) {
    throw new TypeError('rooms: want {"rooms": [...]}');
  }
  const count = (v) => Number.isInteger(v) && v >= 0;
  const out = [];
  for (const r of json.rooms) {
    if (!r || typeof r.id !== 'string' || r.id === '' || !count(r.players) || !count(r.max_players)) continue;
    const spectators = r.spectators ?? 0;
    const maxSpectators = r.max_spectators ?? r.max_players;
    if (!count(spectators) || !count(maxSpectators)) continue;
    out.push({ id: r.id, players: r.players, spectators, maxPlayers: r.max_players, maxSpectators });
  }
  return out;
}

/** fetchRooms gets and parses the room list; it throws with what went wrong. */
export async function fetchRooms(url = '/rooms', fetchImpl = globalThis.fetch) {
  const res = await fetchImpl(url, {
    cache: 'no-store',
    headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`rooms: HTTP ${res.status}`);
  return parseRoomList(await res.json());
}

// Where a player goes and how to share it: a target (quick play, a room by its id, or a new
// room, public or private; a room may also be watched, as a spectator), the game's WebSocket
// address for it, and the page address that names a room (/?room=ID, &spectate=1 to watch
// it). Pure (locations are arguments), so Node tests import it.

/** quickPlay: the server places the player in the fullest public room with space, or a new one. */
export function quickPlay() {
  return { kind: 'quick' };
}

/** roomTarget: the room with this id (the server closes with 4002 if there is none). */
export function roomTarget(id) {
  return { kind: 'room', room: id };
}

/**
 * watchRoom: the room with this id, watched as a spectator: no player, and a view the
 * watcher moves (PROTOCOL.md, "watch"). Spectators have seats of their own, so a room full of
 * players can still be watched.
 */
export function watchRoom(id) {
  return { kind: 'room', room: id, spectate: true };
}

/** newRoom: a new room; a private one is not listed and is joined only by its id. */
export function newRoom(isPrivate = false) {
  return { kind: 'create', private: Boolean(isPrivate) };
}

/**
 * targetFromSearch reads the page's query string: ?room=ID joins that room (&spectate=1:
 * watches it), ?create=1 (with &private=1) makes one, anything else is quick play.
 */
export function targetFromSearch(search) {
  const q = new URLSearchParams(search);
  const id = (q.get('room') ?? '').trim();
  if (id !== '') return q.get('spectate') === '1' ? watchRoom(id) : roomTarget(id);
  if (q.get('create') === '1') return newRoom(q.get('private') === '1');
  return quickPlay();
}

/** wsQuery is the /ws query string for target, with its "?", or ''. */
export function wsQuery(target) {
  const q = new URLSearchParams();
  switch (target?.kind) {
    case 'room':
      q.set('room', target.room);
      if (target.spectate) q.set('spectate', '1');
      break;
    case 'create':
      q.set('create', '1');
      if (target.private) q.set('private', '1');
      break;
    default: // quick play: no query
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * wsURL is the game's WebSocket address for target on the page's server (loc: the page's
 * location, or anything with protocol and host): ws(s)://<host>/ws[?query].
 */
export function wsURL(loc, target = quickPlay()) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws${wsQuery(target)}`;
}

/**
 * roomLink is the page address that joins room id: the page's origin and path with ?room=ID
 * and nothing else. The page shows it in the address bar and copies it to share, so it
 * carries no name (whoever opens it would play under that name, without the lobby), no
 * create (a reload would make yet another room) and no private (the id is all a join needs).
 * With spectate, it watches the room instead (&spectate=1): what the address bar shows while
 * watching, so that a reload goes on watching.
 */
export function roomLink(loc, id, spectate = false) {
  return `${loc.origin}${loc.pathname}?room=${encodeURIComponent(id)}${spectate ? '&spectate=1' : ''}`;
}

/** lobbyLink is the page address without a room: what the address bar shows after a 4002. */
export function lobbyLink(loc) {
  return `${loc.origin}${loc.pathname}`;
}

// The page: lobby, game loop, connection banner, close notice, a spectator's camera and the
// test hook (window.tickwire). It wires the modules together and decides nothing they can
// decide.

import { Session } from './session.js';
import { Game, GameState } from './game.js';
import { wsURL, quickPlay, roomTarget, watchRoom, targetFromSearch, roomLink, lobbyLink } from './address.js';
import { fetchRooms } from './roomlist.js';
import { Lobby } from './lobby.js';
import { Banner, LONG_FLASH_MS, reconnectedText, retryText } from './banner.js';
import { copyText } from './share.js';
import { Input, aimAngle } from './input.js';
import { Renderer } from './render.js';
import { Camera, viewScale, zoomBy, watchRadius, panned, inArena, nextToFollow } from './camera.js';
import { isWallAt } from './map.js';
import { Hud } from './hud.js';
import { DebugOverlay, isDebugToggle } from './debug.js';
import { generateName } from './names.js';
import { closeInfo, reconnectAdvice } from './protocol.js';

const $ = (id) => document.getElementById(id);
const canvas = $('arena');
const overlay = $('overlay');
const lobbyForm = $('lobby');
const closedPanel = $('closed');
const copyButton = $('copy-link');
const spectatingBar = $('spectating');

const input = new Input(canvas);
const renderer = new Renderer(canvas);
const camera = new Camera();
const hud = new Hud();
const banner = new Banner($('banner'));
const debugOverlay = new DebugOverlay($('debug'));
const lobby = new Lobby(document, { onPlay: play, loadRooms: () => fetchRooms() });

// Where the page was asked to go: /?room=ID, /?create=1, or quick play.
const pageTarget = targetFromSearch(location.search);

let game = null; // the current Game, from the first Play on
let drawn = []; // the players of the last frame, as drawn
let drawnBullets = []; // and its bullets
let zoom = 1; // the player's, from the mouse wheel
let lastFrameAt = null; // performance.now() of the last frame

// A spectator's camera: its centre in world units, which it watches around, the player it
// follows (an id, or null), and where a drag of the mouse was at the last frame.
const look = { x: 0, y: 0, following: null, drag: null };

// The name is remembered, since the shared address (/?room=ID) does not carry it.
const NAME_KEY = 'tickwire.name';
function storedName() {
  try {
    return localStorage.getItem(NAME_KEY);
  } catch {
    return null; // storage disabled
  }
}
function storeName(name) {
  try {
    if (name) localStorage.setItem(NAME_KEY, name);
  } catch {
    // storage disabled: the name is simply not remembered
  }
}

function aim() {
  // From your player where it is drawn (predicted), as the player sees it.
  const self = drawn.find((p) => p.id === game?.playerId) ?? game?.shown?.self();
  if (!self || !input.mouse) return null;
  const target = camera.screenToWorld(input.mouse.x, input.mouse.y);
  return aimAngle(self.x, self.y, target.x, target.y);
}

function play(target, name) {
  game?.stop();
  drawn = [];
  drawnBullets = [];
  storeName(name);
  showLobby();
  lobby.setMessage('');
  lobby.busy('Connecting…');
  game = new Game({
    name,
    target,
    openSession: ({ target: t, name: n, token, onWelcome, onClose }) =>
      new Session({ url: wsURL(location, t), name: n, token, spectator: Boolean(t.spectate), input, aim, onWelcome, onClose }),
    onChange: changed,
  }).start();
}

function changed(g, what) {
  if (g !== game) return; // a game the player has left
  switch (what) {
    case 'welcome':
    case 'reconnect':
      welcomed(g, what === 'reconnect');
      break;
    case 'retry':
    case 'attempt':
      // Once playing, the banner says it (frame() keeps it current) over the dimmed arena;
      // before, the lobby's status line does, and the player may pick something else.
      if (g.playerId !== null) document.body.classList.add('reconnecting');
      else {
        lobby.idle(retryText(g, performance.now()));
        // A room full of players can still be watched while a seat is waited for.
        const full = g.lastClose?.code === 1013 && g.lastClose.reason === 'room full';
        if (full && g.target.kind === 'room' && !g.spectating) lobby.offerWatch(g.target.room);
      }
      break;
    case 'end':
      ended(g);
      break;
    default:
  }
}

function welcomed(g, again) {
  overlay.hidden = true;
  $('hud').hidden = false;
  $('scoreboard').hidden = false;
  document.body.classList.remove('reconnecting');
  hud.setRoom(g.roomId);
  spectatingBar.hidden = !g.spectating;
  document.body.classList.toggle('spectating', g.spectating);
  if (g.spectating && !again) {
    // The server starts a spectator's watch at the arena's centre; so does the camera.
    const { map } = g.session.welcome;
    Object.assign(look, { x: map.width / 2, y: map.height / 2, following: null, drag: null });
  }
  // The address bar names the room, so that it can be shared or reloaded.
  history.replaceState(history.state, '', roomLink(location, g.roomId, g.spectating));
  if (again) banner.flash(reconnectedText(g.resumed), g.resumed ? 'ok' : 'warn', performance.now(), g.resumed ? undefined : LONG_FLASH_MS);
  // Keys typed into the name field are not game keys; leave the field.
  document.activeElement?.blur();
}

function ended(g) {
  document.body.classList.remove('reconnecting');
  input.releaseAll();
  const { end } = g;
  if (end.code === 4002 && !end.error) {
    // The room is gone (or never was): back to the lobby, with a room list to pick from.
    const id = g.roomId ?? g.target.room ?? '';
    history.replaceState(history.state, '', lobbyLink(location));
    showLobby();
    lobby.show({
      target: quickPlay(),
      message: g.playerId !== null
        ? `Room ${id} has closed. Pick another room below, or create one.`
        : `No such room: “${id}”. It may have closed. Pick another room below, or create one.`,
    });
    return;
  }
  showClosed(g);
}

function showLobby() {
  spectatingBar.hidden = true;
  document.body.classList.remove('spectating');
  closedPanel.hidden = true;
  lobbyForm.hidden = false;
  overlay.hidden = false;
  $('notice').hidden = true;
}

function showClosed(g) {
  const { end } = g;
  const first = end.dropped ?? end;
  $('close-code').textContent = `Close code ${first.code}: ${closeInfo(first.code).meaning}.`;
  if (end.gaveUp) {
    $('close-reason').textContent = `Gave up reconnecting after ${end.tries} ${end.tries === 1 ? 'try' : 'tries'}; ` +
      `the last one ended with ${end.code} (${closeInfo(end.code).meaning}).`;
    $('close-advice').textContent = 'The server may be down. Try again in a little while.';
  } else {
    const { reason, error } = end;
    $('close-reason').textContent = error ? `The client closed: ${error}` : (reason ? `Server: “${reason}”` : '');
    $('close-advice').textContent = reconnectAdvice(end.code);
  }
  spectatingBar.hidden = true;
  document.body.classList.remove('spectating');
  lobbyForm.hidden = true;
  closedPanel.hidden = false;
  overlay.hidden = false;
  $('notice').hidden = true;
  $('again').focus();
}

$('again').addEventListener('click', () => {
  showLobby();
  // Back to the room the player was in, if any: the lobby offers it first.
  const back = game?.spectating ? watchRoom : roomTarget;
  lobby.show({ target: game?.roomId ? back(game.roomId) : pageTarget });
});
copyButton.addEventListener('click', async () => {
  copyButton.blur(); // Space fires; it must not press this button again
  if (!game?.roomId) return;
  const ok = await copyText(roomLink(location, game.roomId));
  if (ok) banner.flash('Link copied: anyone who opens it joins this room', 'ok', performance.now());
  else banner.flash('Could not copy: the address bar has the link to this room', 'warn', performance.now(), LONG_FLASH_MS);
});
$('join-room').addEventListener('click', (e) => {
  e.currentTarget.blur();
  if (game?.roomId) play(roomTarget(game.roomId), lobby.name); // the lobby's name
});
addEventListener('keydown', (e) => {
  // A spectator's keys, while it watches (the overlay hidden): F follows the next player in
  // view (Shift+F the one before), Escape stops following. Tab still moves the focus, and
  // Ctrl+F still finds.
  if (!game?.spectating || !overlay.hidden || e.repeat || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target instanceof HTMLElement && e.target.tagName === 'INPUT') return;
  if (e.code === 'KeyF') {
    look.following = nextToFollow(drawn.map((p) => p.id), look.following, e.shiftKey);
  } else if (e.code === 'Escape') {
    look.following = null;
  }
});
addEventListener('keydown', (e) => {
  if (!isDebugToggle(e.code) || e.repeat) return;
  if (e.target instanceof HTMLElement && e.target.tagName === 'INPUT') return;
  e.preventDefault(); // F3 would open the browser's find bar
  debugOverlay.toggle();
});
canvas.addEventListener('wheel', (e) => {
  e.preventDefault();
  zoom = zoomBy(zoom, e.deltaMode === 0 ? e.deltaY : e.deltaY * 40); // lines → pixels
}, { passive: false });
// Leaving the page leaves the game at once rather than when the socket times out.
addEventListener('pagehide', () => game?.stop());

/**
 * moveLook moves a spectator's camera by what was held since the last frame (dtMs): the
 * direction keys and a drag pan it and stop any following; else it stays on the player it
 * follows, while that one is drawn.
 */
function moveLook(players, dtMs, tm) {
  const move = input.move();
  const mouse = input.mouseDown ? input.mouse : null;
  if (move.x !== 0 || move.y !== 0) {
    look.following = null;
    Object.assign(look, panned(look.x, look.y, move, dtMs, camera.scale, tm.width, tm.height));
  }
  if (mouse && look.drag) {
    const dx = (mouse.x - look.drag.x) / camera.scale;
    const dy = (mouse.y - look.drag.y) / camera.scale;
    if (dx !== 0 || dy !== 0) {
      look.following = null;
      Object.assign(look, inArena(look.x - dx, look.y - dy, tm.width, tm.height));
    }
  }
  look.drag = mouse ? { ...mouse } : null;
  if (look.following !== null) {
    const p = players.find((d) => d.id === look.following);
    if (p) Object.assign(look, { x: p.x, y: p.y });
    else look.following = null; // out of the game
  }
}

function frame() {
  requestAnimationFrame(frame);
  const now = performance.now();
  const dt = lastFrameAt === null ? 0 : Math.min(100, now - lastFrameAt); // no leap after a hidden tab
  lastFrameAt = now;
  const { width, height } = renderer.fit();
  const shown = game?.shown; // while reconnecting: the last state, frozen
  const view = shown?.view(now);
  const tm = shown?.tileMap;
  drawn = view ? view.players : [];
  drawnBullets = view ? view.bullets : [];
  // The camera follows your player; before the first snapshot, the arena's middle. A
  // spectator's goes where it is moved, and its area of interest goes with it.
  let cx = view?.self ? view.self.x : tm ? tm.width / 2 : 0;
  let cy = view?.self ? view.self.y : tm ? tm.height / 2 : 0;
  const spectating = game?.spectating && tm;
  if (spectating) {
    moveLook(drawn, dt, tm);
    cx = look.x;
    cy = look.y;
  }
  camera.set(cx, cy, width, height, viewScale(width, height) * zoom);
  if (spectating && game.connected) {
    game.session.watch(look.x, look.y, watchRadius(camera));
    const followed = look.following === null ? null : drawn.find((p) => p.id === look.following);
    hud.setWatching(followed ? `Following ${followed.name}` : `Watching room ${game.roomId}`);
  }
  renderer.draw({
    camera,
    tileMap: tm,
    rules: shown?.welcome?.rules,
    players: drawn,
    bullets: drawnBullets,
    selfId: shown?.welcome?.playerId,
  });
  if (game?.connected && game.session.connected) {
    const s = game.session;
    const snap = s.lastSnapshot;
    hud.update({
      scores: s.scores,
      self: s.self(),
      tick: snap ? snap.tick : null,
      rttMs: s.rttMs,
      serverRttMs: s.serverRttMs,
      bytesPerSecond: s.bytesPerSecond(now),
      inView: game.spectating ? drawn.length : null,
    }, now);
  }
  debugOverlay.update(game?.session?.welcome ? game.session.debug(now) : null, now);
  banner.update(game, now);
  if (game?.state === GameState.RECONNECTING && game.playerId === null) lobby.setStatus(retryText(game, now));
}

// The hook the browser tests read. Getters, so that it costs nothing until read.
window.tickwire = {
  get state() { return game?.state ?? 'lobby'; }, // lobby, connecting, playing, reconnecting, ended
  get connected() { return game?.session?.connected ?? false; },
  get playerId() { return game?.playerId ?? null; },
  get roomId() { return game?.roomId ?? null; },
  get reconnecting() { return game?.state === GameState.RECONNECTING; },
  get reconnectAttempt() { return game?.attempt ?? 0; }, // the try under way or next
  get reconnects() { return game?.reconnects ?? 0; }, // welcomes after the first
  get resumed() { return game?.resumed ?? null; }, // the last reconnection kept the player
  get tick() { return game?.shown?.lastSnapshot?.tick ?? 0; },
  get lastSnapshot() { return game?.shown?.lastSnapshot ?? null; },
  get welcome() { return game?.shown?.welcome ?? null; },
  get players() { return drawn; },
  get bullets() { return drawnBullets; },
  get scale() { return camera.scale; }, // CSS pixels per world unit
  worldToScreen(x, y) { return camera.worldToScreen(x, y); },
  isWall(x, y) { return game?.shown?.tileMap ? isWallAt(game.shown.tileMap, x, y) : true; },
  // The close that took the player out of the game (the drop, not the tries after it).
  get closeCode() { return (game?.dropped ?? game?.end)?.code ?? null; },
  get closeReason() { return (game?.dropped ?? game?.end)?.reason ?? null; },
  get lastCloseCode() { return game?.lastClose?.code ?? null; }, // the newest, of any try
  get bytesPerSecond() { return game?.session ? game.session.bytesPerSecond() : 0; },
  get rttMs() { return game?.session?.rttMs ?? null; },
  get serverRttMs() { return game?.session?.serverRttMs ?? null; },
  get protocol() { return game?.session?.conn?.ws?.protocol ?? null; }, // as negotiated
  get resyncs() { return game?.session?.resyncs ?? 0; }, // snapshots discarded on this connection
  get scores() { return game?.session?.scores ?? null; },
  get debug() { return game?.session?.welcome ? game.session.debug() : null; },
  get debugShown() { return debugOverlay.shown; },
  // Prediction: correction sizes in world units (CSS px at scale 1), newest last, and summaries.
  get corrections() { return game?.session?.predictor?.sizes.slice() ?? []; },
  get predictionStats() { return game?.session?.predictor?.stats() ?? null; },
  get frames() { return game?.session?.frames ?? 0; },
  get underruns() { return game?.session?.underruns ?? 0; },
  // The server time now by the pongs' estimate (ms; tick × ms per tick), or null before one.
  get serverClockMs() {
    const c = game?.session?.clock;
    return c?.ready ? c.serverMs(performance.now()) : null;
  },
  get tickRate() { return game?.session?.welcome?.tickRate ?? null; },
  // A spectator's: whether it watches, its camera's centre, the player it follows, and the
  // area of interest last sent to the server ({x, y, radius}, or null).
  get spectating() { return game?.spectating ?? false; },
  get look() { return { x: look.x, y: look.y, following: look.following }; },
  get watch() { return game?.session?.sentWatch ?? null; },
};

const params = new URLSearchParams(location.search);
lobby.name = params.get('name') ?? storedName() ?? generateName();
if (params.has('name')) {
  lobby.setTarget(pageTarget);
  play(pageTarget, lobby.name);
} else {
  lobby.show({ target: pageTarget });
}
requestAnimationFrame(frame);

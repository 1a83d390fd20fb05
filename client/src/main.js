// The page: join form, game loop, close notice and the test hook (window.tickwire).

import { Session } from './session.js';
import { wsURL } from './connection.js';
import { Input, aimAngle } from './input.js';
import { Renderer } from './render.js';
import { Camera, viewScale, zoomBy } from './camera.js';
import { isWallAt } from './map.js';
import { Hud } from './hud.js';
import { generateName } from './names.js';
import { closeInfo, reconnectAdvice } from './protocol.js';

const $ = (id) => document.getElementById(id);
const canvas = $('arena');
const overlay = $('overlay');
const form = $('join-form');
const nameInput = $('name');
const statusLine = $('status');
const closedPanel = $('closed');

const input = new Input(canvas);
const renderer = new Renderer(canvas);
const camera = new Camera();
const hud = new Hud();

let session = null;
let drawn = []; // the players of the last frame, as drawn
let drawnBullets = []; // and its bullets
let zoom = 1; // the player's, from the mouse wheel

function aim() {
  const self = session?.self();
  if (!self || !input.mouse) return null;
  const target = camera.screenToWorld(input.mouse.x, input.mouse.y);
  return aimAngle(self.x, self.y, target.x, target.y);
}

function play(name) {
  session?.stop();
  drawn = [];
  drawnBullets = [];
  form.hidden = false;
  closedPanel.hidden = true;
  overlay.hidden = false;
  statusLine.textContent = 'Connecting…';
  form.querySelector('button').disabled = true;
  session = new Session({
    url: wsURL(location),
    name,
    input,
    aim,
    onWelcome: () => {
      overlay.hidden = true;
      $('hud').hidden = false;
      $('scoreboard').hidden = false;
      // Keys typed into the name field are not game keys; leave the field.
      document.activeElement?.blur();
    },
    onClose: showClosed,
  });
}

function showClosed(s) {
  const { code, reason, error } = s.close;
  const info = closeInfo(code);
  $('close-code').textContent = `Close code ${code}: ${info.meaning}.`;
  $('close-reason').textContent = error ? `The client closed: ${error}` : (reason ? `Server: “${reason}”` : '');
  $('close-advice').textContent = reconnectAdvice(code);
  form.hidden = true;
  closedPanel.hidden = false;
  overlay.hidden = false;
  $('notice').hidden = true;
  input.releaseAll();
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  play(nameInput.value.trim());
});
$('again').addEventListener('click', () => {
  form.querySelector('button').disabled = false;
  statusLine.textContent = '';
  closedPanel.hidden = true;
  form.hidden = false;
  nameInput.focus();
});
canvas.addEventListener('wheel', (e) => {
  e.preventDefault();
  zoom = zoomBy(zoom, e.deltaMode === 0 ? e.deltaY : e.deltaY * 40); // lines → pixels
}, { passive: false });
// Leaving the page leaves the game at once rather than when the socket times out.
addEventListener('pagehide', () => session?.leave());

function frame() {
  requestAnimationFrame(frame);
  const now = performance.now();
  const { width, height } = renderer.fit();
  const view = session?.view(now);
  const tm = session?.tileMap;
  // The camera follows your player; before the first snapshot, the arena's middle.
  const cx = view?.self ? view.self.x : tm ? tm.width / 2 : 0;
  const cy = view?.self ? view.self.y : tm ? tm.height / 2 : 0;
  camera.set(cx, cy, width, height, viewScale(width, height) * zoom);
  drawn = view ? view.players : [];
  drawnBullets = view ? view.bullets : [];
  renderer.draw({
    camera,
    tileMap: tm,
    rules: session?.welcome?.rules,
    players: drawn,
    bullets: drawnBullets,
    selfId: session?.welcome?.playerId,
  });
  if (session?.connected) {
    const snap = session.lastSnapshot;
    hud.update({
      players: snap ? snap.players : [],
      selfId: session.welcome.playerId,
      tick: snap ? snap.tick : null,
      rttMs: session.rttMs,
      bytesPerSecond: session.bytesPerSecond(now),
    }, now);
  }
}

// The hook the browser test reads. Getters, so that it costs nothing until read.
window.tickwire = {
  get connected() { return session?.connected ?? false; },
  get playerId() { return session?.welcome?.playerId ?? null; },
  get tick() { return session?.lastSnapshot?.tick ?? 0; },
  get lastSnapshot() { return session?.lastSnapshot ?? null; },
  get welcome() { return session?.welcome ?? null; },
  get players() { return drawn; },
  get bullets() { return drawnBullets; },
  get scale() { return camera.scale; }, // CSS pixels per world unit
  worldToScreen(x, y) { return camera.worldToScreen(x, y); },
  isWall(x, y) { return session?.tileMap ? isWallAt(session.tileMap, x, y) : true; },
  get closeCode() { return session?.close?.code ?? null; },
  get closeReason() { return session?.close?.reason ?? null; },
  get bytesPerSecond() { return session ? session.bytesPerSecond() : 0; },
  get rttMs() { return session?.rttMs ?? null; },
};

const params = new URLSearchParams(location.search);
nameInput.value = generateName();
if (params.has('name')) {
  nameInput.value = params.get('name');
  play(nameInput.value);
} else {
  nameInput.focus();
  nameInput.select();
}
requestAnimationFrame(frame);

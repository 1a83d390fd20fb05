// End to end: a spectator in the browser. Alice plays; Carol opens the lobby, watches Alice's
// room from the room list, follows Alice, then looks away with the camera, zoomed in, until
// the server stops sending Alice (the area of interest goes where the camera goes), and back.
// Then she joins the room as a player from the spectator's bar. And a player sent to a room
// full of players is offered to watch it.
//
// Every wait polls a condition with a deadline; nothing sleeps for a fixed time.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode } from '@msgpack/msgpack';
import {
  TEST_TIMEOUT, VIEWPORT,
  buildServer, startServer, launchBrowser, openPlayer, waitFor, waitToSee, walkUntilSeen,
  screenshot, clearArtifacts, protocolState, Started, withServerLog,
} from './harness.js';

// What a test started, stopped in its end (inBrowser), and in after() should it time out.
const run = new Started('spectate-server.log');
after(() => run.stop());

/** inSnapshot reports whether p's newest snapshot has player id. */
function inSnapshot(p, id) {
  return p.page.evaluate((pid) => window.tickwire.lastSnapshot.players.some((x) => x.id === pid), id);
}

/** holdUntil holds keys in p's page until fn(arg) holds there, then lets them go. */
async function holdUntil(p, keys, fn, arg, what) {
  for (const k of keys) await p.page.keyboard.down(k);
  try {
    await waitFor(p, fn, arg, what);
  } finally {
    for (const k of keys) await p.page.keyboard.up(k);
  }
}

/**
 * inBrowser starts the server with args and the browser, and runs body({base, browser,
 * pages}), which adds the pages it opens to pages; then no page may have had an error. On a
 * failure it saves each page's screenshot and adds the server's log. It stops all it started.
 */
async function inBrowser(args, body) {
  const pages = [];
  try {
    const tmp = run.tmp = await mkdtemp(path.join(tmpdir(), 'tickwire-browser-'));
    const bin = path.join(tmp, 'tickwire');
    await buildServer(bin);
    const server = run.server = await startServer(bin, args);
    const browser = run.browser = await launchBrowser();
    await body({ base: `http://127.0.0.1:${server.port}`, browser, pages });
    for (const p of pages) assert.deepEqual(p.errors, [], `${p.name}: page errors`);
  } catch (err) {
    for (const p of pages) await screenshot(p, `spectate-${p.name.toLowerCase()}-failure.png`);
    throw withServerLog(err, run.server);
  } finally {
    await run.stop();
  }
}

test('a spectator watches a room from the lobby, follows and looks around, then joins it', { timeout: TEST_TIMEOUT }, async () => {
  await clearArtifacts(['spectate-']);
  // The default view radius: a spectator's is its own.
  await inBrowser([], async ({ base, browser, pages }) => {
    const alice = await openPlayer(browser, base, 'Alice');
    pages.push(alice);
    await waitFor(alice, () => window.tickwire.connected, null, 'connect');
    const { aliceId, room } = await alice.page.evaluate(() => ({ aliceId: window.tickwire.playerId, room: window.tickwire.roomId }));

    // 1. Carol opens the lobby and watches Alice's room from the list.
    const carol = await openPlayer(browser, base, 'Carol', { pagePath: '/' });
    pages.push(carol);
    const watchButton = carol.page.locator(`#room-list button[data-watch][data-room="${room}"]`);
    await watchButton.click({ timeout: 15_000 });
    await waitFor(carol, () => window.tickwire.connected && window.tickwire.spectating, null, 'connect as a spectator');
    const joined = await carol.page.evaluate(() => ({
      playerId: window.tickwire.playerId, roomId: window.tickwire.roomId, search: location.search,
      bar: !document.getElementById('spectating').hidden,
    }));
    assert.deepEqual(joined, { playerId: 0, roomId: room, search: `?room=${room}&spectate=1`, bar: true });
    const rooms = await carol.page.evaluate(async () => (await (await fetch('/rooms')).json()).rooms);
    const listed = rooms.find((r) => r.id === room);
    assert.equal(listed?.players, 1, JSON.stringify(rooms));
    assert.equal(listed?.spectators, 1, JSON.stringify(rooms));
    // Another lobby lists the room with its spectator.
    const dave = await openPlayer(browser, base, 'Dave', { pagePath: '/' });
    await waitFor(dave, (r) => document.querySelector(`#room-list button.room[data-room="${r}"] .room-players`)
      ?.textContent === '1 / 100 players' &&
      document.querySelector(`#room-list button.watch[data-room="${r}"]`)?.textContent === 'Watch · 1',
    room, 'list the room with its player and its spectator');
    await screenshot(dave, 'spectate-lobby.png');
    await dave.context.close();

    // 2. Her view takes in the whole screen, with a margin: the 1,280 x 800 arena from its
    // middle, so she sees Alice wherever she spawned.
    await waitToSee(carol, 'Alice');
    const first = await carol.page.evaluate(() => window.tickwire.watch);
    const halfDiagonal = Math.hypot(VIEWPORT.width, VIEWPORT.height) / 2;
    assert.ok(first && first.radius >= halfDiagonal, `first watch ${JSON.stringify(first)}`);

    // 3. F follows a player in view (Alice, the only one); the camera stays on her as she walks.
    await carol.page.keyboard.press('KeyF');
    await waitFor(carol, (id) => window.tickwire.look.following === id &&
      document.getElementById('spectating-what').textContent === 'Following Alice', aliceId, 'follow Alice');
    const { moved } = await walkUntilSeen(alice, carol, aliceId);
    assert.ok(moved, 'Carol never saw Alice move, whichever way she walked');
    await waitFor(carol, (id) => {
      const tw = window.tickwire;
      const a = tw.players.find((p) => p.id === id);
      return a && tw.look.following === id && Math.hypot(tw.look.x - a.x, tw.look.y - a.y) < 1e-6;
    }, aliceId, 'the camera on Alice');
    await waitFor(carol, () => document.getElementById('hud-score-label').textContent === 'In view' &&
      document.getElementById('hud-score').textContent === '1', null, 'the HUD count Alice in view');
    await screenshot(carol, 'spectate-carol-following.png');

    // 4. Escape stops following. Zoomed in, the area of interest shrinks with the view; Carol
    // looks away from Alice until the server no longer sends her, and back until it does.
    await carol.page.keyboard.press('Escape');
    await carol.page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height / 2);
    await carol.page.mouse.wheel(0, -3000);
    await waitFor(carol, () => window.tickwire.scale > 2 && window.tickwire.watch?.radius < 400, null,
      'zoom in, and a smaller area of interest sent');
    const a = await carol.page.evaluate((id) => window.tickwire.lastSnapshot.players.find((p) => p.id === id), aliceId);
    const away = [a.x < 640 ? 'KeyD' : 'KeyA', a.y < 400 ? 'KeyS' : 'KeyW'];
    const back = [a.x < 640 ? 'KeyA' : 'KeyD', a.y < 400 ? 'KeyW' : 'KeyS'];
    assert.ok(await inSnapshot(carol, aliceId));
    await holdUntil(carol, away, (id) => !window.tickwire.lastSnapshot.players.some((p) => p.id === id), aliceId,
      'look away until Alice is out of the snapshots');
    assert.equal(await carol.page.evaluate(() => window.tickwire.look.following), null);
    await screenshot(carol, 'spectate-carol-away.png');
    await holdUntil(carol, back, (id) => window.tickwire.lastSnapshot.players.some((p) => p.id === id), aliceId,
      'look back until Alice is in the snapshots again');

    // 5. On the wire: Carol's inputs carry only her ack, her watches stay within the rate and
    // the bounds, and no snapshot was discarded.
    const sent = carol.frames.sent.map((f) => decode(f));
    const inputs = sent.filter((m) => m[0] === 3);
    const watches = sent.filter((m) => m[0] === 9);
    assert.ok(inputs.length > 30, `${inputs.length} inputs`);
    for (const m of inputs) assert.deepEqual([m[3], m[4], m[5], m[6]], [0, 0, 0, 0], `input ${JSON.stringify(m)}`);
    assert.ok(watches.length >= 3, `${watches.length} watches`);
    for (const m of watches) assert.ok(m.length === 4 && m[3] >= 100 && m[3] <= 4000, `watch ${JSON.stringify(m)}`);
    // At most one every 100 ms (WATCH_INTERVAL_MS), that is one for three inputs at 30 Hz:
    // with an input a tick and two pings a second, well inside the server's message rate.
    assert.ok(watches.length <= inputs.length / 3 + 1, `${watches.length} watches for ${inputs.length} inputs`);
    assert.deepEqual(await protocolState(carol), { protocol: 'tickwire.v4', resyncs: 0 });

    // 6. "Play in this room": Carol leaves the seat of a spectator for a player's, in the
    // same room; Alice counts two players.
    await carol.page.locator('#join-room').click();
    await waitFor(carol, (r) => window.tickwire.connected && !window.tickwire.spectating &&
      window.tickwire.playerId > 0 && window.tickwire.roomId === r &&
      document.getElementById('spectating').hidden && location.search === `?room=${r}`, room, 'play in the room');
    await waitFor(carol, () => document.getElementById('hud-score-label').textContent === 'Kills / deaths', null,
      'the HUD show her score again');
    await waitFor(alice, () => window.tickwire.scores?.players === 2, null, 'two players in the scores');
  });
});

test('a player refused by a full room is offered to watch it instead', { timeout: TEST_TIMEOUT }, async () => {
  await inBrowser(['-max-players', '1'], async ({ base, browser, pages }) => {
    const alice = await openPlayer(browser, base, 'Alice');
    pages.push(alice);
    await waitFor(alice, () => window.tickwire.connected, null, 'connect');
    const room = await alice.page.evaluate(() => window.tickwire.roomId);

    // Erin follows a link to the room, which has no seat left: it keeps trying, and offers
    // to watch meanwhile.
    const erin = await openPlayer(browser, base, 'Erin', { pagePath: `/?room=${room}&name=Erin` });
    pages.push(erin);
    const offer = erin.page.locator('#watch-instead');
    await waitFor(erin, () => !document.getElementById('watch-instead').hidden &&
      /^Room full — retrying/.test(document.getElementById('status').textContent), null, 'an offer to watch, while retrying');
    assert.equal(await offer.textContent(), `Watch room ${room} instead`);
    assert.equal(await erin.page.evaluate(() => window.tickwire.lastCloseCode), 1013);
    await screenshot(erin, 'spectate-erin-room-full.png');
    await offer.click();
    await waitFor(erin, (r) => window.tickwire.connected && window.tickwire.spectating &&
      window.tickwire.playerId === 0 && window.tickwire.roomId === r, room, 'watch the full room');
    await waitToSee(erin, 'Alice');
  });
});

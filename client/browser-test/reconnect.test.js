// End to end, through a TCP proxy that can cut connections: Alice's connection is destroyed
// without a close frame; her page must say it is reconnecting, come back by itself and take
// the same player over (her token), while Bob sees her all along with the same id. Then the
// lobby and links: the room list, a link to a room, a link to a room that does not exist,
// and the "Copy link" button.
//
// Every wait polls a condition with a deadline; nothing sleeps for a fixed time.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode } from '@msgpack/msgpack';
import {
  ARTIFACTS, TEST_TIMEOUT,
  buildServer, startServer, launchBrowser, openPlayer, waitFor, waitToSee,
  zoomOut, walkUntilSeen, screenshot, clearArtifacts, startProxy, SEE_ALL, protocolState,
  Started, withServerLog,
} from './harness.js';

// A room id the server can never make: its alphabet has no o and no u.
const NO_SUCH_ROOM = 'nosuchrm';

// What the test started, stopped in its finally, and in after() should it time out.
const run = new Started('reconnect-server.log');
after(() => run.stop());

/** state is what p's page says about its connection. */
function state(p) {
  return p.page.evaluate(() => {
    const tw = window.tickwire;
    return {
      state: tw.state, connected: tw.connected, playerId: tw.playerId, roomId: tw.roomId,
      reconnects: tw.reconnects, resumed: tw.resumed, closeCode: tw.closeCode,
    };
  });
}

/**
 * watchPlayer starts recording, in p's page, every snapshot and frame in which player id is
 * missing; the record is window.watch.
 */
function watchPlayer(p, id) {
  return p.page.evaluate((pid) => {
    const tw = window.tickwire;
    const w = { snapshots: 0, missing: 0, frames: 0, notDrawn: 0 };
    let last = -1;
    window.watch = w;
    setInterval(() => {
      const s = tw.lastSnapshot;
      if (s && s.tick !== last) {
        last = s.tick;
        w.snapshots++;
        if (!s.players.some((x) => x.id === pid)) w.missing++;
      }
      w.frames++;
      if (!tw.players.some((x) => x.id === pid)) w.notDrawn++;
    }, 10);
  }, id);
}

const decodeAll = (list) => list.map((f) => decode(f));

test('a dropped connection resumes the same player; lobby, room links and 4002', { timeout: TEST_TIMEOUT }, async () => {
  const tmp = run.tmp = await mkdtemp(path.join(tmpdir(), 'tickwire-browser-'));
  await clearArtifacts(['reconnect-', 'lobby-']); // no screenshots left from an earlier run
  const players = [];
  const shoot = async (p, file) => screenshot(p, file);
  try {
    const bin = path.join(tmp, 'tickwire');
    await buildServer(bin);
    const server = run.server = await startServer(bin, SEE_ALL); // everyone in view; reconnection grace: the default 15 s
    const direct = `http://127.0.0.1:${server.port}`;
    // One proxy per player, so that cutting Alice's connections leaves Bob's alone.
    const proxyA = await startProxy(server.port);
    run.proxies.push(proxyA);
    const proxyB = await startProxy(server.port);
    run.proxies.push(proxyB);

    const browser = run.browser = await launchBrowser();
    const alice = await openPlayer(browser, `http://127.0.0.1:${proxyA.port}`, 'Alice');
    players.push(alice);
    const bob = await openPlayer(browser, `http://127.0.0.1:${proxyB.port}`, 'Bob');
    players.push(bob);
    for (const [me, other] of [[alice, bob], [bob, alice]]) await waitToSee(me, other.name);
    const before = await state(alice);
    const bobBefore = await state(bob);
    assert.equal(bobBefore.roomId, before.roomId, 'quick play puts both in the same room');
    assert.notEqual(before.playerId, bobBefore.playerId);

    // 1. The address bar names the room (and only the room), the HUD shows it.
    assert.equal(alice.page.url(), `http://127.0.0.1:${proxyA.port}/?room=${before.roomId}`);
    assert.equal(await alice.page.locator('#hud-room').textContent(), before.roomId);

    // 2. The lobby lists the room: Dave opens the page with no name and no room.
    const dave = await openPlayer(browser, direct, 'Dave', { pagePath: '/' });
    players.push(dave);
    await waitFor(dave, (room) => {
      const b = document.querySelector(`#room-list button[data-room="${room}"]`);
      return b && !b.disabled && /^2 \/ \d+ players$/.test(b.querySelector('.room-players').textContent);
    }, before.roomId, 'list the room with its 2 players');
    assert.equal(await dave.page.locator('#play').textContent(), 'Quick play');
    assert.equal((await state(dave)).state, 'lobby');
    await shoot(dave, 'lobby-rooms.png');
    await dave.context.close();
    players.pop();

    // 3. Alice's connections die without a close frame, and for a while no new one gets
    // through: her page says it is reconnecting, and keeps trying.
    await zoomOut(bob);
    await watchPlayer(bob, before.playerId);
    proxyA.block(true);
    assert.ok(proxyA.dropAll() >= 1, 'Alice had no connection to cut');
    await waitFor(alice, () => {
      const tw = window.tickwire;
      const banner = document.getElementById('banner');
      return tw.reconnecting && tw.reconnectAttempt >= 2 && !banner.hidden &&
        / next in /.test(banner.textContent) && document.body.classList.contains('reconnecting');
    }, null, 'say it is reconnecting, after a failed try');
    const banner = await alice.page.locator('#banner').textContent();
    assert.match(banner, /^Connection lost — reconnecting \(try \d+, next in \d+ s\)…$/);
    const dropped = await state(alice);
    assert.equal(dropped.closeCode, 1006);
    assert.equal(dropped.connected, false);
    await shoot(alice, 'reconnect-alice-banner.png');

    // 4. The way is open again: Alice comes back by herself, as the same player.
    proxyA.block(false);
    await waitFor(alice, () => window.tickwire.connected && window.tickwire.reconnects === 1, null,
      'reconnect by itself');
    const back = await state(alice);
    assert.equal(back.playerId, before.playerId, 'the same player after reconnecting');
    assert.equal(back.roomId, before.roomId);
    assert.equal(back.resumed, true);
    await waitFor(alice, () => document.getElementById('banner').textContent === 'Reconnected' &&
      !document.body.classList.contains('reconnecting'), null, 'say "Reconnected"');
    await waitToSee(alice, 'Bob');
    // The new connection speaks protocol 4 from a full snapshot: nothing discarded.
    assert.deepEqual(await protocolState(alice), { protocol: 'tickwire.v4', resyncs: 0 });
    await shoot(alice, 'reconnect-alice-resumed.png');

    // On the wire: the first socket was quick play; every try went to the room, and the one
    // that got through joined with the first welcome's token and numbered its inputs afresh.
    const [first, ...tries] = alice.sockets;
    assert.ok(tries.length >= 2, `${tries.length} tries after the first connection`);
    assert.match(first.url, /\/ws$/);
    for (const t of tries) assert.ok(t.url.endsWith(`/ws?room=${before.roomId}`), t.url);
    const welcome = decode(first.received[0]);
    assert.equal(welcome[0], 2);
    assert.equal(welcome[6], before.roomId);
    const token = welcome[7];
    const ok = tries.at(-1);
    const sent = decodeAll(ok.sent);
    assert.deepEqual(sent[0], [1, 'Alice', token]);
    const received = decodeAll(ok.received);
    assert.equal(received[0][0], 2);
    assert.equal(received[0][1], before.playerId, 'the new welcome names the same player');
    const firstInput = sent.find((m) => m[0] === 3);
    assert.equal(firstInput[1], 1, 'input seq starts again at 1');
    const ticks = new Set(received.filter((m) => m[0] === 4).map((m) => m[1]));
    assert.ok(firstInput[2] === 0 || ticks.has(firstInput[2]),
      `the first ack (${firstInput[2]}) is 0 or a tick of the new connection`);

    // 5. Bob saw Alice, with the same id, in every snapshot and every frame meanwhile.
    const watch = await bob.page.evaluate(() => window.watch);
    assert.ok(watch.snapshots > 20, `Bob watched only ${watch.snapshots} snapshots`);
    assert.equal(watch.missing, 0, `Alice was missing from ${watch.missing} of Bob's ${watch.snapshots} snapshots`);
    assert.equal(watch.notDrawn, 0, `Bob did not draw Alice in ${watch.notDrawn} of ${watch.frames} looks`);
    assert.equal((await state(bob)).reconnects, 0);

    // 6. The game goes on: Alice walks and Bob sees it.
    const { moved } = await walkUntilSeen(alice, bob, before.playerId);
    assert.ok(moved, 'after reconnecting, Bob never saw Alice move more than 40 units');

    // 7. A link to the room: the page asks for the name, offers the room, and joins it.
    const carol = await openPlayer(browser, direct, 'Carol', { pagePath: `/?room=${before.roomId}` });
    players.push(carol);
    await waitFor(carol, (room) => !document.getElementById('overlay').hidden &&
      document.getElementById('play').textContent === `Join room ${room}`, before.roomId,
    'offer to join the room of the link');
    await shoot(carol, 'lobby-room-link.png');
    await carol.page.fill('#name', 'Carol');
    await carol.page.click('#play');
    await waitFor(carol, (room) => window.tickwire.connected && window.tickwire.roomId === room,
      before.roomId, "join Alice's room");
    await waitFor(bob, () => {
      const s = window.tickwire.lastSnapshot;
      return s && s.players.length === 3 && s.players.some((p) => p.name === 'Carol');
    }, null, 'see 3 players, Carol among them');
    await waitToSee(carol, 'Alice');

    // 8. "Copy link" copies the room's link.
    await carol.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: direct });
    await carol.page.click('#copy-link');
    await waitFor(carol, () => /^Link copied/.test(document.getElementById('banner').textContent), null,
      'say the link was copied');
    assert.equal(await carol.page.evaluate(() => navigator.clipboard.readText()), `${direct}/?room=${before.roomId}`);

    // 9. A link to a room that does not exist: 4002, and the lobby says so.
    const eve = await openPlayer(browser, direct, 'Eve', { pagePath: `/?room=${NO_SUCH_ROOM}&name=Eve` });
    players.push(eve);
    await waitFor(eve, () => {
      const msg = document.getElementById('lobby-message');
      return window.tickwire.closeCode === 4002 && !document.getElementById('overlay').hidden &&
        !document.getElementById('lobby').hidden && !msg.hidden && /no such room/i.test(msg.textContent) &&
        document.querySelector('#room-list button[data-room]') !== null;
    }, null, 'show the lobby with a "no such room" message and the room list');
    assert.match(await eve.page.locator('#lobby-message').textContent(), new RegExp(NO_SUCH_ROOM));
    assert.equal(await eve.page.locator('#play').textContent(), 'Quick play');
    assert.equal(eve.page.url(), `${direct}/`, 'the address bar no longer names the room');
    assert.equal(eve.sockets.length, 1, 'no retry after 4002');
    await shoot(eve, 'lobby-no-such-room.png');

    for (const p of [alice, bob, carol]) {
      assert.deepEqual(await protocolState(p), { protocol: 'tickwire.v4', resyncs: 0 }, `${p.name}: protocol 4`);
    }
    for (const p of players) assert.deepEqual(p.errors, [], `${p.name}: page errors`);
  } catch (err) {
    for (const p of players) await shoot(p, `reconnect-${p.name.toLowerCase()}-failure.png`);
    throw withServerLog(err, run.server);
  } finally {
    await run.stop();
  }
});

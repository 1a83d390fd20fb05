// End to end: the real server binary, two headless Chromium pages (Alice and Bob), real
// WebSockets. Alice moves and fires; Bob must see it, on the wire and on his canvas. Then the
// server is stopped with SIGTERM: both pages must report close code 1001 and start reconnecting.
//
// Every wait polls a condition with a deadline; nothing sleeps for a fixed time.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode } from '@msgpack/msgpack';
import {
  ARTIFACTS, EXIT_TIMEOUT, TEST_TIMEOUT, VIEWPORT,
  withDeadline, buildServer, startServer, launchBrowser, openPlayer, waitFor, waitToSee,
  zoomOut, walkUntilSeen, screenshot, clearArtifacts, SEE_ALL, protocolState, Started, withServerLog,
} from './harness.js';

const COLOR_TOLERANCE = 12; // per channel, 0-255

/** hslToRgb: the RGB that hsl(h, s%, l%) paints, as CSS Color 4 defines it. */
function hslToRgb(h, s, l) {
  const f = (n) => {
    const k = (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

async function screenshots(players, suffix) {
  for (const p of players) await screenshot(p, `arena-${p.name.toLowerCase()}${suffix}.png`);
}

// What the test started, stopped in its finally, and in after() should it time out.
const run = new Started('arena-server.log');
after(() => run.stop());

test('two players see each other move and fire, and the server shuts down cleanly', { timeout: TEST_TIMEOUT }, async () => {
  const tmp = run.tmp = await mkdtemp(path.join(tmpdir(), 'tickwire-browser-'));
  await clearArtifacts(['arena-']); // no screenshots left from an earlier run
  const players = [];
  try {
    const bin = path.join(tmp, 'tickwire');
    await buildServer(bin);
    const server = run.server = await startServer(bin, SEE_ALL); // everyone in view, wherever they spawned

    const browser = run.browser = await launchBrowser();
    const base = `http://127.0.0.1:${server.port}`;
    const alice = await openPlayer(browser, base, 'Alice');
    players.push(alice);
    // Bob's screen has two device pixels per CSS pixel: the canvas must follow.
    const bob = await openPlayer(browser, base, 'Bob', { deviceScaleFactor: 2 });
    players.push(bob);

    // 1. Both connected, and each sees the other in its snapshots and on its canvas.
    for (const [me, other] of [[alice, bob], [bob, alice]]) await waitToSee(me, other.name);
    const aliceId = await alice.page.evaluate(() => window.tickwire.playerId);
    const bobId = await bob.page.evaluate(() => window.tickwire.playerId);
    assert.notEqual(aliceId, bobId);

    // Spawns are random and the arena is larger than the window: Bob zooms out with the
    // mouse wheel so that the whole arena, and Alice wherever she is, stays in his view.
    await zoomOut(bob);

    // 2. Alice walks until Bob sees her move.
    const { moved, start } = await walkUntilSeen(alice, bob, aliceId);
    assert.ok(start && start.alive, `Bob should draw Alice alive, got ${JSON.stringify(start)}`);
    assert.ok(moved, 'Bob never saw Alice move more than 40 units, whichever way she walked');

    // 3. Alice fires, holding the left button, until Bob sees her bullet. She aims away from
    // Bob, along a line with no wall close by (a bullet fired into a wall dies at once).
    const target = await alice.page.evaluate(({ otherId, reach }) => {
      const tw = window.tickwire;
      const me = tw.players.find((p) => p.id === tw.playerId);
      const other = tw.players.find((p) => p.id === otherId);
      const away = Math.atan2(me.y - other.y, me.x - other.x);
      const clear = (a) => {
        for (let d = 0; d <= reach; d += 4) {
          if (tw.isWall(me.x + Math.cos(a) * d, me.y + Math.sin(a) * d)) return false;
        }
        return true;
      };
      const angles = Array.from({ length: 16 }, (_, i) => away + (i % 2 ? 1 : -1) * Math.ceil(i / 2) * (Math.PI / 8));
      const aim = angles.find(clear) ?? away;
      const c = tw.worldToScreen(me.x, me.y);
      return { x: c.x + Math.cos(aim) * 120, y: c.y + Math.sin(aim) * 120 };
    }, { otherId: bobId, reach: 160 });
    await alice.page.mouse.move(target.x, target.y);
    await alice.page.mouse.down();
    await waitFor(bob, (id) => window.tickwire.lastSnapshot.bullets.some((b) => b.owner === id),
      aliceId, "see a bullet of Alice's in a snapshot");
    await waitFor(bob, (id) => window.tickwire.bullets.some((b) => b.owner === id),
      aliceId, "draw a bullet of Alice's");
    await alice.page.mouse.up();

    // 4. Bob's canvas shows Alice in her colour where he says he drew her. The position and
    // the pixel are read in one evaluation, so they belong to the same frame.
    const seen = await bob.page.evaluate((id) => {
      const tw = window.tickwire;
      const d = tw.players.find((p) => p.id === id);
      if (!d) return null;
      const s = tw.worldToScreen(d.x, d.y);
      const canvas = document.getElementById('arena');
      const k = canvas.width / canvas.clientWidth; // device pixels per CSS pixel
      const px = canvas.getContext('2d').getImageData(Math.round(s.x * k), Math.round(s.y * k), 1, 1).data;
      return { x: d.x, y: d.y, hue: d.hue, alive: d.alive, screen: s, rgb: [px[0], px[1], px[2]] };
    }, aliceId);
    assert.ok(seen, 'Bob no longer draws Alice');
    assert.ok(seen.alive, 'Alice should be alive on Bob\'s page');
    assert.ok(seen.screen.x >= 0 && seen.screen.x < VIEWPORT.width && seen.screen.y >= 0 && seen.screen.y < VIEWPORT.height,
      `Alice is off Bob's screen at ${JSON.stringify(seen.screen)}`);
    const want = hslToRgb(seen.hue, 0.7, 0.55);
    const diff = Math.max(...want.map((v, i) => Math.abs(v - seen.rgb[i])));
    assert.ok(diff <= COLOR_TOLERANCE,
      `pixel at Alice's position on Bob's canvas is rgb(${seen.rgb}), want her colour rgb(${want}) (hue ${seen.hue})`);
    assert.ok(Math.hypot(seen.x - start.x, seen.y - start.y) > 40,
      `Alice's position on Bob's page did not change: ${JSON.stringify(start)} → ${JSON.stringify(seen)}`);

    // 5. The HUD's measurements are live.
    for (const p of players) {
      const m = await p.page.evaluate(() => ({
        tick: window.tickwire.tick, rtt: window.tickwire.rttMs, bps: window.tickwire.bytesPerSecond,
      }));
      assert.ok(m.tick > 0, `${p.name}: tick ${m.tick}`);
      assert.ok(typeof m.rtt === 'number' && m.rtt >= 0 && m.rtt < 1000, `${p.name}: rtt ${m.rtt}`);
      assert.ok(m.bps > 100, `${p.name}: bytes/s ${m.bps}`);
    }

    // 6. Every frame on the wire, both ways, is binary, and the first one sent is the join.
    for (const p of players) {
      const { sent, received } = p.frames;
      assert.ok(sent.length > 10 && received.length > 10, `${p.name}: ${sent.length} sent, ${received.length} received`);
      for (const [dir, list] of [['sent', sent], ['received', received]]) {
        const text = list.filter((f) => !Buffer.isBuffer(f));
        assert.equal(text.length, 0, `${p.name}: ${text.length} text frames ${dir}: ${JSON.stringify(text.slice(0, 3))}`);
      }
      assert.deepEqual(decode(sent[0]), [1, p.name]);
      assert.equal(decode(received[0])[0], 2, 'the first frame received is the welcome');
    }
    for (const p of players) assert.deepEqual(p.errors, [], `${p.name}: page errors`);

    // 7. Protocol 4 was negotiated, and no snapshot had to be discarded (no baseline missing,
    // no checksum mismatch); the scoreboard and the player count come from scores messages.
    for (const p of players) {
      assert.deepEqual(await protocolState(p), { protocol: 'tickwire.v4', resyncs: 0 }, `${p.name}: protocol 4`);
      await waitFor(p, () => window.tickwire.scores && window.tickwire.scores.players === 2 &&
        document.getElementById('hud-players').textContent === '2' &&
        document.querySelectorAll('#scoreboard-rows tr').length === 2 &&
        /\d+ ms/.test(document.getElementById('hud-server-rtt').textContent), null,
      'scores: 2 players in the HUD and on the scoreboard, and the server RTT shown');
    }
    assert.deepEqual(decode(alice.frames.received.find((f) => decode(f)[0] === 4)).length, 9,
      'snapshots have the protocol 4 form');

    await screenshots(players, '');

    // 8. SIGTERM with both connected: both pages see 1001 (server shutting down), which is
    // worth retrying, so they say they are reconnecting; the server exits 0.
    server.proc.kill('SIGTERM');
    for (const p of players) {
      await waitFor(p, () => window.tickwire.closeCode === 1001 && window.tickwire.reconnecting, null,
        'close code 1001 after SIGTERM, then reconnecting');
      const shown = await p.page.locator('#banner').textContent();
      assert.match(shown, /^Server shutting down — reconnecting \(try \d+/);
    }
    const code = await withDeadline(server.exited, EXIT_TIMEOUT, 'the server to exit after SIGTERM');
    assert.equal(code, 0, `server exit: ${code}\n${server.log()}`);
    await screenshots(players, '-shutdown');
  } catch (err) {
    await screenshots(players, '-failure');
    throw withServerLog(err, run.server);
  } finally {
    await run.stop();
  }
});

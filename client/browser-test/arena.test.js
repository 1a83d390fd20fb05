// End to end: the real server binary, two headless Chromium pages (Alice and Bob), real
// WebSockets. Alice moves and fires; Bob must see it, on the wire and on his canvas. Then the
// server is stopped with SIGTERM and both pages must report close code 1001.
//
// Every wait polls a condition with a deadline; nothing sleeps for a fixed time.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from '@msgpack/msgpack';
import { chromium } from 'playwright-core';

const CLIENT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = path.resolve(CLIENT_DIR, '..');
const ARTIFACTS = path.join(CLIENT_DIR, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Deadlines, ms.
const BUILD_TIMEOUT = 120_000; // a cold `go build` of the server
const LISTEN_TIMEOUT = 20_000; // from start to the "listening" log line
const WAIT_TIMEOUT = 15_000; // any condition in the browser
const MOVE_TIMEOUT = 3_000; // one movement key, before trying another direction
const EXIT_TIMEOUT = 15_000; // from SIGTERM to the server's exit (its drain timeout is 5 s)
const TEST_TIMEOUT = 240_000;

const VIEWPORT = { width: 1000, height: 700 };
const COLOR_TOLERANCE = 12; // per channel, 0-255

/** withDeadline rejects with a clear message when p does not settle within ms. */
function withDeadline(p, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

function buildServer(bin) {
  return new Promise((resolve, reject) => {
    execFile('go', ['build', '-o', bin, './server'], { cwd: REPO_ROOT, timeout: BUILD_TIMEOUT },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`go build ./server failed: ${err.message}\n${stderr}`));
        else resolve();
      });
  });
}

/**
 * startServer runs the binary on a free port and resolves {proc, port, log, exited} once it
 * logs msg=listening; log() is what it printed so far, exited resolves to its exit code.
 */
function startServer(bin) {
  const proc = spawn(bin, ['-addr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const log = () => lines.join('\n');
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
  const listening = new Promise((resolve, reject) => {
    let partial = '';
    const onData = (chunk) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop();
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 500) lines.shift();
        const m = /msg=listening\b.*\baddr="?127\.0\.0\.1:(\d+)/.exec(line);
        if (m) resolve(Number(m[1]));
      }
    };
    proc.stdout.setEncoding('utf8').on('data', onData);
    proc.stderr.setEncoding('utf8').on('data', onData);
    proc.on('error', reject);
    exited.then((code) => reject(new Error(`the server exited (${code}) before listening:\n${log()}`)));
  });
  return withDeadline(listening, LISTEN_TIMEOUT, `the server's "msg=listening addr=..." log line`)
    .then((port) => ({ proc, port, log, exited }));
}

/** hslToRgb: the RGB that hsl(h, s%, l%) paints, as CSS Color 4 defines it. */
function hslToRgb(h, s, l) {
  const f = (n) => {
    const k = (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** openPlayer opens the game as name and records every WebSocket frame's payload. */
async function openPlayer(browser, port, name, deviceScaleFactor) {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor });
  const page = await context.newPage();
  const frames = { sent: [], received: [] };
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => frames.sent.push(f.payload));
    ws.on('framereceived', (f) => frames.received.push(f.payload));
  });
  await page.goto(`http://127.0.0.1:${port}/?name=${name}`);
  return { name, context, page, frames, errors };
}

/** waitFor polls fn(arg) in the page until it is truthy. */
function waitFor(p, fn, arg, what, timeout = WAIT_TIMEOUT) {
  return p.page.waitForFunction(fn, arg, { timeout, polling: 50 })
    .catch((err) => { throw new Error(`${p.name}'s page: ${what}: ${err.message}`); });
}

/** drawnPlayer is player id as p's page drew it in its last frame. */
function drawnPlayer(p, id) {
  return p.page.evaluate((pid) => {
    const d = window.tickwire.players.find((x) => x.id === pid);
    return d ? { x: d.x, y: d.y, hue: d.hue, alive: d.alive } : null;
  }, id);
}

async function screenshots(players, suffix) {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const p of players) {
    await p.page.screenshot({ path: path.join(ARTIFACTS, `arena-${p.name.toLowerCase()}${suffix}.png`) })
      .catch(() => {});
  }
}

// What the test started, for cleanup: in its finally, and in after() should it time out.
let tmp;
let server;
let browser;

async function cleanup() {
  if (server) {
    await writeFile(path.join(ARTIFACTS, 'server.log'), `${server.log()}\n`).catch(() => {});
    if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
    server = undefined;
  }
  if (browser) {
    await browser.close().catch(() => {});
    browser = undefined;
  }
  if (tmp) {
    await rm(tmp, { recursive: true, force: true });
    tmp = undefined;
  }
}

after(cleanup);

test('two players see each other move and fire, and the server shuts down cleanly', { timeout: TEST_TIMEOUT }, async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'tickwire-browser-'));
  await rm(ARTIFACTS, { recursive: true, force: true }); // no screenshots left from an earlier run
  await mkdir(ARTIFACTS, { recursive: true });
  const players = [];
  try {
    const bin = path.join(tmp, 'tickwire');
    await buildServer(bin);
    server = await startServer(bin);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: WAIT_TIMEOUT,
    });
    const alice = await openPlayer(browser, server.port, 'Alice', 1);
    players.push(alice);
    // Bob's screen has two device pixels per CSS pixel: the canvas must follow.
    const bob = await openPlayer(browser, server.port, 'Bob', 2);
    players.push(bob);

    // 1. Both connected, and each sees the other in its snapshots and on its canvas.
    for (const [me, other] of [[alice, bob], [bob, alice]]) {
      await waitFor(me, (name) => {
        const tw = window.tickwire;
        const s = tw && tw.connected && tw.lastSnapshot;
        const p = s && s.players.find((x) => x.name === name);
        return p && tw.players.some((d) => d.id === p.id);
      }, other.name, `connect and see ${other.name}`);
    }
    const aliceId = await alice.page.evaluate(() => window.tickwire.playerId);
    const bobId = await bob.page.evaluate(() => window.tickwire.playerId);
    assert.notEqual(aliceId, bobId);

    // Spawns are random and the arena is larger than the window: Bob zooms out with the
    // mouse wheel so that the whole arena, and Alice wherever she is, stays in his view.
    await bob.page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height / 2);
    await bob.page.mouse.wheel(0, 3000);
    await waitFor(bob, () => window.tickwire.scale < 0.4, null, 'zoom out with the mouse wheel');
    const start = await drawnPlayer(bob, aliceId);
    assert.ok(start && start.alive, `Bob should draw Alice alive, got ${JSON.stringify(start)}`);

    // 2. Alice walks. A wall may block one way, so try the others in turn.
    let moved = false;
    for (const key of ['KeyD', 'KeyA', 'KeyS', 'KeyW']) {
      await alice.page.keyboard.down(key);
      moved = await bob.page.waitForFunction(({ id, x, y }) => {
        const d = window.tickwire.players.find((p) => p.id === id);
        return d && Math.hypot(d.x - x, d.y - y) > 40;
      }, { id: aliceId, x: start.x, y: start.y }, { timeout: MOVE_TIMEOUT, polling: 50 })
        .then(() => true, () => false);
      await alice.page.keyboard.up(key);
      if (moved) break;
    }
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

    await screenshots(players, '');

    // 7. SIGTERM with both connected: both pages see 1001, the server exits 0.
    server.proc.kill('SIGTERM');
    for (const p of players) {
      await waitFor(p, () => window.tickwire.closeCode === 1001, null, 'close code 1001 after SIGTERM');
      const shown = await p.page.locator('#close-code').textContent();
      assert.match(shown, /1001/);
    }
    const code = await withDeadline(server.exited, EXIT_TIMEOUT, 'the server to exit after SIGTERM');
    assert.equal(code, 0, `server exit: ${code}\n${server.log()}`);
    await screenshots(players, '-closed');
  } catch (err) {
    await screenshots(players, '-failure');
    if (server) err.message += `\n--- server log (last lines) ---\n${server.log().split('\n').slice(-40).join('\n')}`;
    throw err;
  } finally {
    await cleanup();
  }
});

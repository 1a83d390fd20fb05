// End to end on a bad network: the server's impaired address adds 75 ms ± 10 ms each way
// (a round trip of about 150 ms ± 20 ms). Alice's own player must move on the first frame
// after a key press (prediction), the server must agree with the prediction closely while she
// walks about (correction sizes), and interpolation must rarely run dry (underruns), drawing
// others on the server clock estimated from the pongs with the adaptive delay. The
// numbers are written to artifacts/prediction-numbers.json and printed. Then Bob joins on the
// plain address, with the server's default view radius (700): he sees only who is near, but
// the scoreboard and the player count (scores messages) still show everyone.
//
// Every wait polls a condition with a deadline; nothing sleeps for a fixed time.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import {
  ARTIFACTS, TEST_TIMEOUT, WAIT_TIMEOUT, LISTEN_TIMEOUT,
  withDeadline, buildServer, startServer, launchBrowser, openPlayer, waitFor, screenshot,
  clearArtifacts, protocolState,
  Started, withServerLog,
} from './harness.js';

const IMPAIR = 'latency=75ms,jitter=10ms';
const VIEW_RADIUS = 700; // the server's default
const HYSTERESIS = 1.15; // what is in view stays until 15% beyond the radius
// The walk of the steady run: each key held for this many server ticks (30 per second).
const WALK = [['KeyD', 20], ['KeyS', 20], ['KeyA', 20], ['KeyW', 20], ['KeyD', 10], ['KeyW', 10], ['KeyA', 15], ['KeyS', 15]];
const ROUNDS = 2;

// What the test started, stopped in its finally, and in after() should it time out.
const run = new Started('prediction-server.log');
after(() => run.stop());

/** freePort: a loopback port nobody listens on (bound, then released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** waitForLog resolves once the server has printed a line matching re. */
function waitForLog(srv, re, what) {
  return withDeadline(new Promise((resolve) => {
    const poll = () => (re.test(srv.log()) ? resolve() : setTimeout(poll, 20));
    poll();
  }), LISTEN_TIMEOUT, what);
}

/** waitTicks waits until p's newest snapshot is n ticks past the one it has now. */
async function waitTicks(p, n) {
  const t0 = await p.page.evaluate(() => window.tickwire.tick);
  await waitFor(p, (t) => window.tickwire.tick >= t, t0 + n, `wait for ${n} ticks`, WAIT_TIMEOUT);
}

/**
 * installProbe records, every animation frame after the page's own, where the page drew its
 * own player, and the frame during which a key went down.
 */
function installProbe(p) {
  return p.page.evaluate(() => {
    const probe = { frames: [], key: null };
    window.probe = probe;
    const loop = (t) => {
      const tw = window.tickwire;
      const me = tw.players.find((q) => q.id === tw.playerId);
      const server = tw.lastSnapshot?.players.find((q) => q.id === tw.playerId);
      probe.frames.push({ t, x: me?.x, y: me?.y, sx: server?.x, sy: server?.y });
      if (probe.frames.length > 2000) probe.frames.splice(0, 1000);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    addEventListener('keydown', (e) => {
      if (!e.repeat) probe.key = { code: e.code, frame: probe.frames.length, at: performance.now() };
    }, { capture: true });
  });
}

/**
 * keyResponse presses key and waits until the drawn player has moved; it returns how many
 * frames that took after the key press (1: the first frame), and the ms until the server's
 * snapshot showed the move (the prediction's head start). Null if a wall blocked the way.
 */
async function keyResponse(p, key) {
  await p.page.evaluate(() => { window.probe.key = null; });
  await waitFor(p, () => window.probe.frames.length > 2, null, 'frames recorded');
  await p.page.keyboard.down(key);
  const r = await p.page.waitForFunction(() => {
    const { frames, key: k } = window.probe;
    if (!k || k.frame < 1 || frames.length < k.frame + 1) return null;
    const before = frames[k.frame - 1];
    const moved = (f) => Math.hypot(f.x - before.x, f.y - before.y) > 1e-6;
    const served = (f) => Math.hypot(f.sx - before.sx, f.sy - before.sy) > 1e-6;
    const seen = frames.slice(k.frame);
    const i = seen.findIndex(moved);
    const j = seen.findIndex(served);
    if (i >= 0 && j >= 0) return { frames: i + 1, serverMs: seen[j].t - k.at, drawnMs: seen[i].t - k.at };
    if (performance.now() - k.at > 1500) return { frames: null };
    return null;
  }, null, { timeout: WAIT_TIMEOUT, polling: 20 }).then((h) => h.jsonValue());
  await p.page.keyboard.up(key);
  await waitTicks(p, 10); // stand still again before the next key
  return r.frames === null ? null : r;
}

test('on a 150 ms network, your player moves at once and the server agrees', { timeout: TEST_TIMEOUT }, async () => {
  const tmp = run.tmp = await mkdtemp(path.join(tmpdir(), 'tickwire-browser-'));
  await clearArtifacts(['prediction-']);
  let alice;
  let bob;
  try {
    const bin = path.join(tmp, 'tickwire');
    await buildServer(bin);
    const port = await freePort();
    const server = run.server = await startServer(bin, ['-impair-addr', `127.0.0.1:${port}`, '-impair', IMPAIR]);
    await waitForLog(server, new RegExp(`impaired address listening.*127\\.0\\.0\\.1:${port}`), 'the impaired address');

    const browser = run.browser = await launchBrowser();
    alice = await openPlayer(browser, `http://127.0.0.1:${port}`, 'Alice');
    await waitFor(alice, () => {
      const tw = window.tickwire;
      return tw.connected && tw.lastSnapshot && tw.players.some((q) => q.id === tw.playerId) && tw.serverRttMs > 0;
    }, null, 'play, and have the server measure the round trip', 2 * WAIT_TIMEOUT);
    assert.equal((await protocolState(alice)).protocol, 'tickwire.v4');
    const rtt = await alice.page.evaluate(() => ({ rtt: window.tickwire.rttMs, server: window.tickwire.serverRttMs }));
    assert.ok(rtt.rtt > 120 && rtt.rtt < 400, `the impaired round trip: ${rtt.rtt} ms`);

    // 1. Each key moves the drawn player on the first frame after it went down; the server's
    // word arrives about a round trip later.
    await installProbe(alice);
    const responses = {};
    for (const key of ['KeyD', 'KeyA', 'KeyS', 'KeyW']) responses[key] = await keyResponse(alice, key);
    const answered = Object.values(responses).filter(Boolean);
    assert.ok(answered.length >= 2, `walls blocked too many ways: ${JSON.stringify(responses)}`);
    for (const [key, r] of Object.entries(responses)) {
      if (r) assert.equal(r.frames, 1, `${key}: the drawn player moved ${r.frames} frames after the key press`);
    }

    // 2. A steady run: walking about, direction changing every half second or so.
    const start = await alice.page.evaluate(() => ({ ...window.tickwire.predictionStats, frames: window.tickwire.frames, underruns: window.tickwire.underruns, n: window.tickwire.corrections.length }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [key, ticks] of WALK) {
        await alice.page.keyboard.down(key);
        await waitTicks(alice, ticks);
        await alice.page.keyboard.up(key);
      }
    }
    await waitTicks(alice, 10);
    const end = await alice.page.evaluate(() => ({
      ...window.tickwire.predictionStats, frames: window.tickwire.frames, underruns: window.tickwire.underruns,
      corrections: window.tickwire.corrections, debug: window.tickwire.debug, resyncs: window.tickwire.resyncs,
      // How far the estimated server time is past the newest snapshot's tick: about the
      // one-way transit, plus up to a snapshot interval.
      newestAgeMs: window.tickwire.serverClockMs - window.tickwire.tick * 1000 / window.tickwire.tickRate,
    }));
    const sizes = end.corrections.slice(start.n);
    const reconciles = end.reconciles - start.reconciles;
    const q = (v, k) => {
      if (!v.length) return 0;
      const s = [...v].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.ceil(k * s.length) - 1)];
    };
    // Every snapshot counts; one that agreed with the prediction is a correction of 0.
    const all = [...sizes, ...Array(Math.max(0, reconciles - sizes.length)).fill(0)];
    const frames = end.frames - start.frames;
    const underruns = end.underruns - start.underruns;
    const numbers = {
      impair: IMPAIR,
      rttMs: rtt.rtt,
      serverRttMs: rtt.server,
      keyResponses: responses,
      steadyRun: {
        snapshots: reconciles,
        corrections: sizes.length,
        correctionMedian: q(sizes, 0.5),
        correctionP99: q(sizes, 0.99),
        correctionMax: sizes.length ? Math.max(...sizes) : 0,
        allSnapshotsMedian: q(all, 0.5),
        allSnapshotsP99: q(all, 0.99),
        frames,
        underruns,
        underrunShare: frames ? underruns / frames : 0,
        interpolationDelayMs: end.debug.interpolationDelayMs,
        clockOffsetMs: end.debug.clockOffsetMs,
        transitMs: end.debug.transitMs,
        newestSnapshotAgeMs: end.newestAgeMs,
      },
      debug: end.debug,
    };
    await writeFile(path.join(ARTIFACTS, 'prediction-numbers.json'), `${JSON.stringify(numbers, null, 2)}\n`);
    console.log(JSON.stringify(numbers));

    assert.equal(end.resyncs, 0, 'no snapshot discarded');
    assert.ok(reconciles > 100, `only ${reconciles} snapshots in the steady run`);
    assert.ok(frames > 100, `only ${frames} frames in the steady run`);
    assert.equal(numbers.steadyRun.allSnapshotsMedian, 0, 'corrections: median over all snapshots');
    assert.ok(numbers.steadyRun.allSnapshotsP99 < 2, `corrections: p99 over all snapshots ${numbers.steadyRun.allSnapshotsP99} units`);
    assert.ok(numbers.steadyRun.underrunShare < 0.01, `underruns: ${underruns} of ${frames} frames`);
    // Others are drawn on the server clock: it is known, and puts the newest snapshot about a
    // one-way trip (75 ms ± 10) in the past.
    assert.ok(end.debug.clockOffsetMs != null, 'the server clock estimate');
    assert.ok(end.newestAgeMs > 30 && end.newestAgeMs < 200, `newest snapshot ${end.newestAgeMs} ms old by the server clock`);
    const d = end.debug.interpolationDelayMs;
    assert.ok(d >= 50 && d <= 300, `interpolation delay ${d} ms`);

    // 3. The debug overlay (backquote) shows the measures.
    await alice.page.keyboard.press('Backquote');
    await waitFor(alice, () => /RTT \d+ ms \(server \d+ ms\)/.test(document.getElementById('debug').textContent) &&
      /clock offset [+−]\d+\.\d+ s/.test(document.getElementById('debug').textContent) &&
      /interpolation delay \d+ ms \(target \d+ ms/.test(document.getElementById('debug').textContent) &&
      /underruns/.test(document.getElementById('debug').textContent), null, 'show the debug overlay');
    await screenshot(alice, 'prediction-debug.png');
    await alice.page.keyboard.press('F3');
    await waitFor(alice, () => document.getElementById('debug').hidden, null, 'hide the debug overlay with F3');

    // 4. Interest: Bob, on the plain address, sees nobody beyond the view radius (plus its
    // hysteresis) in any snapshot, yet the room's count and scoreboard name both players.
    bob = await openPlayer(browser, `http://127.0.0.1:${server.port}`, 'Bob');
    await bob.page.evaluate(() => {
      window.farthest = 0;
      window.snapshots = 0;
      const look = () => {
        const tw = window.tickwire;
        const s = tw.lastSnapshot;
        const me = s && s.players.find((q) => q.id === tw.playerId);
        if (me && s.tick !== window.lastTick) {
          window.lastTick = s.tick;
          window.snapshots++;
          for (const q of s.players) window.farthest = Math.max(window.farthest, Math.hypot(q.x - me.x, q.y - me.y));
        }
        requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    });
    for (const p of [alice, bob]) {
      await waitFor(p, () => window.tickwire.scores?.players === 2 &&
        document.getElementById('hud-players').textContent === '2' &&
        document.querySelectorAll('#scoreboard-rows tr').length === 2, null, 'count 2 players and list both');
    }
    await waitTicks(bob, 30);
    const interest = await bob.page.evaluate(() => ({ farthest: window.farthest, snapshots: window.snapshots, protocol: window.tickwire.protocol, resyncs: window.tickwire.resyncs }));
    assert.ok(interest.snapshots > 10, `Bob looked at ${interest.snapshots} snapshots`);
    assert.ok(interest.farthest <= VIEW_RADIUS * HYSTERESIS, `Bob saw a player ${interest.farthest} units away`);
    assert.deepEqual([interest.protocol, interest.resyncs], ['tickwire.v4', 0]);
    await screenshot(bob, 'prediction-bob.png');
    console.log(JSON.stringify({ interest }));
    for (const p of [alice, bob]) assert.deepEqual(p.errors, [], `${p.name}: page errors`);
  } catch (err) {
    if (alice) await screenshot(alice, 'prediction-alice-failure.png');
    if (bob) await screenshot(bob, 'prediction-bob-failure.png');
    throw withServerLog(err, run.server);
  } finally {
    await run.stop();
  }
});

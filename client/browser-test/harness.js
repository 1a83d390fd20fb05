// What the browser tests share: building and starting the real server binary, launching
// Debian's chromium headless, opening players that record their WebSocket frames, waiting
// on conditions with deadlines, screenshots, and a TCP proxy that can cut connections.
//
// Not a test file itself (node --test runs only *.test.js here).

import { spawn, execFile } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const CLIENT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(CLIENT_DIR, '..');
export const ARTIFACTS = path.join(CLIENT_DIR, 'artifacts');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Deadlines, ms.
export const BUILD_TIMEOUT = 120_000; // a cold `go build` of the server
export const LISTEN_TIMEOUT = 20_000; // from start to the "listening" log line
export const WAIT_TIMEOUT = 15_000; // any condition in the browser
export const MOVE_TIMEOUT = 3_000; // one movement key, before trying another direction
export const EXIT_TIMEOUT = 15_000; // from SIGTERM to the server's exit (its drain timeout is 5 s)
export const TEST_TIMEOUT = 240_000;

export const VIEWPORT = { width: 1000, height: 700 };

/**
 * Server flags for tests that need every player in view. With protocol 4 a player sees only
 * what is within -view-radius (700 units by default) of it, and two random spawns in the
 * 1280x800 courtyard can be farther apart than that (its diagonal is about 1510): 2000 covers
 * the whole arena, so such tests do not depend on where the players spawned.
 */
export const SEE_ALL = ['-view-radius', '2000'];

/** protocolState is what p's page says about protocol 4: the negotiated subprotocol, resyncs. */
export function protocolState(p) {
  return p.page.evaluate(() => ({ protocol: window.tickwire.protocol, resyncs: window.tickwire.resyncs }));
}

/** withDeadline rejects with a clear message when p does not settle within ms. */
export function withDeadline(p, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export function buildServer(bin) {
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
export function startServer(bin, args = []) {
  const proc = spawn(bin, ['-addr', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

/** stopServer kills the server if it still runs. */
export function stopServer(server) {
  if (server && server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
}

/** launchBrowser starts Debian's chromium, headless. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: WAIT_TIMEOUT,
  });
}

/**
 * openPlayer opens base + pagePath (default /?name=<name>) in a new browser context and
 * records every WebSocket: frames (all payloads, both ways) and sockets (per WebSocket, in
 * order: {url, sent, received, closed}).
 */
export async function openPlayer(browser, base, name, { deviceScaleFactor = 1, pagePath } = {}) {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor });
  const page = await context.newPage();
  const frames = { sent: [], received: [] };
  const sockets = [];
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('websocket', (ws) => {
    const rec = { url: ws.url(), sent: [], received: [], closed: false };
    sockets.push(rec);
    ws.on('framesent', (f) => { frames.sent.push(f.payload); rec.sent.push(f.payload); });
    ws.on('framereceived', (f) => { frames.received.push(f.payload); rec.received.push(f.payload); });
    ws.on('close', () => { rec.closed = true; });
  });
  await page.goto(`${base}${pagePath ?? `/?name=${name}`}`);
  return { name, base, context, page, frames, sockets, errors };
}

/** waitFor polls fn(arg) in the page until it is truthy. */
export function waitFor(p, fn, arg, what, timeout = WAIT_TIMEOUT) {
  return p.page.waitForFunction(fn, arg, { timeout, polling: 50 })
    .catch((err) => { throw new Error(`${p.name}'s page: ${what}: ${err.message}`); });
}

/** waitToSee waits until me is connected and draws a player named other. */
export function waitToSee(me, other) {
  return waitFor(me, (name) => {
    const tw = window.tickwire;
    const s = tw && tw.connected && tw.lastSnapshot;
    const p = s && s.players.find((x) => x.name === name);
    return p && tw.players.some((d) => d.id === p.id);
  }, other, `connect and see ${other}`);
}

/** drawnPlayer is player id as p's page drew it in its last frame. */
export function drawnPlayer(p, id) {
  return p.page.evaluate((pid) => {
    const d = window.tickwire.players.find((x) => x.id === pid);
    return d ? { x: d.x, y: d.y, hue: d.hue, alive: d.alive } : null;
  }, id);
}

/** zoomOut makes p's view take in the whole arena, wherever the others spawned. */
export async function zoomOut(p) {
  await p.page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height / 2);
  await p.page.mouse.wheel(0, 3000);
  await waitFor(p, () => window.tickwire.scale < 0.4, null, 'zoom out with the mouse wheel');
}

/**
 * walkUntilSeen: mover walks (a wall may block one way, so each direction in turn) until
 * watcher draws the mover's player id more than 40 units from where it was, and its newest
 * snapshot has it there too; it returns whether that happened and the start.
 */
export async function walkUntilSeen(mover, watcher, id) {
  const start = await drawnPlayer(watcher, id);
  if (!start) return { moved: false, start };
  for (const key of ['KeyD', 'KeyA', 'KeyS', 'KeyW']) {
    await mover.page.keyboard.down(key);
    // Both where the watcher draws the mover and where its newest snapshot says the server
    // has it: a drawing carried on past the snapshots (when they come late) may show the
    // mover farther than a wall let it go.
    const moved = await watcher.page.waitForFunction(({ pid, x, y }) => {
      const tw = window.tickwire;
      const d = tw.players.find((p) => p.id === pid);
      const s = tw.lastSnapshot?.players.find((p) => p.id === pid);
      return d && s && Math.hypot(d.x - x, d.y - y) > 40 && Math.hypot(s.x - x, s.y - y) > 40;
    }, { pid: id, x: start.x, y: start.y }, { timeout: MOVE_TIMEOUT, polling: 50 })
      .then(() => true, () => false);
    await mover.page.keyboard.up(key);
    if (moved) return { moved: true, start };
  }
  return { moved: false, start };
}

/** screenshot saves p's page as artifacts/<file>; failures to save are not test failures. */
export async function screenshot(p, file) {
  await mkdir(ARTIFACTS, { recursive: true });
  await p.page.screenshot({ path: path.join(ARTIFACTS, file) }).catch(() => {});
}

/** clearArtifacts removes the artifacts whose names start with prefix, from an earlier run. */
export async function clearArtifacts(prefixes) {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const f of await readdir(ARTIFACTS)) {
    if (prefixes.some((p) => f.startsWith(p))) await rm(path.join(ARTIFACTS, f), { force: true });
  }
}

/**
 * startProxy listens on a free loopback port and forwards every TCP connection to
 * 127.0.0.1:targetPort, byte for byte: pages loaded through it talk to the server through
 * it (Host and Origin both name the proxy, so the server's same-host check passes).
 *   dropAll()    destroys every open connection at once, both halves: no close frame, as
 *                when a network goes away; it returns how many it cut
 *   block(on)    while on, new connections are accepted and cut at once
 *   close()      stops listening and cuts what is left
 */
export function startProxy(targetPort) {
  const pairs = new Set();
  let blocked = false;
  const server = net.createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        dropAll() {
          const n = pairs.size;
          for (const { client, upstream } of [...pairs]) {
            client.destroy();
            upstream.destroy();
          }
          pairs.clear();
          return n;
        },
        block(on) { blocked = on; },
        close() {
          this.dropAll();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}

/**
 * Started holds what a test starts (server, browser, temporary folder, proxies) so that stop()
 * can end it all: from the test's finally, and from after() should the test time out. stop()
 * saves the server's log as artifacts/<logName>, and may be called more than once.
 */
export class Started {
  constructor(logName) {
    this.logName = logName;
    this.server = undefined;
    this.browser = undefined;
    this.tmp = undefined;
    this.proxies = [];
  }

  async stop() {
    const { server, browser, tmp } = this;
    this.server = this.browser = this.tmp = undefined;
    for (const p of this.proxies.splice(0)) await p.close();
    if (server) {
      await writeFile(path.join(ARTIFACTS, this.logName), `${server.log()}\n`).catch(() => {});
      stopServer(server);
    }
    if (browser) await browser.close().catch(() => {});
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

/** withServerLog adds the last lines of the server's log, if there is a server, to err's message. */
export function withServerLog(err, server) {
  if (server) err.message += `\n--- server log (last lines) ---\n${server.log().split('\n').slice(-40).join('\n')}`;
  return err;
}

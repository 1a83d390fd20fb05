// One game session: a connection and what it has learnt. It sends an input every tick and a
// ping twice a second from the welcome until the close, keeps the snapshots for
// interpolation, and measures round-trip time and bytes received. It draws nothing.

import { Connection } from './connection.js';
import { MsgType, Buttons, encodeInput, encodePing } from './protocol.js';
import { makeTileMap } from './map.js';
import { SnapshotBuffer } from './interpolation.js';
import { RateMeter } from './stats.js';

/** How often to measure the round-trip time, in ms (the server allows a few per second). */
export const PING_INTERVAL_MS = 500;

export class Session {
  /**
   * opts: {url, name, token (an earlier welcome's, to take that player over again; '' for a
   * new player), input (an Input), aim() → radians or null, onWelcome(session),
   * onClose(session), now() → ms}. Every session starts afresh: inputs are numbered from 1,
   * the ack and the snapshot buffer start empty (PROTOCOL.md, "Reconnecting").
   */
  constructor({ url, name, token = '', input, aim, onWelcome, onClose, now = () => performance.now() }) {
    this.input = input;
    this.aim = aim;
    this.onWelcome = onWelcome;
    this.onClose = onClose;
    this.now = now;

    this.welcome = null; // the decoded welcome
    this.tileMap = null;
    this.buffer = null; // SnapshotBuffer, from the welcome on
    this.seq = 0; // seq of the last input sent
    this.lastAim = 0;
    this.rttMs = null; // from the newest pong
    this.serverTick = 0; // from the newest pong
    this.bytes = new RateMeter(1000);
    this.close = null; // {code, reason, meaning...} once closed
    this.timers = [];

    this.conn = new Connection({
      url,
      name,
      token,
      now,
      handlers: {
        onFrame: (len, at) => this.bytes.add(at, len),
        onMessage: (msg, len, at) => this.handle(msg, at),
        onClose: (c) => this.closed(c),
      },
    });
  }

  /** connected: welcomed and not closed. */
  get connected() {
    return this.welcome !== null && this.close === null;
  }

  /** lastSnapshot is the newest snapshot applied, or null. */
  get lastSnapshot() {
    return this.buffer ? this.buffer.newest : null;
  }

  bytesPerSecond(now = this.now()) {
    return this.bytes.perSecond(now);
  }

  handle(msg, at) {
    switch (msg.type) {
      case MsgType.WELCOME:
        if (this.welcome) return this.conn.fail('a second welcome');
        this.welcome = msg;
        this.tileMap = makeTileMap(msg.map);
        this.buffer = new SnapshotBuffer(msg.tickRate, { teleportDistance: Math.max(100, 4 * msg.rules.playerRadius) });
        this.start(msg.tickRate);
        this.onWelcome?.(this);
        return undefined;
      case MsgType.SNAPSHOT:
        if (!this.welcome) return this.conn.fail('a snapshot before the welcome');
        this.buffer.push(msg, at);
        return undefined;
      case MsgType.PONG:
        if (msg.clientTime <= at) this.rttMs = at - msg.clientTime;
        this.serverTick = msg.serverTick;
        return undefined;
      default:
        return undefined; // leave: the connection keeps it for the close that follows
    }
  }

  start(tickRate) {
    this.timers.push(setInterval(() => this.sendInput(), 1000 / tickRate));
    this.timers.push(setInterval(() => this.sendPing(), PING_INTERVAL_MS));
    this.sendPing();
  }

  stop() {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  sendInput() {
    const move = this.input.move();
    const aim = this.aim?.();
    if (aim != null && Number.isFinite(aim)) this.lastAim = aim;
    const newest = this.lastSnapshot;
    this.seq++;
    this.conn.send(encodeInput({
      seq: this.seq,
      ack: newest ? newest.tick : 0,
      moveX: move.x,
      moveY: move.y,
      aim: this.lastAim,
      buttons: this.input.firing() ? Buttons.FIRE : 0,
    }));
  }

  sendPing() {
    this.conn.send(encodePing(this.now()));
  }

  /** leave asks the server to end the session (it closes with 1000). */
  leave() {
    this.stop();
    this.conn.leave();
  }

  closed({ code, reason, leave, error }) {
    this.stop();
    this.close = { code, reason: reason || leave?.reason || '', error };
    this.onClose?.(this);
  }

  /** self is your player in the newest snapshot, or undefined. */
  self() {
    const s = this.lastSnapshot;
    return s && this.welcome ? s.players.find((p) => p.id === this.welcome.playerId) : undefined;
  }

  /**
   * view is what to draw at local time now: others interpolated, yourself as the server
   * last said (prediction will take over here), bullets extrapolated.
   */
  view(now) {
    if (!this.buffer) return null;
    const sample = this.buffer.sample(now);
    if (!sample) return null;
    const id = this.welcome.playerId;
    const players = sample.players.filter((p) => p.id !== id);
    const self = this.self();
    if (self) players.push({ ...self });
    return { players, bullets: sample.bullets, self };
  }
}

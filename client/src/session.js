// One game session: a connection and what it has learnt. It sends an input every tick and a
// ping twice a second from the welcome until the close (a spectator's inputs carry only its
// ack, and it sends where it looks, watch, as that changes), applies the protocol 4 snapshots to
// their baselines (replica.js) and keeps them for interpolation, predicts your own player
// (prediction.js), estimates server time from the pongs (clock.js) and the interpolation
// delay from how late snapshots arrive (delay.js), and measures round-trip time, bytes
// received and how smoothly it all ran. It draws nothing.

import { Connection } from './connection.js';
import { MsgType, Buttons, encodeInput, encodePing, encodeWatch, MIN_WATCH_RADIUS, MAX_WATCH_RADIUS } from './protocol.js';
import { makeTileMap } from './map.js';
import { SnapshotBuffer, INTERPOLATION_DELAY_MS } from './interpolation.js';
import { ServerClock } from './clock.js';
import { InterpolationDelay } from './delay.js';
import { RateMeter } from './stats.js';
import { Replica } from './replica.js';
import { makeArena } from './movement.js';
import { Predictor } from './prediction.js';

/** Round-trip samples kept for the jitter estimate. */
const RTT_SAMPLES = 16;

/** How often to measure the round-trip time, in ms (the server allows a few per second). */
export const PING_INTERVAL_MS = 500;

/**
 * The least time between two watches, in ms. The server counts inputs, pings and watches
 * against one rate (twice the tick rate a second): an input a tick, two pings and at most ten
 * watches a second stay well inside it.
 */
export const WATCH_INTERVAL_MS = 100;

export class Session {
  /**
   * opts: {url, name, token (an earlier welcome's, to take that player over again; '' for a
   * new player), spectator (the url watches a room: no player, no moves), input (an Input),
   * aim() → radians or null, onWelcome(session), onClose(session), now() → ms}. Every session starts afresh: inputs are numbered from 1,
   * the ack, the applied states and the snapshot buffer start empty (PROTOCOL.md,
   * "Reconnecting"), so the first snapshot is a full one.
   */
  constructor({ url, name, token = '', spectator = false, input, aim, onWelcome, onClose, now = () => performance.now() }) {
    this.spectator = spectator;
    this.input = input;
    this.aim = aim;
    this.onWelcome = onWelcome;
    this.onClose = onClose;
    this.now = now;

    this.welcome = null; // the decoded welcome
    this.tileMap = null;
    this.buffer = null; // SnapshotBuffer, from the welcome on
    this.replica = null; // Replica: applied states and the ack, from the welcome on
    this.predictor = null; // Predictor of your own player, from the welcome on
    this.scores = null; // the newest scores message: {players, top}
    this.seq = 0; // seq of the last input sent
    this.lastAim = 0;
    this.rttMs = null; // from the newest pong
    this.rtts = []; // the newest RTT_SAMPLES round trips, for the jitter
    this.serverRttMs = null; // the server's own measure, from the newest pong
    this.serverTick = 0; // from the newest pong
    this.clock = null; // ServerClock, from the welcome on: server time from the pongs
    this.delay = null; // InterpolationDelay, from the welcome on
    this.frames = 0; // frames drawn (view calls)
    this.underruns = 0; // of which the interpolation buffer had run dry
    this.bytes = new RateMeter(1000);
    this.close = null; // {code, reason, meaning...} once closed
    // A spectator's area of interest: the one wanted (watch()), the one last sent and when.
    this.wantWatch = null;
    this.sentWatch = null;
    this.watchSentAt = -Infinity;
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
        this.replica = new Replica(msg.tickRate, msg.rules.bulletSpeed);
        this.clock = new ServerClock(msg.tickRate);
        this.delay = new InterpolationDelay(msg.snapshotRate, { startMs: INTERPOLATION_DELAY_MS });
        this.predictor = new Predictor(makeArena(msg.map), msg.rules, msg.tickRate);
        this.start(msg.tickRate);
        this.onWelcome?.(this);
        return undefined;
      case MsgType.SNAPSHOT:
        if (!this.welcome) return this.conn.fail('a snapshot before the welcome');
        return this.applySnapshot(msg, at);
      case MsgType.SCORES:
        this.scores = msg;
        return undefined;
      case MsgType.PONG:
        if (msg.clientTime <= at) {
          this.rttMs = at - msg.clientTime;
          this.rtts.push(this.rttMs);
          if (this.rtts.length > RTT_SAMPLES) this.rtts.shift();
          this.clock?.observe(msg.clientTime, at, msg.serverTick);
        }
        // 0 until the server has its first sample: not a measure yet.
        if (msg.serverRTT > 0) this.serverRttMs = msg.serverRTT;
        this.serverTick = msg.serverTick;
        return undefined;
      default:
        return undefined; // leave: the connection keeps it for the close that follows
    }
  }

  /**
   * applySnapshot applies a snapshot to its baseline. One that cannot be applied (no
   * baseline, checksum mismatch) is not drawn: the ack drops to 0 and the server sends a full
   * one. One that breaks the protocol closes the connection (4400).
   */
  applySnapshot(msg, at) {
    let state;
    try {
      state = this.replica.receive(msg);
    } catch (err) {
      return this.conn.fail(err.message);
    }
    if (!state || !this.buffer.push(state, at)) return undefined;
    if (this.clock.ready) {
      // How late it came, against its tick's server time plus the one-way transit.
      this.clock.update(at);
      const expected = this.clock.tickMs(state.tick) - this.clock.offsetMs + this.clock.transitMs;
      this.delay.observe(at - expected, at);
    }
    const self = state.players.find((p) => p.id === this.welcome.playerId);
    if (self) this.predictor.reconcile(self, state.lastSeq, at);
    return undefined;
  }

  /** resyncs: snapshots discarded on this connection (no baseline, checksum). */
  get resyncs() {
    return this.replica ? this.replica.resyncs : 0;
  }

  /** jitterMs: the mean difference between consecutive round trips, or null. */
  get jitterMs() {
    if (this.rtts.length < 2) return null;
    let sum = 0;
    for (let i = 1; i < this.rtts.length; i++) sum += Math.abs(this.rtts[i] - this.rtts[i - 1]);
    return sum / (this.rtts.length - 1);
  }

  /**
   * debug is what the debug overlay shows: measures of the connection, the clock, the
   * interpolation and the prediction.
   */
  debug(now = this.now()) {
    const clock = this.clock?.ready ? this.clock : null;
    return {
      rttMs: this.rttMs,
      serverRttMs: this.serverRttMs,
      jitterMs: this.jitterMs,
      // Server time − local time, as drawn with, and how far it still has to slew.
      clockOffsetMs: clock ? clock.offsetMs : null,
      clockErrorMs: clock ? clock.offset.target - clock.offsetMs : null,
      clockSnaps: clock ? clock.offset.snaps : 0,
      transitMs: clock ? clock.transitMs : null,
      interpolationDelayMs: this.delay ? this.delay.valueMs : INTERPOLATION_DELAY_MS,
      delayTargetMs: this.delay ? this.delay.targetMs : null,
      latenessMs: this.delay?.lateMs ?? null,
      prediction: this.predictor ? this.predictor.stats() : null,
      pendingInputs: this.predictor ? this.predictor.pending.length : 0,
      frames: this.frames,
      underruns: this.underruns,
      bytesPerSecond: this.bytesPerSecond(now),
      resyncs: this.resyncs,
      ack: this.replica ? this.replica.ack : 0,
    };
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
    if (this.spectator) {
      // Its acknowledgement keeps its snapshots deltas; there is nothing to move or fire.
      this.seq++;
      this.conn.send(encodeInput({ seq: this.seq, ack: this.replica.ack, moveX: 0, moveY: 0, aim: 0, buttons: 0 }));
      this.sendWatch();
      return;
    }
    const move = this.input.move();
    const aim = this.aim?.();
    if (aim != null && Number.isFinite(aim)) this.lastAim = aim;
    this.seq++;
    const sent = this.conn.send(encodeInput({
      seq: this.seq,
      ack: this.replica.ack,
      moveX: move.x,
      moveY: move.y,
      aim: this.lastAim,
      buttons: this.input.firing() ? Buttons.FIRE : 0,
      viewTick: this.viewTick(this.now()),
    }));
    if (sent) this.predictor.input(this.seq, move.x, move.y, this.now());
  }

  /**
   * watch sets where a spectator looks: the circle of radius world units around (x, y),
   * radius kept within what the server allows. It is sent with the next input, at most once
   * every WATCH_INTERVAL_MS and only when it changed by a whole unit, so the page may call it
   * every frame.
   */
  watch(x, y, radius) {
    const r = Math.min(MAX_WATCH_RADIUS, Math.max(MIN_WATCH_RADIUS, Math.round(radius)));
    this.wantWatch = { x: Math.round(x), y: Math.round(y), radius: r };
  }

  /** sendWatch sends the wanted watch if it is new and the last was long enough ago. */
  sendWatch(now = this.now()) {
    const w = this.wantWatch;
    const last = this.sentWatch;
    if (!w || (last && w.x === last.x && w.y === last.y && w.radius === last.radius)) return;
    if (now - this.watchSentAt < WATCH_INTERVAL_MS) return;
    if (this.conn.send(encodeWatch(w.x, w.y, w.radius))) {
      this.sentWatch = w;
      this.watchSentAt = now;
    }
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
   * viewTick is the server tick others are drawn at, at local time now (0 while the server
   * clock is not known yet): the server rewinds this input's shots to it (lag compensation).
   * Never ahead of the newest snapshot applied, which the server checks.
   */
  viewTick(now) {
    const at = this.renderServerMs(now);
    if (at === null || !this.clock) return 0;
    const tick = Math.floor(at / this.clock.msPerTick);
    return Math.max(0, Math.min(tick, this.replica.ack));
  }

  /**
   * renderServerMs is the server time others are drawn at, at local time now: the estimated
   * server time, less the one-way transit (so: the newest snapshot that can have arrived),
   * less the interpolation delay; or null before the first pong (then the snapshots' own
   * arrival times place them, INTERPOLATION_DELAY_MS back).
   */
  renderServerMs(now) {
    if (!this.clock?.ready) return null;
    this.clock.update(now);
    this.delay.update(now);
    return this.clock.serverMs(now) - this.clock.transitMs - this.delay.valueMs;
  }

  /**
   * view is what to draw at local time now: others interpolated, yourself where prediction
   * puts you (moving on along the direction held now), bullets extrapolated. One call per
   * frame: it counts frames and buffer underruns (frames drawn past the newest snapshot).
   */
  view(now) {
    if (!this.buffer) return null;
    const at = this.renderServerMs(now);
    const sample = at === null ? this.buffer.sample(now) : this.buffer.sampleServer(at);
    if (!sample) return null;
    if (this.connected) {
      this.frames++;
      if (sample.underrun) this.underruns++;
    }
    const id = this.welcome.playerId;
    const players = sample.players.filter((p) => p.id !== id);
    let self = this.self();
    if (self) {
      const move = this.connected ? this.input.move() : { x: 0, y: 0 };
      const at = this.predictor.drawn(now, move.x, move.y);
      self = { ...self, ...(at ?? {}) };
      if (this.connected) self.aim = this.lastAim;
      players.push(self);
    }
    return { players, bullets: sample.bullets, self };
  }
}

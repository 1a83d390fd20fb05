// Prediction and reconciliation of your own player. Each input is applied here at once, with
// the server's movement rules (movement.js), so that your player moves on the frame after the
// key press instead of a round trip later. Inputs the server has not applied yet are kept;
// when a snapshot says where the server put you after input lastSeq, the prediction restarts
// from there and replays the rest. A difference between the old and the new prediction is a
// correction: small ones are smoothed away over a few frames, large ones (a respawn, a
// collision the client did not foresee) are taken at once.
//
// The server applies one input per tick (PROTOCOL.md, "input"), so prediction advances one
// tick per input. Pure: times are arguments.

import { slide, step } from './movement.js';

/** A correction longer than this (world units) is taken at once, not smoothed. */
export const SNAP_DISTANCE = 32;

/** How fast a smoothed correction fades, in ms: a few frames at 60 Hz. */
export const SMOOTH_MS = 60;

/** Inputs kept at most while the server does not acknowledge them: about 4 s at 30 Hz. */
export const MAX_PENDING = 128;

/** Correction sizes kept for the statistics: the newest ones. */
export const MAX_SAMPLES = 4096;

export class Predictor {
  /** arena: movement.js's makeArena; rules: the welcome's; tickRate: ticks per second. */
  constructor(arena, rules, tickRate) {
    this.arena = arena;
    this.rules = rules;
    this.tickRate = tickRate;
    this.pending = []; // {seq, moveX, moveY}, rising seq, not yet applied by the server
    this.pos = null; // the predicted position after the newest input, {x, y}; null before a snapshot
    this.alive = false;
    this.offset = { x: 0, y: 0 }; // drawn = pos + offset; fades to 0
    this.offsetAt = 0; // local time the offset was last faded to
    this.inputAt = 0; // local time of the newest input
    this.reconciles = 0; // snapshots that carried your player
    this.snaps = 0; // corrections taken at once
    this.sizes = []; // correction sizes (world units), the newest MAX_SAMPLES, zeros left out
  }

  /** input applies one input (sent at local time now) to the prediction and keeps it. */
  input(seq, moveX, moveY, now) {
    this.pending.push({ seq, moveX, moveY });
    if (this.pending.length > MAX_PENDING) this.pending.shift();
    this.inputAt = now;
    if (this.pos && this.alive) this.pos = step(this.arena, this.rules, this.tickRate, this.pos.x, this.pos.y, moveX, moveY);
  }

  /**
   * reconcile takes the server's word: self is your player in an applied snapshot (world
   * units, as the server quantized them), lastSeq the newest input it applied. It returns the
   * correction's size in world units.
   */
  reconcile(self, lastSeq, now) {
    while (this.pending.length && this.pending[0].seq <= lastSeq) this.pending.shift();
    this.reconciles++;
    let { x, y } = self;
    this.alive = self.alive;
    if (this.alive) {
      for (const p of this.pending) ({ x, y } = step(this.arena, this.rules, this.tickRate, x, y, p.moveX, p.moveY));
    }
    // Positions are on the grid snapshots carry (movement.js, POS_PER_UNIT), so the replay is
    // exactly what the server will compute: any difference at all is a correction.
    const old = this.pos;
    if (old && this.alive && old.x === x && old.y === y) return 0;
    this.pos = { x, y };
    if (!old) return 0;
    this.fade(now);
    const dx = old.x - x;
    const dy = old.y - y;
    const size = Math.hypot(dx, dy);
    if (size === 0) return 0;
    this.sizes.push(size);
    if (this.sizes.length > MAX_SAMPLES) this.sizes.shift();
    if (size > SNAP_DISTANCE || !this.alive) {
      this.snaps++;
      this.offset = { x: 0, y: 0 };
    } else {
      // Drawn where it was drawn before; the offset fades.
      this.offset = { x: this.offset.x + dx, y: this.offset.y + dy };
    }
    return size;
  }

  fade(now) {
    const dt = Math.max(0, now - this.offsetAt);
    this.offsetAt = now;
    const k = Math.exp(-dt / SMOOTH_MS);
    this.offset = { x: this.offset.x * k, y: this.offset.y * k };
    if (Math.hypot(this.offset.x, this.offset.y) < 0.01) this.offset = { x: 0, y: 0 };
  }

  /**
   * drawn is where to draw your player at local time now, or null before the first snapshot.
   * Between inputs it moves on along (moveX, moveY), the direction held now, for the part of
   * the tick that has passed: the next input lands there, so motion is smooth at any frame
   * rate and starts on the first frame after a key press.
   */
  drawn(now, moveX = 0, moveY = 0) {
    if (!this.pos) return null;
    this.fade(now);
    let { x, y } = this.pos;
    if (this.alive && (moveX !== 0 || moveY !== 0)) {
      const f = Math.min(Math.max((now - this.inputAt) * this.tickRate / 1000, 0), 1);
      if (f > 0) ({ x, y } = slide(this.arena, this.rules, this.tickRate, x, y, moveX * f, moveY * f));
    }
    return { x: x + this.offset.x, y: y + this.offset.y };
  }

  /** stats: how many corrections, and their sizes' median and 99th percentile (world units). */
  stats() {
    return { reconciles: this.reconciles, corrections: this.sizes.length, snaps: this.snaps, median: quantile(this.sizes, 0.5), p99: quantile(this.sizes, 0.99) };
  }
}

/** quantile is the q-quantile (0..1) of values, nearest rank; 0 for none. */
export function quantile(values, q) {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

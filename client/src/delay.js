// The interpolation delay, adapted to the network: how far behind the newest expected
// snapshot others are drawn. About two snapshot intervals (so that one lost or late snapshot
// still leaves a pair to draw between) plus how late snapshots arrive: for each snapshot, its
// lateness is its arrival time against when the server clock says it should have arrived
// (its tick's server time + the one-way transit, in local time); the delay covers a high
// percentile of the lateness over the newest LATENESS_WINDOW snapshots. It is clamped, and it
// changes smoothly (Slew): faster up than down, so that it backs off quickly when snapshots
// start arriving late and creeps back when they are on time again; either way others move
// at most a few percent faster or slower for a while, and never jump. Pure, for Node tests.

import { Slew } from './clock.js';

/** Bounds of the delay, in ms. */
export const MIN_DELAY_MS = 50;
export const MAX_DELAY_MS = 300;

/** Snapshots whose lateness the delay covers: about two seconds at 30 Hz. */
export const LATENESS_WINDOW = 64;

/** The share of them that should arrive in time. */
export const LATENESS_PERCENTILE = 0.95;

/** The delay rises by at most this many ms per ms of local time, and falls this fast. */
export const DELAY_UP_RATE = 0.1;
export const DELAY_DOWN_RATE = 0.02;

/** Lateness samples needed before the delay adapts; until then it stays at its start. */
const MIN_SAMPLES = 8;

/** percentile is the q-quantile (0..1) of values (nearest rank), or undefined when empty. */
export function percentile(values, q) {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** delayTarget is the delay for snapshots every intervalMs that are up to lateMs late. */
export function delayTarget(intervalMs, lateMs, min = MIN_DELAY_MS, max = MAX_DELAY_MS) {
  return Math.min(max, Math.max(min, 2 * intervalMs + Math.max(0, lateMs)));
}

/**
 * InterpolationDelay adapts the delay for snapshots at snapshotRate per second. valueMs is the
 * delay to draw with now; it starts at startMs.
 */
export class InterpolationDelay {
  constructor(snapshotRate, { startMs = 100, window = LATENESS_WINDOW, q = LATENESS_PERCENTILE,
    min = MIN_DELAY_MS, max = MAX_DELAY_MS, upRate = DELAY_UP_RATE, downRate = DELAY_DOWN_RATE } = {}) {
    this.intervalMs = 1000 / snapshotRate;
    this.window = window;
    this.q = q;
    this.min = min;
    this.max = max;
    this.lateness = []; // ms, oldest first
    this.slew = new Slew({ rate: upRate, downRate, snap: Infinity });
    this.slew.value = Math.min(max, Math.max(min, startMs));
    this.slew.target = this.slew.value;
  }

  /** observe adds the lateness (ms) of a snapshot that arrived at local time now. */
  observe(latenessMs, now) {
    if (!Number.isFinite(latenessMs)) return;
    this.lateness.push(latenessMs);
    if (this.lateness.length > this.window) this.lateness.shift();
    if (this.lateness.length < MIN_SAMPLES) {
      this.slew.update(now);
      this.slew.at = now;
      return;
    }
    this.slew.set(delayTarget(this.intervalMs, this.lateMs, this.min, this.max), now);
  }

  /** lateMs: the high percentile of the lateness, or undefined before any sample. */
  get lateMs() {
    return percentile(this.lateness, this.q);
  }

  /** update moves the delay towards its target for the time up to now (once a frame). */
  update(now) {
    if (this.slew.at === undefined) this.slew.at = now;
    return this.slew.update(now);
  }

  get valueMs() {
    return this.slew.value;
  }

  get targetMs() {
    return this.slew.target;
  }
}

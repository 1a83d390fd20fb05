// The client's estimate of server time, from application-level pings (browsers cannot see
// WebSocket ping frames). Each pong gives a sample: the ping's send time and the pong's
// receive time (local ms, performance.now()) and the server's tick when it queued the pong.
// The server is taken to have been at that tick halfway through the round trip, so
//
//   offset = serverMs − localMs = (serverTick + ½) × msPerTick − (sent + received) / 2
//
// (+½ tick: the server stores tick N when step N is done, and a pong with tick N is queued
// somewhere before step N + 1; half a tick is the unbiased guess). A sample whose round trip
// was long was probably delayed more one way than the other, so only the few samples with
// the lowest round trip among the newest WINDOW count (as NTP and Cristian's algorithm do).
//
// The estimate the page uses does not jump to each new measure: it slews towards it at a
// bounded rate (Slew), so that others do not skip or stall when a better sample arrives, and
// snaps only when it is far off (the first sample, a stall, a new network path).
// Pure: every time is an argument, so Node tests use synthetic times.

/** Samples kept: the newest this many pongs (8 s at two pings a second). */
export const CLOCK_WINDOW = 16;

/** Of those, the target is the mean of this many with the lowest round trip. */
export const CLOCK_BEST = 3;

/** How fast the estimate follows the target: at most this many ms per ms of local time. */
export const CLOCK_SLEW = 0.1;

/** An estimate farther than this (ms) from its target snaps to it instead of slewing. */
export const CLOCK_SNAP_MS = 250;

/**
 * Slew follows a target value at a bounded rate: at most rate × (now − last update) per
 * update, in either direction (up and down may differ), and snaps to it when it is more than
 * snap away, or on the first target. value is undefined before the first target.
 */
export class Slew {
  constructor({ rate = CLOCK_SLEW, downRate = rate, snap = CLOCK_SNAP_MS } = {}) {
    this.upRate = rate;
    this.downRate = downRate;
    this.snapAt = snap;
    this.value = undefined;
    this.target = undefined;
    this.at = undefined; // local time of the last update
    this.snaps = 0; // how often it snapped after the first target
  }

  /** set gives a new target at local time now. */
  set(target, now) {
    this.update(now);
    if (this.value === undefined) {
      this.value = target;
    } else if (Math.abs(target - this.value) > this.snapAt) {
      this.value = target;
      this.snaps++;
    }
    this.target = target;
    this.at = now;
  }

  /** update moves the value towards the target for the time since the last update. */
  update(now) {
    if (this.value === undefined || this.at === undefined) return this.value;
    const dt = now - this.at;
    if (dt <= 0) return this.value;
    this.at = now;
    const err = this.target - this.value;
    const step = (err > 0 ? this.upRate : this.downRate) * dt;
    this.value += Math.max(-step, Math.min(step, err));
    return this.value;
  }
}

/**
 * ServerClock estimates server time from pongs. offsetMs: serverMs − localMs as the page uses
 * it (slewed); transitMs: half the lowest round trip, the one-way time of a message that was
 * not held up (slewed too). Both undefined until the first pong.
 */
export class ServerClock {
  constructor(tickRate, { window = CLOCK_WINDOW, best = CLOCK_BEST, slew = CLOCK_SLEW, snapMs = CLOCK_SNAP_MS } = {}) {
    this.msPerTick = 1000 / tickRate;
    this.window = window;
    this.best = best;
    this.samples = []; // {rtt, offset}, oldest first
    this.offset = new Slew({ rate: slew, snap: snapMs });
    this.transit = new Slew({ rate: slew, snap: snapMs });
  }

  /** ready: there is an estimate (at least one pong). */
  get ready() {
    return this.offset.value !== undefined;
  }

  /**
   * observe adds the sample of a pong: the ping sent at local time sent, its pong received at
   * received, carrying serverTick. A sample with a negative round trip is ignored.
   */
  observe(sent, received, serverTick) {
    const rtt = received - sent;
    if (!(rtt >= 0) || !Number.isFinite(rtt)) return false;
    const offset = (serverTick + 0.5) * this.msPerTick - (sent + received) / 2;
    this.samples.push({ rtt, offset });
    if (this.samples.length > this.window) this.samples.shift();
    const { offset: target, rtt: bestRtt } = this.target();
    this.offset.set(target, received);
    this.transit.set(bestRtt / 2, received);
    return true;
  }

  /** target is the measured offset and round trip: the means of the best few samples. */
  target() {
    const best = [...this.samples].sort((a, b) => a.rtt - b.rtt).slice(0, this.best);
    let offset = 0;
    let rtt = 0;
    for (const s of best) {
      offset += s.offset;
      rtt += s.rtt;
    }
    return { offset: offset / best.length, rtt: rtt / best.length };
  }

  /** update slews the estimates to local time now (once a frame). */
  update(now) {
    this.offset.update(now);
    this.transit.update(now);
  }

  /** offsetMs is the estimate now: serverMs − localMs, or undefined. */
  get offsetMs() {
    return this.offset.value;
  }

  /** transitMs is the one-way time estimate, or undefined. */
  get transitMs() {
    return this.transit.value;
  }

  /** serverMs is the server's time at local time now, by the estimate (call update first). */
  serverMs(now) {
    return now + this.offset.value;
  }

  /** tickMs is the server time of a tick, in ms. */
  tickMs(tick) {
    return tick * this.msPerTick;
  }
}

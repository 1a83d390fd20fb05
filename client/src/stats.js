// Measurements for the HUD. Pure (times are arguments), so Node tests import it.

/**
 * RateMeter sums amounts over a rolling window: bytes received in the last second. Samples
 * older than the window fall out as time passes.
 */
export class RateMeter {
  constructor(windowMs = 1000) {
    this.windowMs = windowMs;
    this.samples = []; // {at, amount}, rising at
    this.sum = 0;
  }

  add(now, amount) {
    this.samples.push({ at: now, amount });
    this.sum += amount;
    this.expire(now);
  }

  /** perSecond is the total in the window ending at now, scaled to one second. */
  perSecond(now) {
    this.expire(now);
    return this.sum * (1000 / this.windowMs);
  }

  expire(now) {
    let i = 0;
    while (i < this.samples.length && this.samples[i].at <= now - this.windowMs) {
      this.sum -= this.samples[i].amount;
      i++;
    }
    if (i > 0) this.samples.splice(0, i);
    if (this.samples.length === 0) this.sum = 0; // no float residue
  }
}

/** formatRate writes a rate for the HUD: "812 B/s", "14.2 kB/s". */
export function formatRate(bytesPerSecond) {
  if (bytesPerSecond < 1000) return `${Math.round(bytesPerSecond)} B/s`;
  if (bytesPerSecond < 1e6) return `${(bytesPerSecond / 1000).toFixed(1)} kB/s`;
  return `${(bytesPerSecond / 1e6).toFixed(2)} MB/s`;
}

// When to reconnect and how long to wait: which close codes are worth another try, and the
// backoff between tries (PROTOCOL.md, "Reconnecting"). Pure (time and randomness are
// arguments), so Node tests import it.

import { closeInfo } from './protocol.js';

/**
 * The retry schedule: the first wait is about FIRST_DELAY_MS and each one doubles, up to
 * MAX_DELAY_MS, so that a server that restarts is not met by every client at once. After
 * GIVE_UP_AFTER_MS since the connection dropped, no try is started: the server is likely
 * gone for longer, and the player should decide.
 */
export const FIRST_DELAY_MS = 500;
export const MAX_DELAY_MS = 8000;
export const GIVE_UP_AFTER_MS = 60_000;

/**
 * shouldReconnect reports whether a connection closed with code is worth trying again
 * without asking the player: 1001, 1005, 1006, 1011, 1013, 4000 and 4001. Never after 1000
 * (a leave), 1003, 1007, 1008, 1009 (this client is at fault: it would happen again), 4002
 * (no such room), 4003 (this player is playing elsewhere), nor after an unknown code.
 * The table is protocol.js's CLOSE_CODES, which mirrors PROTOCOL.md.
 */
export function shouldReconnect(code) {
  return closeInfo(code).reconnect !== 'no';
}

/**
 * backoffDelay is the wait before try number attempt (1, 2, ...), in ms: the base doubles
 * from first to max, and the wait is drawn between half the base and the base ("equal
 * jitter"), so that clients dropped together spread out. random returns [0, 1).
 */
export function backoffDelay(attempt, random = Math.random, first = FIRST_DELAY_MS, max = MAX_DELAY_MS) {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`reconnect: attempt ${attempt}, want 1 or more`);
  const base = Math.min(max, first * 2 ** Math.min(attempt - 1, 30));
  return base / 2 + random() * (base / 2);
}

/**
 * RetrySchedule numbers the tries after one drop and says when each starts. next(now) is
 * {attempt, delayMs, at} for the next try, or null once trying again would start more than
 * giveUpAfterMs after the first call (the drop). reset() starts over, for the next drop.
 */
export class RetrySchedule {
  constructor({ random = Math.random, first = FIRST_DELAY_MS, max = MAX_DELAY_MS, giveUpAfterMs = GIVE_UP_AFTER_MS } = {}) {
    this.random = random;
    this.first = first;
    this.max = max;
    this.giveUpAfterMs = giveUpAfterMs;
    this.reset();
  }

  reset() {
    this.attempt = 0; // tries scheduled since the drop
    this.since = null; // local time of the drop: the first next()
  }

  next(now) {
    if (this.since === null) this.since = now;
    const delayMs = backoffDelay(this.attempt + 1, this.random, this.first, this.max);
    if (now + delayMs - this.since > this.giveUpAfterMs) return null;
    this.attempt++;
    return { attempt: this.attempt, delayMs, at: now + delayMs };
  }

  /** elapsed is how long ago the drop was, in ms (0 before it). */
  elapsed(now) {
    return this.since === null ? 0 : now - this.since;
  }
}

// Interpolation of other players: the client draws them a little in the past, between the two
// snapshots around the render time, so that they move smoothly even though snapshots arrive
// in steps and with jitter. The render time is on the server's clock (sampleServer): the
// estimated server time less the one-way transit less the adaptive interpolation delay
// (session.js, clock.js, delay.js). Before the first pong there is no server clock yet, and
// the snapshots' arrival times place them (TickClock, sample: now − INTERPOLATION_DELAY_MS).
// When the render time passes the newest snapshot (an underrun), others move on along their
// last velocity for at most MAX_EXTRAPOLATION_MS, then stand. Pure (times are arguments), so
// Node tests import it. The player's own entity is not drawn from here: prediction.js places
// it. With protocol 4 players come into view and leave it (interest management): one new in a
// snapshot is shown as it is there, one gone from it is not shown, so nobody slides in from a
// stale position.

/**
 * How far in the past others are drawn, in ms, before the delay has adapted (and before the
 * server clock is known): about two snapshot intervals at 30 Hz plus some jitter, so that a
 * snapshot that arrives late rarely leaves the buffer dry.
 */
export const INTERPOLATION_DELAY_MS = 100;

/** Snapshots kept in the buffer: about a second at 30 Hz, far more than the delay needs. */
export const BUFFER_SIZE = 32;

/** Bullets, and others when the buffer runs dry, are drawn at most this far ahead of their
 * newest known position, in ms. */
export const MAX_EXTRAPOLATION_MS = 100;

/**
 * A player that moves farther than this between two snapshots (world units) has been
 * placed, not walked (a respawn the client did not see): it is not slid across the map.
 */
export const TELEPORT_DISTANCE = 100;

// How TickClock follows the server: a sample this far (ms) from the estimate starts over.
const RESYNC_MS = 250;
// How fast the estimate drifts towards later arrivals (per snapshot, 0..1).
const DRIFT = 0.05;

export function lerp(a, b, t) {
  return a + (b - a) * t;
}

/** lerpAngle turns from a towards b the short way round. */
export function lerpAngle(a, b, t) {
  let d = (b - a) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d < -Math.PI) d += 2 * Math.PI;
  return a + d * t;
}

/**
 * TickClock maps server ticks to local time (performance.now() ms). Receive times jitter;
 * ticks do not. The estimate follows the earliest arrivals (the least delayed), drifts
 * slowly towards later ones, and starts over when it is far off (a stall, a new path).
 */
export class TickClock {
  constructor(tickRate) {
    this.msPerTick = 1000 / tickRate;
    this.offset = undefined; // local time of tick 0
  }

  observe(tick, receivedAt) {
    const sample = receivedAt - tick * this.msPerTick;
    if (this.offset === undefined || Math.abs(sample - this.offset) > RESYNC_MS || sample < this.offset) {
      this.offset = sample;
    } else {
      this.offset += (sample - this.offset) * DRIFT;
    }
  }

  /** timeOf is the local time at which tick was (about) current here. */
  timeOf(tick) {
    return this.offset + tick * this.msPerTick;
  }
}

/**
 * bracket finds the two entries around time in entries (sorted by rising [key], .time unless
 * told) and how far
 * between them time is: {a, b, t} with t in [0, 1]. Before the first entry it clamps to the
 * first; after the last (the buffer ran dry) to the last, with a === b. Empty: null.
 */
export function bracket(entries, time, key = 'time') {
  const n = entries.length;
  if (n === 0) return null;
  if (time <= entries[0][key]) return { a: entries[0], b: entries[0], t: 0 };
  const last = entries[n - 1];
  if (time >= last[key]) return { a: last, b: last, t: 0 };
  let i = n - 2;
  while (entries[i][key] > time) i--;
  const a = entries[i];
  const b = entries[i + 1];
  return { a, b, t: (time - a[key]) / (b[key] - a[key]) };
}

/**
 * interpolatePlayer is a player between its states pa (older) and pb (newer). Discrete
 * fields come from pa; a player that died, respawned or jumped is shown as in pa, not slid.
 */
export function interpolatePlayer(pa, pb, t, teleportDistance = TELEPORT_DISTANCE) {
  const jumped = pa.alive !== pb.alive ||
    Math.hypot(pb.x - pa.x, pb.y - pa.y) > teleportDistance;
  if (jumped || t <= 0) return { ...pa };
  return {
    ...pa,
    x: lerp(pa.x, pb.x, t),
    y: lerp(pa.y, pb.y, t),
    aim: lerpAngle(pa.aim, pb.aim, t),
  };
}

/**
 * interpolatePlayers is every player of snapshot b, placed between a and b at t. A player
 * new in b is shown as in b; one gone from b is not shown.
 */
export function interpolatePlayers(a, b, t, teleportDistance = TELEPORT_DISTANCE) {
  if (a === b) return b.players.map((p) => ({ ...p }));
  const before = new Map();
  for (const p of a.players) before.set(p.id, p);
  return b.players.map((pb) => {
    const pa = before.get(pb.id);
    return pa ? interpolatePlayer(pa, pb, t, teleportDistance) : { ...pb };
  });
}

/**
 * extrapolateBullets places the bullets of snapshot entry a at time, moving each along its
 * velocity for (time − a[key]), at most MAX_EXTRAPOLATION_MS. With a newer entry b, bullets
 * already gone from b (they hit something) are left out.
 */
export function extrapolateBullets(a, b, time, key = 'time') {
  const dt = Math.min(Math.max(time - a[key], 0), MAX_EXTRAPOLATION_MS) / 1000;
  let alive = null;
  if (b && b !== a) {
    alive = new Set();
    for (const bl of b.snapshot.bullets) alive.add(bl.id);
  }
  const out = [];
  for (const bl of a.snapshot.bullets) {
    if (alive && !alive.has(bl.id)) continue;
    out.push({ ...bl, x: bl.x + bl.vx * dt, y: bl.y + bl.vy * dt });
  }
  return out;
}

/**
 * extrapolatePlayers is every player of snapshot b carried on for aheadMs past it, at the
 * velocity it had between a and b (spanMs apart), at most MAX_EXTRAPOLATION_MS: when the
 * buffer runs dry others keep moving briefly instead of freezing, then stand. A player new in
 * b, dead, or one that jumped is shown as in b.
 */
export function extrapolatePlayers(a, b, aheadMs, spanMs, teleportDistance = TELEPORT_DISTANCE) {
  const k = a === b || !(spanMs > 0) ? 0 : Math.min(Math.max(aheadMs, 0), MAX_EXTRAPOLATION_MS) / spanMs;
  const before = new Map();
  if (k > 0) for (const p of a.players) before.set(p.id, p);
  return b.players.map((pb) => {
    const pa = before.get(pb.id);
    if (!pa || !pa.alive || !pb.alive || Math.hypot(pb.x - pa.x, pb.y - pa.y) > teleportDistance) return { ...pb };
    return { ...pb, x: pb.x + (pb.x - pa.x) * k, y: pb.y + (pb.y - pa.y) * k };
  });
}

/**
 * SnapshotBuffer keeps the newest snapshots, each stamped with its local receive time, and
 * samples the arena at a local time.
 */
export class SnapshotBuffer {
  constructor(tickRate, { size = BUFFER_SIZE, teleportDistance = TELEPORT_DISTANCE } = {}) {
    this.clock = new TickClock(tickRate);
    this.size = size;
    this.teleportDistance = teleportDistance;
    this.msPerTick = 1000 / tickRate;
    this.entries = []; // {snapshot, tick, receivedAt, time, serverTime}, rising tick
  }

  /** newest is the newest snapshot, or null. */
  get newest() {
    const n = this.entries.length;
    return n ? this.entries[n - 1].snapshot : null;
  }

  /** push adds a snapshot received at local time receivedAt; it returns false for a stale one. */
  push(snapshot, receivedAt) {
    const newest = this.newest;
    if (newest && snapshot.tick <= newest.tick) return false;
    this.clock.observe(snapshot.tick, receivedAt);
    this.entries.push({ snapshot, tick: snapshot.tick, receivedAt, time: 0, serverTime: snapshot.tick * this.msPerTick });
    if (this.entries.length > this.size) this.entries.shift();
    // Times come from the tick clock, so that entries stay evenly spaced.
    for (const e of this.entries) e.time = this.clock.timeOf(e.tick);
    return true;
  }

  /**
   * sample is the arena as drawn at local time now: {players, bullets, tick, underrun} at
   * now − delay, by the tick clock of snapshot arrivals (before the server clock is known),
   * or null before the first snapshot. See sampleAt.
   */
  sample(now, delay = INTERPOLATION_DELAY_MS) {
    return this.sampleAt(now - delay, 'time');
  }

  /** sampleServer is the arena at server time serverMs (ms; tick × ms per tick). */
  sampleServer(serverMs) {
    return this.sampleAt(serverMs, 'serverTime');
  }

  /**
   * sampleAt is the arena at time on the scale key ('time': local; 'serverTime'). underrun:
   * the time is past the newest snapshot, so the buffer ran dry; then players move on along
   * their last velocity for at most MAX_EXTRAPOLATION_MS, and stand after that.
   */
  sampleAt(time, key) {
    const br = bracket(this.entries, time, key);
    if (!br) return null;
    const { a, b, t } = br;
    const n = this.entries.length;
    const last = this.entries[n - 1];
    const underrun = time > last[key];
    if (underrun && n >= 2) {
      const prev = this.entries[n - 2];
      return {
        players: extrapolatePlayers(prev.snapshot, last.snapshot, time - last[key], last[key] - prev[key], this.teleportDistance),
        bullets: extrapolateBullets(last, null, time, key),
        tick: last.tick,
        underrun,
      };
    }
    return {
      players: interpolatePlayers(a.snapshot, b.snapshot, t, this.teleportDistance),
      bullets: extrapolateBullets(a, b, time, key),
      tick: lerp(a.tick, b.tick, t),
      underrun,
    };
  }
}

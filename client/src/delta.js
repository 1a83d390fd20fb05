// Protocol 4 snapshots: decoding a delta and applying it to the state it was made against.
// The browser's mirror of netcode/delta.go and netcode/apply.go; netcode/PROTOCOL.md
// ("snapshot (4)") is the contract, and test/delta.test.js replays the vectors the
// Go side generated (netcode/testdata/delta-vectors.json), so the two cannot drift apart.
//
// Pure: no DOM.

/** Quarter world units per position unit, and aim steps per turn, as the server quantizes. */
export const POS_SCALE = 4;
export const AIM_STEPS = 256;

/** Steps a turn of a bullet's direction. */
export const DIR_STEPS = 65536;

/** How many applied states the client keeps: the server remembers as many sent snapshots. */
export const RING_LEN = 16;

const FIELD = Object.freeze({ X: 1, Y: 2, AIM: 4, VEL: 8, FLAGS: 16, HEALTH: 32, SCORE: 64 });

/** Values of an entering player's entry: its id gap and every field. */
const ENTERING_VALUES = 12;

/** A negative entry head, -32 to -1, is a small turn alone: the aim changed by head - TURN_CODE. */
const TURN_CODE = -16;

/** DeltaError: a snapshot that cannot be applied. `reason` is 'no-baseline', 'checksum' or 'bad'. */
export class DeltaError extends Error {
  constructor(reason, message) {
    super(`delta: ${message}`);
    this.name = 'DeltaError';
    this.reason = reason;
  }
}

function bad(message) {
  throw new DeltaError('bad', message);
}

function int(what, v) {
  if (typeof v !== 'number' || !Number.isInteger(v)) bad(`${what}: want an integer`);
  return v;
}

function uint(what, v, max = 0xffffffff) {
  int(what, v);
  if (v < 0 || v > max) bad(`${what}: out of range`);
  return v;
}

function sint(what, v, min, max) {
  int(what, v);
  if (v < min || v > max) bad(`${what}: out of range`);
  return v;
}

/** nextID returns the id after prev in a list of id gaps: ids rise from 1 within 32 bits. */
function nextID(what, prev, gap) {
  uint(what, gap);
  if (gap === 0 || prev + gap > 0xffffffff) bad(`${what} ${gap} after id ${prev}: ids rise within 32 bits`);
  return prev + gap;
}

const I32 = 0x7fffffff;
const pos = (what, v) => sint(what, v, -I32 - 1, I32);

/**
 * decodeDelta reads a decoded protocol 4 snapshot array
 * [4, tick, lastSeq, baseTick, players, entering, bullets, removed, checksum] into
 * { tick, lastSeq, baseTick, players: [entries], entering: [players], bullets: [...], removed: [ids], checksum }.
 * An entry is for the next of the baseline's players still in view: { run } for that many
 * players as predicted, or { mask, ...fields } with x, y as differences from the prediction
 * and aim as the change.
 */
export function decodeDelta(m) {
  if (!Array.isArray(m) || m.length !== 9) bad('snapshot: want 9 elements');
  const [, tick, lastSeq, baseTick, players, entering, bullets, removed, checksum] = m;
  if (![players, entering, bullets, removed].every(Array.isArray)) bad('snapshot: entries must be arrays');
  const d = {
    tick: uint('tick', tick), lastSeq: uint('lastSeq', lastSeq), baseTick: uint('baseTick', baseTick),
    players: [], entering: [], bullets: [], removed: [], checksum: uint('checksum', checksum, 0xffff),
  };
  for (let i = 0; i < players.length;) {
    const at = d.players.length;
    const next = (what) => {
      if (i >= players.length) bad(`player entry ${at}: ${what} missing`);
      return players[i++];
    };
    const head = sint('player entry', next('head'), -32, 127);
    if (head === 0) {
      d.players.push({ run: uint('player run', next('run'), 0xffffffff) });
      if (d.players[at].run === 0) bad(`player entry ${at}: a run of 0`);
      continue;
    }
    if (head < 0) {
      if (head === TURN_CODE) bad(`player entry ${at}: ${head}, a turn of 0`);
      d.players.push({ mask: FIELD.AIM, aim: head - TURN_CODE });
      continue;
    }
    const mask = head;
    const p = { mask };
    if (mask & FIELD.X) p.x = pos('dx', next('dx'));
    if (mask & FIELD.Y) p.y = pos('dy', next('dy'));
    if (mask & FIELD.AIM) p.aim = sint('aim change', next('aim change'), -128, 127);
    if (mask & FIELD.VEL) {
      p.vx = pos('vx', next('vx'));
      p.vy = pos('vy', next('vy'));
    }
    if (mask & FIELD.FLAGS) p.flags = uint('flags', next('flags'), 255);
    if (mask & FIELD.HEALTH) p.health = uint('health', next('health'));
    if (mask & FIELD.SCORE) {
      p.kills = uint('kills', next('kills'));
      p.deaths = uint('deaths', next('deaths'));
    }
    d.players.push(p);
  }
  if (entering.length % ENTERING_VALUES !== 0) bad(`entering: not a multiple of ${ENTERING_VALUES} values`);
  let id = 0;
  for (let i = 0; i < entering.length; i += ENTERING_VALUES) {
    id = nextID('entering id gap', id, entering[i]);
    const [x, y, vx, vy, aim, flags, health, kills, deaths, hue, name] = entering.slice(i + 1, i + ENTERING_VALUES);
    if (typeof name !== 'string') bad('name: want a string');
    d.entering.push({
      id, x: pos('x', x), y: pos('y', y), vx: pos('vx', vx), vy: pos('vy', vy),
      aim: uint('aim', aim, 255), flags: uint('flags', flags, 255), health: uint('health', health),
      kills: uint('kills', kills), deaths: uint('deaths', deaths), hue: uint('hue', hue, 359), name,
    });
  }
  if (bullets.length % 5 !== 0) bad('bullets: not a multiple of 5 values');
  id = 0;
  for (let i = 0; i < bullets.length; i += 5) {
    id = nextID('bullet id gap', id, bullets[i]);
    d.bullets.push({
      id, owner: uint('bullet owner', bullets[i + 1]),
      x: pos('bullet x', bullets[i + 2]), y: pos('bullet y', bullets[i + 3]),
      dir: uint('bullet dir', bullets[i + 4], DIR_STEPS - 1), tick: d.tick,
    });
  }
  id = 0;
  for (const gap of removed) {
    id = nextID('removed id gap', id, gap);
    d.removed.push(id);
  }
  return d;
}

// FNV-1a over 32-bit words, as PROTOCOL.md describes the checksum.
const FNV_OFFSET = 2166136261;
const FNV_PRIME = 16777619;
const mix = (h, w) => Math.imul((h ^ w) >>> 0, FNV_PRIME) >>> 0;

/** playerSum is one player's checksum word. */
export function playerSum(p) {
  let h = FNV_OFFSET;
  const vel = (p.vx & 0xffff) | (p.vy << 16);
  for (const w of [p.id, p.x, p.y, vel, p.aim | (p.flags << 8), p.health, p.kills, p.deaths]) h = mix(h, w);
  return h;
}

/** checksum folds a state's players and bullets (each sorted by id) to 16 bits. */
export function checksum(players, bullets) {
  let h = FNV_OFFSET;
  for (const p of players) h = mix(h, playerSum(p));
  for (const b of bullets) h = mix(h, b.id);
  return (h & 0xffff) ^ (h >>> 16);
}

/**
 * Applier keeps the last RING_LEN applied states and applies deltas to them. A state is
 * { tick, players, bullets }: players sorted by id with quantized fields
 * (id, x, y, vx, vy, aim, flags, health, kills, deaths, hue, name), bullets sorted by id
 * (id, owner, x, y, dir, tick).
 */
export class Applier {
  constructor() {
    this.ring = [];
  }

  /** apply returns the new state, or throws a DeltaError and keeps the states as they were. */
  apply(d) {
    let base = { tick: 0, players: [], bullets: [] };
    if (d.baseTick !== 0) {
      base = this.ring.find((s) => s.tick === d.baseTick);
      if (!base) throw new DeltaError('no-baseline', `baseline tick ${d.baseTick} is not among the applied states`);
    }
    const removed = new Set(d.removed);
    const ticks = d.tick - base.tick; // how far to move the baseline's players on
    // The baseline's players still in view take the entries in order, and those after the
    // last entry move on as predicted; the entering players are merged in by id.
    const players = [];
    const bp = base.players;
    const ep = d.entering;
    let e = 0; // the next entry
    let run = 0; // players as predicted still due from a run entry
    // next returns the entry of the next of those players, null for one as predicted.
    const next = () => {
      if (run > 0) {
        run--;
        return null;
      }
      if (e === d.players.length) return null; // after the last entry
      const entry = d.players[e++];
      if (entry.run === undefined) return entry;
      run = entry.run - 1;
      return null;
    };
    for (let i = 0, j = 0; i < bp.length || j < ep.length;) {
      if (j < ep.length && (i === bp.length || ep[j].id <= bp[i].id)) {
        if (i < bp.length && ep[j].id === bp[i].id && !removed.has(bp[i].id)) {
          throw new DeltaError('bad', `player ${ep[j].id} enters, but is in view already`);
        }
        players.push(ep[j++]);
        continue;
      }
      const p = bp[i++];
      if (removed.has(p.id)) continue;
      const entry = next();
      players.push(entry ? applyFields(p, entry, ticks) : moveOn(p, ticks));
    }
    if (run > 0 || e < d.players.length) {
      throw new DeltaError('bad', 'entries for more players than the baseline has in view');
    }
    const bullets = [];
    const bb = base.bullets;
    const nb = d.bullets;
    for (let i = 0, j = 0; i < bb.length || j < nb.length;) {
      if (j === nb.length || (i < bb.length && bb[i].id < nb[j].id)) {
        if (!removed.has(bb[i].id)) bullets.push(bb[i]);
        i++;
      } else {
        if (i < bb.length && bb[i].id === nb[j].id) i++;
        bullets.push(nb[j]);
        j++;
      }
    }
    if (checksum(players, bullets) !== d.checksum) {
      throw new DeltaError('checksum', `checksum mismatch at tick ${d.tick}`);
    }
    const state = { tick: d.tick, players, bullets };
    this.ring.push(state);
    if (this.ring.length > RING_LEN) this.ring.shift();
    return state;
  }

  /** reset forgets every state (a new connection starts from a full snapshot). */
  reset() {
    this.ring = [];
  }
}

/**
 * moveOn returns player p as the server predicts it, ticks later: moving on as it last moved
 * (vx, vy a tick). A delta sends a position only where the player strayed from this.
 */
function moveOn(p, ticks) {
  if (ticks === 0 || (p.vx === 0 && p.vy === 0)) return p;
  return { ...p, x: p.x + p.vx * ticks, y: p.y + p.vy * ticks };
}

function applyFields(p, d, ticks) {
  const q = { ...moveOn(p, ticks) };
  if (d.mask & FIELD.X) q.x += d.x;
  if (d.mask & FIELD.Y) q.y += d.y;
  if (d.mask & FIELD.AIM) q.aim = (p.aim + d.aim) & 0xff;
  if (d.mask & FIELD.VEL) {
    q.vx = d.vx;
    q.vy = d.vy;
  }
  if (d.mask & FIELD.FLAGS) q.flags = d.flags;
  if (d.mask & FIELD.HEALTH) q.health = d.health;
  if (d.mask & FIELD.SCORE) {
    q.kills = d.kills;
    q.deaths = d.deaths;
  }
  return q;
}

/** toWorld turns a quantized player into world units: positions and aim as the game uses them. */
export function toWorld(p) {
  return { ...p, x: p.x / POS_SCALE, y: p.y / POS_SCALE, aim: (p.aim * 2 * Math.PI) / AIM_STEPS };
}

/**
 * bulletAt returns where a quantized bullet is at tick t, and its velocity, in world units: it
 * flies straight in direction dir at speed (the rules' bulletSpeed).
 */
export function bulletAt(b, t, tickRate, speed) {
  const a = (b.dir * 2 * Math.PI) / DIR_STEPS;
  const vx = Math.cos(a) * speed;
  const vy = Math.sin(a) * speed;
  const dt = (t - b.tick) / tickRate;
  return { id: b.id, owner: b.owner, x: b.x / POS_SCALE + vx * dt, y: b.y / POS_SCALE + vy * dt, vx, vy };
}

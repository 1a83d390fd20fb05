// The arena as one connection has been told it: protocol 4 snapshots applied to their
// baselines (delta.js), turned into the world units interpolation and drawing use, and the
// ack the next input carries. One Replica per connection: a new connection starts from a full
// snapshot (PROTOCOL.md, "snapshot (4)").
//
// Pure: no DOM, times are not needed.

import { Applier, DeltaError, toWorld, bulletAt } from './delta.js';
import { PlayerFlags } from './protocol.js';

export class Replica {
  /** tickRate, bulletSpeed: the welcome's, to place bullets at a state's tick. */
  constructor(tickRate, bulletSpeed) {
    this.tickRate = tickRate;
    this.bulletSpeed = bulletSpeed;
    this.applier = new Applier();
    this.ack = 0; // the tick of the newest applied state; 0 asks for a full snapshot
    this.resyncs = 0; // snapshots discarded: no baseline, or a checksum mismatch
    this.lastError = null; // the newest DeltaError's reason
  }

  /**
   * receive applies a decoded snapshot (protocol.js's delta form). It returns the state in
   * world units, { tick, lastSeq, players, bullets }, or null when the snapshot could not be
   * applied: then the ack drops to 0, so that the server sends a full snapshot next. Errors
   * other than a missing baseline or a checksum mismatch ('bad': the server broke the
   * protocol) are thrown.
   */
  receive(d) {
    let state;
    try {
      state = this.applier.apply(d);
    } catch (err) {
      if (!(err instanceof DeltaError) || err.reason === 'bad') throw err;
      this.ack = 0;
      this.resyncs++;
      this.lastError = err.reason;
      return null;
    }
    this.ack = state.tick;
    return worldState(state, d.lastSeq, this.tickRate, this.bulletSpeed);
  }

  /** reset forgets every state, for a new connection. */
  reset() {
    this.applier.reset();
    this.ack = 0;
  }
}

/**
 * worldState is an applied state as interpolation and drawing use it: players in world units
 * with `alive`, bullets at the state's tick with velocities in world units per second.
 */
export function worldState(state, lastSeq, tickRate, bulletSpeed) {
  return {
    tick: state.tick,
    lastSeq,
    players: state.players.map((p) => {
      const w = toWorld(p);
      w.alive = (p.flags & PlayerFlags.ALIVE) !== 0;
      return w;
    }),
    bullets: state.bullets.map((b) => bulletAt(b, state.tick, tickRate, bulletSpeed)),
  };
}

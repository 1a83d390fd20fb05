// The debug overlay (backquote or F3): how the connection, the clock, the interpolation and
// the prediction are doing. debugLines is pure, for Node tests; DebugOverlay fills one element.

import { formatRate } from './stats.js';

const ms = (v) => (v == null ? '–' : `${Math.round(v)} ms`);
const units = (v) => `${v.toFixed(1)} u`;
const signed = (v, digits) => `${v < 0 ? '−' : '+'}${Math.abs(v).toFixed(digits)}`;

/** debugLines turns Session.debug() into the overlay's lines. */
export function debugLines(d) {
  const p = d.prediction;
  const share = d.frames ? ((100 * d.underruns) / d.frames).toFixed(1) : '0.0';
  return [
    `RTT ${ms(d.rttMs)} (server ${ms(d.serverRttMs)}) · jitter ${ms(d.jitterMs)}`,
    d.clockOffsetMs == null
      ? 'clock offset –'
      : `clock offset ${signed(d.clockOffsetMs / 1000, 3)} s (server − local; slewing ${signed(d.clockErrorMs, 1)} ms, snaps ${d.clockSnaps}) · one-way ${ms(d.transitMs)}`,
    `interpolation delay ${ms(d.interpolationDelayMs)} (target ${ms(d.delayTargetMs)}, late p95 ${ms(d.latenessMs)}) · underruns ${d.underruns}/${d.frames} frames (${share}%)`,
    p
      ? `corrections ${p.corrections}/${p.reconciles} (snapped ${p.snaps}) · median ${units(p.median)} · p99 ${units(p.p99)} · pending ${d.pendingInputs}`
      : 'corrections –',
    `received ${formatRate(d.bytesPerSecond)} · resyncs ${d.resyncs} · ack ${d.ack}`,
  ];
}

/** isDebugToggle: the keys that show and hide the overlay. */
export function isDebugToggle(code) {
  return code === 'Backquote' || code === 'F3';
}

/** DebugOverlay shows debugLines in an element, at most every UPDATE_MS, while shown. */
const UPDATE_MS = 250;

export class DebugOverlay {
  constructor(el) {
    this.el = el;
    this.last = -Infinity;
  }

  get shown() {
    return !this.el.hidden;
  }

  toggle() {
    this.el.hidden = !this.el.hidden;
    this.last = -Infinity;
  }

  update(debug, now) {
    if (!this.shown || now - this.last < UPDATE_MS) return;
    this.last = now;
    const text = debug ? debugLines(debug).join('\n') : 'not connected';
    if (this.el.textContent !== text) this.el.textContent = text;
  }
}

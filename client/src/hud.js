// The heads-up display, in the DOM over the canvas: stats, room, scoreboard, death notice.
// rankPlayers is pure; the Hud class touches only the elements it is given.

import { formatRate } from './stats.js';

/** Rows in the scoreboard, besides your own when you are not among them. */
export const SCOREBOARD_ROWS = 8;

/** rankPlayers orders players by kills (most first), then deaths (fewest first), then id. */
export function rankPlayers(players) {
  return [...players].sort((a, b) => b.kills - a.kills || a.deaths - b.deaths || a.id - b.id);
}

/**
 * scoreboardRows is the top `rows` of the room's leaders (a scores message's top, leaders
 * first) with their rank, plus your own row at the end when you are not among them: self is
 * your player from the newest snapshot (the room's leaders are not all in view, and you may
 * not be among them), its rank unknown (null).
 */
export function scoreboardRows(top, self, rows = SCOREBOARD_ROWS) {
  const ranked = rankPlayers(top).map((p, i) => ({ rank: i + 1, player: p, self: self != null && p.id === self.id }));
  const shown = ranked.slice(0, rows);
  if (self && !shown.some((r) => r.self)) shown.push({ rank: ranked.find((r) => r.self)?.rank ?? null, player: self, self: true });
  return shown;
}

/** Hud updates the DOM at most every UPDATE_MS, and only what changed. */
const UPDATE_MS = 200;

export class Hud {
  constructor(doc = document) {
    this.el = {
      players: doc.getElementById('hud-players'),
      score: doc.getElementById('hud-score'),
      scoreLabel: doc.getElementById('hud-score-label'),
      tick: doc.getElementById('hud-tick'),
      rtt: doc.getElementById('hud-rtt'),
      serverRtt: doc.getElementById('hud-server-rtt'),
      rate: doc.getElementById('hud-rate'),
      room: doc.getElementById('hud-room'),
      board: doc.getElementById('scoreboard-rows'),
      notice: doc.getElementById('notice'),
      watching: doc.getElementById('spectating-what'),
    };
    this.doc = doc;
    this.last = -Infinity;
    this.boardKey = '';
  }

  /**
   * update shows state: {scores (the newest scores message, or null), self (your player in
   * the newest snapshot, or undefined), tick, rttMs, serverRttMs, bytesPerSecond, and for a
   * spectator inView, the players it sees (in place of a score it does not have)}.
   */
  update(state, now) {
    if (now - this.last < UPDATE_MS) return;
    this.last = now;
    const { scores, self } = state;
    setText(this.el.players, scores ? String(scores.players) : '–');
    const watching = state.inView != null;
    setText(this.el.scoreLabel, watching ? 'In view' : 'Kills / deaths');
    setText(this.el.score, watching ? String(state.inView) : self ? `${self.kills} / ${self.deaths}` : '–');
    setText(this.el.tick, String(state.tick ?? '–'));
    setText(this.el.rtt, state.rttMs == null ? '–' : `${Math.round(state.rttMs)} ms`);
    setText(this.el.serverRtt, state.serverRttMs == null ? '–' : `${Math.round(state.serverRttMs)} ms`);
    setText(this.el.rate, formatRate(state.bytesPerSecond));

    const dead = self && !self.alive;
    this.el.notice.hidden = !dead;
    if (dead) setText(this.el.notice, 'You were eliminated. Respawning…');

    this.drawBoard(scoreboardRows(scores ? scores.top : [], self));
  }

  /** setWatching says, in a spectator's bar, what it watches. */
  setWatching(text) {
    setText(this.el.watching, text);
  }

  /** setRoom shows the id of the room the player is in. */
  setRoom(id) {
    setText(this.el.room, id ?? '–');
  }

  drawBoard(rows) {
    const key = rows.map((r) => `${r.rank}:${r.player.id}:${r.player.name}:${r.player.kills}:${r.player.deaths}`).join('|');
    if (key === this.boardKey) return;
    this.boardKey = key;
    const frag = this.doc.createDocumentFragment();
    for (const r of rows) {
      const tr = this.doc.createElement('tr');
      if (r.self) tr.className = 'self';
      for (const v of [r.rank ?? '–', r.player.name, r.player.kills, r.player.deaths]) {
        const td = this.doc.createElement('td');
        td.textContent = String(v);
        tr.append(td);
      }
      // A swatch of the player's colour.
      tr.children[1].style.setProperty('--hue', String(r.player.hue));
      frag.append(tr);
    }
    this.el.board.replaceChildren(frag);
  }
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

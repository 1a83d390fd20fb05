// Drawing the arena on the canvas: floor, walls, bullets, players. It draws what it is given
// and decides nothing about the game.

import { isWallTile, visibleTiles } from './map.js';

const COLORS = {
  outside: '#141821', // beyond the arena's edge, which is all wall
  floor: '#262c38',
  grid: 'rgba(255, 255, 255, 0.035)',
  wall: '#55607a',
  wallEdge: '#6d7996',
  bullet: '#fff3a6',
  selfRing: '#ffffff',
  label: 'rgba(235, 240, 250, 0.92)',
  healthBack: 'rgba(0, 0, 0, 0.55)',
  health: '#5fe07a',
  healthLow: '#f0544f',
};

/**
 * playerColor is a player's colour from its HSL hue. The body's middle is this colour,
 * solid, so that a test can read it back from a pixel.
 */
export function playerColor(hue) {
  return `hsl(${hue}, 70%, 55%)`;
}

function barrelColor(hue) {
  return `hsl(${hue}, 40%, 78%)`;
}

/** Renderer draws frames on one canvas, sized to its CSS box and the devicePixelRatio. */
export class Renderer {
  constructor(canvas, win = window) {
    this.canvas = canvas;
    this.win = win;
    this.ctx = canvas.getContext('2d', { alpha: false });
    this.cssWidth = 0;
    this.cssHeight = 0;
    this.dpr = 1;
  }

  /**
   * fit matches the canvas's backing store to its CSS size times devicePixelRatio (both change
   * on resize and zoom) and returns the CSS size. Cheap when nothing changed.
   */
  fit() {
    const dpr = this.win.devicePixelRatio || 1;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const pw = Math.max(1, Math.round(w * dpr));
    const ph = Math.max(1, Math.round(h * dpr));
    if (this.canvas.width !== pw || this.canvas.height !== ph || this.dpr !== dpr) {
      this.canvas.width = pw;
      this.canvas.height = ph;
    }
    this.cssWidth = w;
    this.cssHeight = h;
    this.dpr = dpr;
    return { width: w, height: h };
  }

  /**
   * draw draws one frame. scene: {camera, tileMap, rules, players, bullets, selfId};
   * players and bullets are in world units, as drawn (interpolated or newest).
   */
  draw(scene) {
    const { ctx } = this;
    const { camera } = scene;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = COLORS.outside;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (!scene.tileMap) return;

    // World units to device pixels: CSS pixels per unit, times device pixels per CSS pixel.
    const s = camera.scale * this.dpr;
    ctx.setTransform(s, 0, 0, s,
      (camera.width / 2 - camera.cx * camera.scale) * this.dpr,
      (camera.height / 2 - camera.cy * camera.scale) * this.dpr);

    const view = camera.viewRect();
    this.drawArena(scene.tileMap, view);
    this.drawBullets(scene.bullets, scene.rules, camera.scale);
    this.drawPlayers(scene.players, scene.selfId, scene.rules, camera.scale);
  }

  drawArena(tm, view) {
    const { ctx } = this;
    const ts = tm.tileSize;
    // The floor, clipped to the view: arenas can be far larger than the screen.
    const left = Math.max(0, view.left);
    const top = Math.max(0, view.top);
    const right = Math.min(tm.width, view.right);
    const bottom = Math.min(tm.height, view.bottom);
    if (right <= left || bottom <= top) return;
    ctx.fillStyle = COLORS.floor;
    ctx.fillRect(left, top, right - left, bottom - top);

    // Only the visible tiles; one path for the grid, one for the walls.
    const r = visibleTiles(tm, view.left, view.top, view.right, view.bottom);
    ctx.beginPath();
    for (let c = r.col0; c <= r.col1 + 1; c++) {
      const x = Math.min(c * ts, tm.width);
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
    }
    for (let row = r.row0; row <= r.row1 + 1; row++) {
      const y = Math.min(row * ts, tm.height);
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
    }
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.stroke();

    ctx.beginPath();
    for (let row = r.row0; row <= r.row1; row++) {
      for (let c = r.col0; c <= r.col1; c++) {
        if (!isWallTile(tm, c, row)) continue;
        // The last row and column may be cut by the arena's edge.
        const x = c * ts;
        const y = row * ts;
        ctx.rect(x, y, Math.min(ts, tm.width - x), Math.min(ts, tm.height - y));
      }
    }
    ctx.fillStyle = COLORS.wall;
    ctx.fill();
    ctx.strokeStyle = COLORS.wallEdge;
    ctx.lineWidth = 1.5;
    ctx.stroke();

    // The arena's edge, a wall too.
    ctx.strokeStyle = COLORS.wallEdge;
    ctx.lineWidth = 4;
    ctx.strokeRect(-2, -2, tm.width + 4, tm.height + 4);
  }

  drawBullets(bullets, rules, scale) {
    const { ctx } = this;
    const r = Math.max(rules.bulletRadius, 2.5 / scale); // at least 2.5 CSS pixels
    ctx.fillStyle = COLORS.bullet;
    ctx.beginPath();
    for (const b of bullets) {
      ctx.moveTo(b.x + r, b.y);
      ctx.arc(b.x, b.y, r, 0, Math.PI * 2);
    }
    ctx.fill();
  }

  drawPlayers(players, selfId, rules, scale) {
    const { ctx } = this;
    const r = rules.playerRadius;
    // Bodies first, self last (on top); labels over every body.
    const ordered = players.filter((p) => p.id !== selfId);
    const self = players.find((p) => p.id === selfId);
    if (self) ordered.push(self);

    for (const p of ordered) {
      if (!p.alive) {
        // The dead are only a faint ring until they respawn.
        ctx.globalAlpha = 0.25;
        ctx.strokeStyle = playerColor(p.hue);
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
        ctx.stroke();
        ctx.globalAlpha = 1;
        continue;
      }
      // The barrel starts at the centre, under the body: only its tip shows.
      ctx.strokeStyle = barrelColor(p.hue);
      ctx.lineWidth = r * 0.5;
      ctx.lineCap = 'butt';
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      ctx.lineTo(p.x + Math.cos(p.aim) * r * 2, p.y + Math.sin(p.aim) * r * 2);
      ctx.stroke();

      ctx.fillStyle = playerColor(p.hue);
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
      ctx.fill();
      ctx.strokeStyle = 'rgba(0, 0, 0, 0.35)';
      ctx.lineWidth = 2;
      ctx.stroke();

      if (p.id === selfId) {
        ctx.strokeStyle = COLORS.selfRing;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(p.x, p.y, r + 4, 0, Math.PI * 2);
        ctx.stroke();
      }
    }

    // Labels keep their size in CSS pixels whatever the zoom.
    const k = 1 / scale;
    ctx.font = `${12 * k}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    for (const p of ordered) {
      if (!p.alive) continue;
      const top = p.y - r - 8 * k;
      const w = r * 2.2;
      const frac = Math.max(0, Math.min(1, p.health / rules.maxHealth));
      ctx.fillStyle = COLORS.healthBack;
      ctx.fillRect(p.x - w / 2, top, w, 4 * k);
      ctx.fillStyle = frac > 0.3 ? COLORS.health : COLORS.healthLow;
      ctx.fillRect(p.x - w / 2, top, w * frac, 4 * k);
      ctx.fillStyle = COLORS.label;
      ctx.fillText(p.name, p.x, top - 3 * k);
    }
  }
}

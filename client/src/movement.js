// The server's movement rules (game/step.go, game/collide.go, game/map.go), ported for
// prediction: the same operations in the same order, so the same bits. A player is a square of
// half-size playerRadius that slides against wall tiles, x first, then y, in steps of at most
// half a tile. test/movement.test.js replays the Go side's vectors
// (game/testdata/movement-vectors.json): every position must match exactly.
//
// Go writes products as float64(a*b) so that no fused multiply-add happens; JavaScript never
// fuses, so plain arithmetic in the same order gives the same results.
//
// Pure: no DOM.

/**
 * makeArena prepares the welcome's map for movement: the block repeated over the arena,
 * rounded up to whole tiles as game.NewArena does; everything outside is wall.
 */
export function makeArena(map) {
  const chars = Array.from(map.tiles);
  const walls = new Uint8Array(map.cols * map.rows);
  for (let i = 0; i < walls.length; i++) walls[i] = chars[i] === '#' ? 1 : 0;
  const ts = map.tileSize;
  return {
    tileSize: ts,
    cols: map.cols,
    rows: map.rows,
    arenaCols: Math.ceil(map.width / ts),
    arenaRows: Math.ceil(map.height / ts),
    walls,
  };
}

/** wallAt reports whether arena tile (tx, ty) blocks movement (game.Arena.wallAt). */
export function wallAt(a, tx, ty) {
  if (tx < 0 || ty < 0 || tx >= a.arenaCols || ty >= a.arenaRows) return true;
  return a.walls[(ty % a.rows) * a.cols + (tx % a.cols)] === 1;
}

/** clampLen shortens (x, y) to length max if it is longer (game.Vec.ClampLen). */
export function clampLen(x, y, max = 1) {
  const l = Math.sqrt(x * x + y * y);
  if (l <= max || l === 0) return { x, y };
  const s = max / l;
  return { x: x * s, y: y * s };
}

function slideX(a, px, py, r, dx) {
  if (dx === 0) return px;
  const ts = a.tileSize;
  const x = px + dx;
  const ty0 = Math.floor((py - r) / ts);
  const ty1 = Math.ceil((py + r) / ts) - 1;
  if (dx > 0) {
    const tx = Math.ceil((x + r) / ts) - 1; // the column the leading edge reaches
    for (let ty = ty0; ty <= ty1; ty++) if (wallAt(a, tx, ty)) return tx * ts - r;
    return x;
  }
  const tx = Math.floor((x - r) / ts);
  for (let ty = ty0; ty <= ty1; ty++) if (wallAt(a, tx, ty)) return (tx + 1) * ts + r;
  return x;
}

function slideY(a, px, py, r, dy) {
  if (dy === 0) return py;
  const ts = a.tileSize;
  const y = py + dy;
  const tx0 = Math.floor((px - r) / ts);
  const tx1 = Math.ceil((px + r) / ts) - 1;
  if (dy > 0) {
    const ty = Math.ceil((y + r) / ts) - 1;
    for (let tx = tx0; tx <= tx1; tx++) if (wallAt(a, tx, ty)) return ty * ts - r;
    return y;
  }
  const ty = Math.floor((y - r) / ts);
  for (let tx = tx0; tx <= tx1; tx++) if (wallAt(a, tx, ty)) return (ty + 1) * ts + r;
  return y;
}

/** moveBox moves a square of half-size r centred at (x, y) by (dx, dy) and returns where it stops. */
export function moveBox(a, x, y, r, dx, dy) {
  const half = a.tileSize / 2;
  const n = Math.ceil(Math.max(Math.abs(dx), Math.abs(dy)) / half);
  if (n === 0) return { x, y };
  let sx = dx;
  let sy = dy;
  if (n > 1) {
    const s = 1 / n;
    sx = dx * s;
    sy = dy * s;
  }
  for (let i = 0; i < n; i++) {
    x = slideX(a, x, y, r, sx);
    y = slideY(a, x, y, r, sy);
  }
  return { x, y };
}

/**
 * POS_PER_UNIT is the position grid (game.PosPerUnit): every move ends on a grid of 1/4 unit,
 * the precision snapshots carry (delta.js's POS_SCALE is this), so a replay from a
 * snapshot's position is exact.
 */
export const POS_PER_UNIT = 4;

/** snap rounds a coordinate to the position grid, halves away from zero (game.SnapPos). */
export function snap(v) {
  const r = Math.round(Math.abs(v) * POS_PER_UNIT) / POS_PER_UNIT;
  return v < 0 ? -r : r;
}

/**
 * slide is a tick's movement before the grid: move (the input's direction) is shortened to
 * length 1, scaled by speed per tick, and the box slides along the walls. For drawing between
 * ticks; the simulation's own step is step. rules: { playerRadius, playerSpeed }.
 */
export function slide(a, rules, tickRate, x, y, moveX, moveY) {
  const m = clampLen(moveX, moveY, 1);
  if (m.x === 0 && m.y === 0) return { x, y };
  const k = rules.playerSpeed * (1 / tickRate); // float64(PlayerSpeed*dt), dt = 1/tickRate
  return moveBox(a, x, y, rules.playerRadius, m.x * k, m.y * k);
}

/**
 * step is one tick of a living player's movement (game.Step): slide, then snap where the box
 * stopped to the position grid.
 */
export function step(a, rules, tickRate, x, y, moveX, moveY) {
  const p = slide(a, rules, tickRate, x, y, moveX, moveY);
  return { x: snap(p.x), y: snap(p.y) };
}

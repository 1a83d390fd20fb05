// The arena's tiles: the welcome's map block, repeated to fill the arena (PROTOCOL.md,
// "welcome"). Pure, so Node tests import it.

/**
 * makeTileMap prepares a decoded welcome map for fast lookups: one byte per block tile,
 * 1 for a wall.
 */
export function makeTileMap(map) {
  const chars = Array.from(map.tiles); // characters, as the server counts them
  const walls = new Uint8Array(map.cols * map.rows);
  for (let i = 0; i < walls.length; i++) walls[i] = chars[i] === '#' ? 1 : 0;
  return {
    name: map.name,
    tileSize: map.tileSize,
    cols: map.cols,
    rows: map.rows,
    width: map.width,
    height: map.height,
    walls,
  };
}

/** mod is the always-positive remainder. */
function mod(a, n) {
  const r = a % n;
  return r < 0 ? r + n : r;
}

/**
 * isWallTile reports whether the arena tile (col, row) — whole numbers, counted from the
 * arena's top-left corner — is a wall in the repeated block. It does not look at the arena's
 * edge; isWallAt does.
 */
export function isWallTile(tm, col, row) {
  return tm.walls[mod(row, tm.rows) * tm.cols + mod(col, tm.cols)] === 1;
}

/** isWallAt reports whether world point (x, y) is in a wall. Outside the arena is wall. */
export function isWallAt(tm, x, y) {
  if (!(x >= 0 && x < tm.width && y >= 0 && y < tm.height)) return true;
  return isWallTile(tm, Math.floor(x / tm.tileSize), Math.floor(y / tm.tileSize));
}

/**
 * visibleTiles is the range of arena tiles that overlap the world rectangle
 * [left, right] x [top, bottom], clipped to the arena: {col0, col1, row0, row1}, inclusive.
 * It is empty (col0 > col1 or row0 > row1) when the view misses the arena.
 */
export function visibleTiles(tm, left, top, right, bottom) {
  const ts = tm.tileSize;
  const lastCol = Math.ceil(tm.width / ts) - 1;
  const lastRow = Math.ceil(tm.height / ts) - 1;
  return {
    col0: Math.max(0, Math.floor(left / ts)),
    col1: Math.min(lastCol, Math.floor(right / ts)),
    row0: Math.max(0, Math.floor(top / ts)),
    row1: Math.min(lastRow, Math.floor(bottom / ts)),
  };
}

// The camera: which part of the world the canvas shows. Screen coordinates are CSS pixels of
// the canvas, (0, 0) at its top-left corner. Pure, so Node tests import it.

/** The smallest view, in world units, that the shorter side of the window shows. */
const MIN_VIEW_UNITS = 600;

/**
 * viewScale is how many CSS pixels one world unit takes: 1, except on small windows, which
 * zoom out so that they still show MIN_VIEW_UNITS of the world.
 */
export function viewScale(cssWidth, cssHeight) {
  return Math.min(1, Math.min(cssWidth, cssHeight) / MIN_VIEW_UNITS);
}

/** The player's zoom (mouse wheel) multiplies viewScale, within these bounds. */
export const MIN_ZOOM = 0.35;
export const MAX_ZOOM = 2.5;

/** zoomBy turns a wheel's deltaY (pixels; down is positive) into a new zoom: down zooms out. */
export function zoomBy(zoom, deltaY) {
  const z = zoom * Math.exp(-deltaY * 0.001);
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
}

/** Camera centred on world point (cx, cy) in a canvas of cssWidth x cssHeight. */
export class Camera {
  constructor(cx = 0, cy = 0, cssWidth = 1, cssHeight = 1, scale = 1) {
    this.set(cx, cy, cssWidth, cssHeight, scale);
  }

  set(cx, cy, cssWidth, cssHeight, scale) {
    this.cx = cx;
    this.cy = cy;
    this.width = cssWidth;
    this.height = cssHeight;
    this.scale = scale;
  }

  worldToScreen(x, y) {
    return {
      x: (x - this.cx) * this.scale + this.width / 2,
      y: (y - this.cy) * this.scale + this.height / 2,
    };
  }

  screenToWorld(sx, sy) {
    return {
      x: (sx - this.width / 2) / this.scale + this.cx,
      y: (sy - this.height / 2) / this.scale + this.cy,
    };
  }

  /** The world rectangle in view: {left, top, right, bottom}. */
  viewRect() {
    const hw = this.width / 2 / this.scale;
    const hh = this.height / 2 / this.scale;
    return { left: this.cx - hw, top: this.cy - hh, right: this.cx + hw, bottom: this.cy + hh };
  }
}

/**
 * How much farther than the corners of the screen a spectator watches, as a factor of their
 * distance: what comes into view as the camera moves is there already, although a new watch
 * takes a round trip and the interpolation delay to show.
 */
export const WATCH_MARGIN = 1.25;

/**
 * watchRadius is the area of interest a spectator asks for with this camera: a circle around
 * its centre that takes in the whole screen, with WATCH_MARGIN to spare. Zooming out widens
 * it. (The server bounds it: MIN_WATCH_RADIUS to MAX_WATCH_RADIUS, which the session keeps.)
 */
export function watchRadius(camera) {
  return (Math.hypot(camera.width, camera.height) / 2 / camera.scale) * WATCH_MARGIN;
}

/** A spectator's camera moves this many CSS pixels a second while a direction key is held. */
export const PAN_SPEED = 700;

/**
 * panned is where a spectator's camera centre (x, y) goes in dtMs with the move direction
 * held (length 1 or 0) at scale CSS pixels per world unit, kept inside the arena (width x
 * height world units), as the server keeps the watch.
 */
export function panned(x, y, move, dtMs, scale, width, height) {
  const d = (PAN_SPEED / scale) * (dtMs / 1000);
  return inArena(x + move.x * d, y + move.y * d, width, height);
}

/** inArena is the point of the arena (width x height world units) nearest to (x, y). */
export function inArena(x, y, width, height) {
  return { x: Math.min(width, Math.max(0, x)), y: Math.min(height, Math.max(0, y)) };
}

/**
 * nextToFollow is the player a spectator follows after current (an id, or null) when it asks
 * for the next (back: the one before), among ids (the players drawn): in id order, round
 * again; null if there is none.
 */
export function nextToFollow(ids, current, back = false) {
  const sorted = [...ids].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  if (back) return sorted.findLast((id) => current === null || id < current) ?? sorted[sorted.length - 1];
  return sorted.find((id) => current === null || id > current) ?? sorted[0];
}

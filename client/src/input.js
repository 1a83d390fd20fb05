// Keyboard and mouse: what the player wants this tick. The pure functions at the top are
// what Node tests import; the Input class attaches listeners to the page.

// Physical keys (KeyboardEvent.code), so that WASD stays in place on any keyboard layout.
const UP = ['KeyW', 'ArrowUp'];
const DOWN = ['KeyS', 'ArrowDown'];
const LEFT = ['KeyA', 'ArrowLeft'];
const RIGHT = ['KeyD', 'ArrowRight'];
const MOVE_KEYS = new Set([...UP, ...DOWN, ...LEFT, ...RIGHT]);
const FIRE_KEY = 'Space';

/** normalizeMove scales (x, y) to length 1, or returns 0,0 for a zero (or NaN) vector. */
export function normalizeMove(x, y) {
  const len = Math.hypot(x, y);
  if (!(len > 1e-9)) return { x: 0, y: 0 };
  return { x: x / len, y: y / len };
}

/**
 * moveFromKeys turns the held keys (a Set of KeyboardEvent.code) into a move vector of
 * length 1 or 0. Opposite keys cancel; y grows downwards, as in the world.
 */
export function moveFromKeys(held) {
  // Each direction counts once, even when its letter and its arrow are both held.
  const any = (codes) => (codes.some((c) => held.has(c)) ? 1 : 0);
  return normalizeMove(any(RIGHT) - any(LEFT), any(DOWN) - any(UP));
}

/** aimAngle is the aim from a player at (px, py) towards world point (tx, ty), in radians. */
export function aimAngle(px, py, tx, ty) {
  if (tx === px && ty === py) return 0;
  return Math.atan2(ty - py, tx - px);
}

/** isGameKey reports whether the game handles this KeyboardEvent.code. */
export function isGameKey(code) {
  return MOVE_KEYS.has(code) || code === FIRE_KEY;
}

/**
 * Input tracks the keyboard and the mouse over a canvas. It never sends anything; the
 * session samples it once per tick.
 */
export class Input {
  constructor(canvas, win = window) {
    this.canvas = canvas;
    this.held = new Set(); // KeyboardEvent.code of the keys held now
    this.mouseDown = false; // left button held over the canvas
    this.mouse = null; // {x, y} in CSS pixels of the canvas, once the mouse has moved

    const typing = (e) => e.target instanceof HTMLElement &&
      (e.target.tagName === 'INPUT' || e.target.tagName === 'TEXTAREA' || e.target.isContentEditable);

    win.addEventListener('keydown', (e) => {
      if (typing(e) || !isGameKey(e.code)) return;
      e.preventDefault(); // no scrolling with arrows and space
      this.held.add(e.code);
    });
    win.addEventListener('keyup', (e) => {
      this.held.delete(e.code);
    });
    // A key released while the window is not focused never sends keyup: release everything.
    win.addEventListener('blur', () => this.releaseAll());
    win.document.addEventListener('visibilitychange', () => {
      if (win.document.hidden) this.releaseAll();
    });

    const track = (e) => {
      const r = canvas.getBoundingClientRect();
      this.mouse = { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    canvas.addEventListener('pointermove', track);
    canvas.addEventListener('pointerdown', (e) => {
      track(e);
      if (e.button === 0) this.mouseDown = true;
    });
    // Released anywhere, even outside the canvas.
    win.addEventListener('pointerup', (e) => {
      if (e.button === 0) this.mouseDown = false;
    });
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  releaseAll() {
    this.held.clear();
    this.mouseDown = false;
  }

  /** move is the wanted direction now: length 1 or 0. */
  move() {
    return moveFromKeys(this.held);
  }

  /** firing reports whether the left button or space is held. */
  firing() {
    return this.mouseDown || this.held.has(FIRE_KEY);
  }
}

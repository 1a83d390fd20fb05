import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera, viewScale, zoomBy, MIN_ZOOM, MAX_ZOOM, watchRadius, WATCH_MARGIN, panned, PAN_SPEED, nextToFollow } from '../src/camera.js';

test('the camera centres its point and maps both ways', () => {
  const c = new Camera(500, 300, 1000, 700, 2);
  assert.deepEqual(c.worldToScreen(500, 300), { x: 500, y: 350 });
  assert.deepEqual(c.worldToScreen(510, 290), { x: 520, y: 330 });
  assert.deepEqual(c.screenToWorld(520, 330), { x: 510, y: 290 });
  assert.deepEqual(c.viewRect(), { left: 250, top: 125, right: 750, bottom: 475 });
});

test('small windows zoom out, large ones do not zoom in', () => {
  assert.equal(viewScale(1000, 700), 1);
  assert.equal(viewScale(3000, 2000), 1);
  assert.equal(viewScale(400, 300), 0.5);
});

test('the wheel zooms within bounds', () => {
  assert.ok(zoomBy(1, 100) < 1, 'wheel down zooms out');
  assert.ok(zoomBy(1, -100) > 1, 'wheel up zooms in');
  assert.equal(zoomBy(1, 1e6), MIN_ZOOM);
  assert.equal(zoomBy(1, -1e6), MAX_ZOOM);
  assert.ok(Math.abs(zoomBy(zoomBy(1, 250), -250) - 1) < 1e-12);
});

test("a spectator's area of interest takes in the screen, and grows as it zooms out", () => {
  const cam = new Camera(640, 400, 1000, 700, 1);
  const corner = cam.screenToWorld(0, 0);
  const toCorner = Math.hypot(corner.x - 640, corner.y - 400);
  assert.ok(Math.abs(watchRadius(cam) - toCorner * WATCH_MARGIN) < 1e-9, `${watchRadius(cam)} for a corner at ${toCorner}`);
  cam.set(640, 400, 1000, 700, 0.5);
  assert.ok(Math.abs(watchRadius(cam) - 2 * toCorner * WATCH_MARGIN) < 1e-9);
});

test("a spectator's camera pans at PAN_SPEED screen pixels a second, inside the arena", () => {
  // At scale 2, PAN_SPEED pixels are PAN_SPEED / 2 world units.
  const p = panned(100, 100, { x: 1, y: 0 }, 500, 2, 1280, 800);
  assert.ok(Math.abs(p.x - (100 + PAN_SPEED / 2 / 2)) < 1e-9 && p.y === 100, JSON.stringify(p));
  const d = Math.SQRT1_2;
  const q = panned(100, 100, { x: -d, y: d }, 1000, 1, 1280, 800);
  assert.deepEqual(q, { x: 0, y: 100 + PAN_SPEED * d }); // stopped at the left edge
  assert.deepEqual(panned(1200, 790, { x: 1, y: 1 }, 1000, 1, 1280, 800), { x: 1280, y: 800 });
  assert.deepEqual(panned(5, 6, { x: 0, y: 0 }, 1000, 1, 1280, 800), { x: 5, y: 6 });
});

test('a spectator follows the players in view in id order, round again', () => {
  const ids = [7, 2, 11];
  assert.equal(nextToFollow(ids, null), 2);
  assert.equal(nextToFollow(ids, 2), 7);
  assert.equal(nextToFollow(ids, 11), 2);
  assert.equal(nextToFollow(ids, 5), 7); // one that left view: the next after it
  assert.equal(nextToFollow(ids, null, true), 11);
  assert.equal(nextToFollow(ids, 2, true), 11);
  assert.equal(nextToFollow(ids, 11, true), 7);
  assert.equal(nextToFollow([], 3), null);
  assert.deepEqual(ids, [7, 2, 11], 'the list is not sorted in place');
});

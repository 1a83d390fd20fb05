import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera, viewScale, zoomBy, MIN_ZOOM, MAX_ZOOM } from '../src/camera.js';

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

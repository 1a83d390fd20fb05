import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wsURL } from '../src/connection.js';
import { generateName } from '../src/names.js';
import { MAX_NAME_LEN } from '../src/protocol.js';

test('the WebSocket address follows the page', () => {
  assert.equal(wsURL({ protocol: 'http:', host: '127.0.0.1:8080', search: '' }), 'ws://127.0.0.1:8080/ws');
  assert.equal(wsURL({ protocol: 'https:', host: 'game.example', search: '?name=Al' }), 'wss://game.example/ws');
});

test('room parameters are passed on, others are not', () => {
  assert.equal(wsURL({ protocol: 'http:', host: 'h', search: '?name=Al&room=r7&x=1' }), 'ws://h/ws?room=r7');
  assert.equal(wsURL({ protocol: 'http:', host: 'h', search: '?create=1&private=1' }), 'ws://h/ws?create=1&private=1');
});

test('generated names fit the server limit', () => {
  let i = 0;
  const seq = [0.99, 0.99, 0.99, 0, 0, 0, 0.5, 0.31, 0.42];
  const random = () => seq[i++ % seq.length];
  const names = [generateName(random), generateName(random), generateName(random)];
  assert.deepEqual(names, ['CalmRaven99', 'SwiftOtter0', 'LuckyHeron50']);
  for (let k = 0; k < 200; k++) {
    const n = generateName();
    assert.ok(n.length > 0 && n.length <= MAX_NAME_LEN, n);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  quickPlay, roomTarget, watchRoom, newRoom, targetFromSearch, wsQuery, wsURL, roomLink, lobbyLink,
} from '../src/address.js';

const page = (href) => new URL(href); // has protocol, host, origin, pathname, search

test('WebSocket addresses for quick play, a room, and a new public or private room', () => {
  const loc = page('http://127.0.0.1:8080/');
  const cases = [
    ['quick play', quickPlay(), 'ws://127.0.0.1:8080/ws'],
    ['a room', roomTarget('k3x9m2qa'), 'ws://127.0.0.1:8080/ws?room=k3x9m2qa'],
    ['a room, watched', watchRoom('k3x9m2qa'), 'ws://127.0.0.1:8080/ws?room=k3x9m2qa&spectate=1'],
    ['a new public room', newRoom(false), 'ws://127.0.0.1:8080/ws?create=1'],
    ['a new private room', newRoom(true), 'ws://127.0.0.1:8080/ws?create=1&private=1'],
    ['no target: quick play', undefined, 'ws://127.0.0.1:8080/ws'],
  ];
  for (const [name, target, want] of cases) assert.equal(wsURL(loc, target), want, name);
});

test('the WebSocket scheme follows the page', () => {
  assert.equal(wsURL(page('https://game.example/?name=Al'), quickPlay()), 'wss://game.example/ws');
  assert.equal(wsURL(page('http://game.example:9000/x/'), roomTarget('ab')), 'ws://game.example:9000/ws?room=ab');
});

test('room ids are escaped in the query', () => {
  assert.equal(wsQuery(roomTarget('a b&c=d')), '?room=a+b%26c%3Dd');
  assert.equal(wsQuery(quickPlay()), '');
});

test('the page query string chooses the target', () => {
  const cases = [
    ['', quickPlay()],
    ['?name=Al', quickPlay()],
    ['?room=k3x9m2qa', roomTarget('k3x9m2qa')],
    ['?name=Al&room=%20k3x9m2qa%20', roomTarget('k3x9m2qa')],
    ['?room=', quickPlay()],
    ['?create=1', newRoom(false)],
    ['?create=1&private=1', newRoom(true)],
    ['?create=0&private=1', quickPlay()],
    ['?room=abc&create=1', roomTarget('abc')], // a room named wins
    ['?room=abc&spectate=1', watchRoom('abc')],
    ['?name=Al&spectate=1&room=abc', watchRoom('abc')],
    ['?room=abc&spectate=0', roomTarget('abc')],
    ['?spectate=1', quickPlay()], // only a room is watched
  ];
  for (const [search, want] of cases) assert.deepEqual(targetFromSearch(search), want, search);
});

test('the shareable link names the room and nothing else', () => {
  assert.equal(roomLink(page('http://127.0.0.1:8080/?name=Alice&create=1&private=1#x'), 'k3x9m2qa'),
    'http://127.0.0.1:8080/?room=k3x9m2qa');
  assert.equal(roomLink(page('https://game.example/play/?room=old'), 'new1'), 'https://game.example/play/?room=new1');
  assert.equal(lobbyLink(page('http://h:1/?room=nosuchrm&name=Carol')), 'http://h:1/');
  // Watching, the address bar says so: a reload watches again.
  assert.equal(roomLink(page('http://h:1/?name=Carol'), 'k3x9m2qa', true), 'http://h:1/?room=k3x9m2qa&spectate=1');
  assert.deepEqual(targetFromSearch(new URL(roomLink(page('http://h:1/'), 'k3x9m2qa', true)).search), watchRoom('k3x9m2qa'));
});

// The lobby, in the overlay before the game: the name, then where to play. "Quick play"
// lets the server place the player; a page opened at /?room=ID offers that room first (or,
// with &spectate=1, watching it); the public rooms from GET /rooms are listed to join or
// watch; "Create room" makes a new one, private if asked. It decides nothing about
// connections: it calls onPlay(target, name).

import { quickPlay, roomTarget, watchRoom, newRoom } from './address.js';

export class Lobby {
  /**
   * doc: the document. opts: {onPlay(target, name), loadRooms() → Promise of
   * [{id, players, spectators, maxPlayers, maxSpectators}] (roomlist.js)}.
   */
  constructor(doc, { onPlay, loadRooms }) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.onPlay = onPlay;
    this.loadRooms = loadRooms;
    this.el = {
      form: $('lobby'),
      name: $('name'),
      message: $('lobby-message'),
      play: $('play'),
      quick: $('quick-play'),
      watchInstead: $('watch-instead'),
      list: $('room-list'),
      roomsStatus: $('rooms-status'),
      refresh: $('refresh-rooms'),
      create: $('create-room'),
      private: $('private'),
      status: $('status'),
    };
    this.target = quickPlay();
    this.loads = 0; // numbers the room list requests: only the newest is shown

    const go = (target) => this.onPlay(target, this.name);
    this.el.form.addEventListener('submit', (e) => {
      e.preventDefault(); // Enter in the name field, or the main button
      go(this.target);
    });
    this.el.quick.addEventListener('click', () => go(quickPlay()));
    this.el.watchInstead.addEventListener('click', () => go(watchRoom(this.el.watchInstead.dataset.room)));
    this.el.create.addEventListener('click', () => go(newRoom(this.el.private.checked)));
    this.el.refresh.addEventListener('click', () => this.refresh());
    this.el.list.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-room]');
      if (b && !b.disabled) go(b.dataset.watch ? watchRoom(b.dataset.room) : roomTarget(b.dataset.room));
    });
  }

  /** name is the name field, trimmed. */
  get name() {
    return this.el.name.value.trim();
  }

  set name(v) {
    this.el.name.value = v;
  }

  /**
   * setTarget makes target what the main button (and Enter) does: "Join room ID" or "Watch
   * room ID" for a room, "Quick play" otherwise.
   */
  setTarget(target) {
    this.target = target;
    const room = target.kind === 'room';
    this.el.play.textContent = room ? `${target.spectate ? 'Watch' : 'Join'} room ${target.room}` : 'Quick play';
    this.el.quick.hidden = !room;
    this.el.watchInstead.hidden = true;
  }

  /**
   * offerWatch offers to watch room id instead of waiting for a seat in it: the room is full
   * of players, and a spectator's seat is apart from theirs.
   */
  offerWatch(id) {
    this.el.watchInstead.dataset.room = id;
    this.el.watchInstead.textContent = `Watch room ${id} instead`;
    this.el.watchInstead.hidden = false;
  }

  /** setMessage shows a message above the buttons ('' hides it). */
  setMessage(text) {
    this.el.message.textContent = text;
    this.el.message.hidden = text === '';
  }

  /** setStatus sets the line at the bottom (what the connection is doing). */
  setStatus(text) {
    if (this.el.status.textContent !== text) this.el.status.textContent = text;
  }

  /** busy disables the lobby while a connection is being made. */
  busy(status) {
    this.setEnabled(false);
    this.setStatus(status);
  }

  /** idle lets the player choose again. */
  idle(status = '') {
    this.setEnabled(true);
    this.setStatus(status);
  }

  setEnabled(on) {
    for (const b of this.el.form.querySelectorAll('button, input')) {
      if (!b.dataset.full) b.disabled = !on;
    }
  }

  /** show makes the lobby ready for a choice: target first, message on top, fresh rooms. */
  show({ target = this.target, message = '' } = {}) {
    this.setTarget(target);
    this.setMessage(message);
    this.idle();
    this.refresh();
    this.el.name.focus();
    this.el.name.select();
  }

  /** refresh loads the room list again. */
  async refresh() {
    const n = ++this.loads;
    this.el.roomsStatus.textContent = 'Loading…';
    let rooms;
    try {
      rooms = await this.loadRooms();
    } catch (err) {
      if (n === this.loads) this.el.roomsStatus.textContent = `Could not load the rooms (${err.message}).`;
      return;
    }
    if (n !== this.loads) return;
    this.drawRooms(rooms);
  }

  /**
   * drawRooms lists rooms, each a button that joins it and one that watches it (unless the
   * server takes no spectators). A room full of players can still be watched: spectators have
   * seats of their own.
   */
  drawRooms(rooms) {
    const doc = this.doc;
    const disabled = this.el.play.disabled;
    const button = (r, full, title) => {
      const b = doc.createElement('button');
      b.type = 'button';
      b.dataset.room = r.id;
      if (full) b.dataset.full = '1'; // stays disabled when the lobby is enabled again
      b.disabled = full || disabled;
      b.title = title;
      return b;
    };
    const items = rooms.map((r) => {
      const li = doc.createElement('li');
      const full = r.players >= r.maxPlayers;
      const fullTitle = r.maxSpectators > 0 ? 'This room is full: you can watch it' : 'This room is full';
      const join = button(r, full, full ? fullTitle : `Join room ${r.id}`);
      join.className = 'room';
      const id = doc.createElement('span');
      id.className = 'room-id';
      id.textContent = r.id;
      const count = doc.createElement('span');
      count.className = 'room-players';
      count.textContent = `${r.players} / ${r.maxPlayers} ${full ? 'full' : 'players'}`;
      join.append(id, count);
      li.append(join);
      if (r.maxSpectators > 0) {
        // The button counts those watching already: "Watch · 2".
        const seatsTaken = r.spectators >= r.maxSpectators;
        const watching = r.spectators ? ` (${r.spectators} watching)` : '';
        const watch = button(r, seatsTaken, seatsTaken ? `No seat left for spectators${watching}` : `Watch room ${r.id} without playing${watching}`);
        watch.className = 'secondary watch';
        watch.dataset.watch = '1';
        watch.textContent = r.spectators ? `Watch · ${r.spectators}` : 'Watch';
        li.append(watch);
      }
      return li;
    });
    this.el.list.replaceChildren(...items);
    this.el.roomsStatus.textContent = rooms.length
      ? ''
      : 'No public rooms yet: quick play or create one.';
  }
}

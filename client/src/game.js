// One player's stay in the game, across connections. A Game opens a session for the chosen
// target and keeps the welcome's room id and token; when a connection drops for a reason
// worth trying again (reconnect.js), it opens another to /ws?room=<roomId> with the token,
// after a backoff, until one is welcomed or the schedule gives up (PROTOCOL.md,
// "Reconnecting"). It draws nothing and touches no DOM: the page follows it through
// onChange. Sessions, time and timers are injected, so Node tests drive it with fakes.

import { roomTarget, watchRoom } from './address.js';
import { RetrySchedule, shouldReconnect } from './reconnect.js';

export const GameState = Object.freeze({
  CONNECTING: 'connecting', // the first connection, not welcomed yet
  PLAYING: 'playing', // welcomed and connected
  RECONNECTING: 'reconnecting', // a connection closed: waiting for the next try, or trying
  ENDED: 'ended', // for good: see end
});

export class Game {
  /**
   * opts:
   *   name, target               the player's name and where to go (address.js)
   *   openSession({target, name, token, onWelcome(session), onClose(session)})
   *                              opens a Session (or anything with welcome, close,
   *                              lastSnapshot, leave())
   *   onChange(game, what)       what: 'welcome' (the first), 'reconnect' (a later welcome),
   *                              'retry' (a try is scheduled), 'attempt' (it starts),
   *                              'end' (no more tries: see end)
   *   now() → ms, setTimer(fn, ms) → t, clearTimer(t), schedule (a RetrySchedule)
   */
  constructor({
    name, target, openSession, onChange,
    now = () => performance.now(),
    // Wrapped: a browser's setTimeout throws when called as a method of something else.
    setTimer = (fn, ms) => setTimeout(fn, ms), clearTimer = (t) => clearTimeout(t),
    schedule = new RetrySchedule(),
  }) {
    this.name = name;
    this.target = target;
    this.openSession = openSession;
    this.onChange = onChange;
    this.now = now;
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
    this.schedule = schedule;

    this.state = GameState.CONNECTING;
    this.session = null; // the newest session
    this.previous = null; // the newest closed session that had a snapshot: drawn meanwhile
    // From the newest welcome: where and who the player is, and the proof of it.
    this.roomId = null;
    this.playerId = null;
    this.token = '';
    this.reconnects = 0; // welcomes after the first
    this.resumed = null; // after a reconnection: true if it took the same player over
    this.dropped = null; // the close that started the trouble, since the newest welcome
    this.lastClose = null; // the newest close, of any try
    this.attempt = 0; // the number of the try under way or scheduled (0 while playing)
    this.retryAt = null; // local time of the scheduled try, while waiting for it
    this.end = null; // {code, reason, error, gaveUp, tries, dropped} once ENDED
    this.timer = null;
  }

  /** spectating: the game watches its room, with no player. */
  get spectating() {
    return Boolean(this.target?.spectate);
  }

  /** start opens the first connection; it returns the game. */
  start() {
    this.connect();
    return this;
  }

  /** connected: the newest session is welcomed and open. */
  get connected() {
    return this.state === GameState.PLAYING;
  }

  /**
   * shown is the session whose state to draw: the newest once it has a snapshot; until then
   * the one before, frozen at its last state (the page dims it).
   */
  get shown() {
    const s = this.session;
    return s?.lastSnapshot || !this.previous ? s : this.previous;
  }

  connect() {
    // Once welcomed, always back to the same room, as the same player (or watching it).
    const back = this.spectating ? watchRoom : roomTarget;
    const target = this.roomId !== null ? back(this.roomId) : this.target;
    const session = this.openSession({
      target,
      name: this.name,
      token: this.token,
      onWelcome: (s) => this.welcomed(s),
      onClose: (s) => this.closed(s),
    });
    this.session = session;
  }

  welcomed(s) {
    if (s !== this.session || this.state === GameState.ENDED) return;
    const w = s.welcome;
    const again = this.playerId !== null;
    if (again) {
      this.reconnects++;
      // A token the server no longer knows (the grace period ran out) makes a new player.
      this.resumed = w.playerId === this.playerId && w.roomId === this.roomId;
    }
    this.roomId = w.roomId;
    this.playerId = w.playerId;
    this.token = w.token;
    this.state = GameState.PLAYING;
    this.attempt = 0;
    this.retryAt = null;
    this.dropped = null;
    this.schedule.reset();
    this.emit(again ? 'reconnect' : 'welcome');
  }

  closed(s) {
    if (s !== this.session || this.state === GameState.ENDED) return;
    const c = s.close;
    this.lastClose = c;
    if (s.lastSnapshot) this.previous = s;
    if (this.dropped === null) this.dropped = c;
    // A client that closed by itself (a server message it could not use) would meet the
    // same message again.
    if (c.error || !shouldReconnect(c.code)) {
      this.finish(false);
      return;
    }
    const next = this.schedule.next(this.now());
    if (!next) {
      this.finish(true);
      return;
    }
    this.state = GameState.RECONNECTING;
    this.attempt = next.attempt;
    this.retryAt = next.at;
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.retryAt = null;
      this.connect();
      this.emit('attempt');
    }, next.delayMs);
    this.emit('retry');
  }

  finish(gaveUp) {
    this.state = GameState.ENDED;
    this.retryAt = null;
    this.end = { ...this.lastClose, gaveUp, tries: this.attempt, dropped: this.dropped };
    this.emit('end');
  }

  /**
   * stop ends the game for good without telling the page: the player moved on (another
   * room, the page closing). A connected session leaves; a scheduled try is cancelled.
   */
  stop() {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.retryAt = null;
    const wasOver = this.state === GameState.ENDED;
    this.state = GameState.ENDED;
    this.end ??= { code: 1000, reason: 'left', error: null, gaveUp: false, tries: this.attempt, dropped: this.dropped };
    if (!wasOver) this.session?.leave();
  }

  emit(what) {
    this.onChange?.(this, what);
  }
}

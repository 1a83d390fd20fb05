// The connection banner: a strip at the top of the screen that says what the connection is
// doing ("Connection lost — reconnecting (try 3, next in 2 s)…", "Reconnected"). It never
// blocks the game. The text functions are pure, so Node tests import them; the Banner class
// touches only the element it is given.

/** How long a message such as "Reconnected" stays up, in ms. */
export const FLASH_MS = 3000;
/** A longer one, for news the player needs to read. */
export const LONG_FLASH_MS = 6000;

/**
 * dropText says in a few words why a connection closed (close code), for the banner. For
 * 1013 the server's reason says which it was (room full, server busy...), when it gave one.
 */
export function dropText(code, welcomed = true, reason = '') {
  switch (code) {
    case 1001: return 'Server shutting down';
    case 1011: return 'Server error';
    case 1013: return reason ? reason[0].toUpperCase() + reason.slice(1) : 'Server busy or room full';
    case 4000: return 'Fell behind';
    case 4001: return 'Join timed out';
    default: return welcomed ? 'Connection lost' : 'Could not connect';
  }
}

/** waitText is a wait of ms as the banner counts it down: "2 s", never below "1 s". */
export function waitText(ms) {
  return `${Math.max(1, Math.ceil(ms / 1000))} s`;
}

/**
 * retryText is the banner while reconnecting. game: {dropped, attempt, retryAt, playerId}
 * (a Game); now: the same clock as retryAt. Before the first welcome it says "retrying".
 */
export function retryText({ dropped, attempt, retryAt, playerId }, now) {
  const welcomed = playerId !== null;
  const next = retryAt == null ? '' : `, next in ${waitText(retryAt - now)}`;
  return `${dropText(dropped?.code, welcomed, dropped?.reason)} — ${welcomed ? 'reconnecting' : 'retrying'} (try ${attempt}${next})…`;
}

/** reconnectedText is the news after a reconnection: resumed, or joined as a new player. */
export function reconnectedText(resumed) {
  return resumed
    ? 'Reconnected'
    : 'Reconnected as a new player: you were away too long and your old player was removed';
}

/** Banner shows one line in an element; kind ('warn', 'ok', 'bad') picks its colour. */
export class Banner {
  constructor(el) {
    this.el = el;
    this.flashUntil = -Infinity;
    this.flashText = '';
    this.flashKind = '';
  }

  /** flash shows text until now + ms, unless something more pressing comes up. */
  flash(text, kind, now, ms = FLASH_MS) {
    this.flashText = text;
    this.flashKind = kind;
    this.flashUntil = now + ms;
  }

  /** update shows the retry text while reconnecting (game: a Game), else a live flash. */
  update(game, now) {
    if (game?.state === 'reconnecting' && game.playerId !== null) {
      this.show(retryText(game, now), 'warn');
    } else if (now < this.flashUntil) {
      this.show(this.flashText, this.flashKind);
    } else {
      this.hide();
    }
  }

  show(text, kind) {
    if (this.el.textContent !== text) this.el.textContent = text;
    if (this.el.dataset.kind !== kind) this.el.dataset.kind = kind;
    this.el.hidden = false;
  }

  hide() {
    this.el.hidden = true;
  }
}

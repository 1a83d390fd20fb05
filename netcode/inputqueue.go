package netcode

import "github.com/tickwire/tickwire/game"

// inputQueueLen is how many inputs a player may have waiting when a tick starts: a burst
// after a network stall. At 30 Hz it absorbs about 130 ms of jitter.
const inputQueueLen = 4

// maxBacklog is how many inputs may still wait after a tick took its own: none. Every input
// that has arrived when a tick starts is applied in that tick (the older ones caught up:
// their moves applied first, oldest first, their fire carried forward), as Source runs every
// user command it has received. So an input waits for one tick at the most, and the server
// adds no latency of its own beyond that. Holding one back would smooth a jittery player's
// motion for the others, but once held, every later input of that player would wait a tick
// longer too, until the player's stream next ran dry.
const maxBacklog = 0

// InputQueue is one player's input queue: inputs wait here, in arrival (and so seq) order,
// until the next tick, which applies them all (Next). The room owns it; it is not safe for
// concurrent use.
type InputQueue struct {
	buf      [inputQueueLen]Input
	head, n  int
	last     Input // the newest input applied
	late     [inputQueueLen]Input
	Dropped  uint64 // inputs dropped because the queue was full
	CaughtUp uint64 // inputs applied in one tick with a later one
}

// Push adds an input. When the queue is full the oldest waiting input is dropped, so that a
// burst of late inputs cannot build up lasting delay; Push reports whether it dropped one.
func (q *InputQueue) Push(in Input) (dropped bool) {
	if q.n == len(q.buf) {
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.Dropped++
		dropped = true
	}
	q.buf[(q.head+q.n)%len(q.buf)] = in
	q.n++
	return dropped
}

// Len returns the number of waiting inputs.
func (q *InputQueue) Len() int { return q.n }

// Next returns the input to apply this tick and the late inputs to catch up before it
// (oldest first; valid until the next call). With none waiting, it returns the last input
// with no movement and no buttons: a starved tick stands still rather than repeating the last
// movement, because the late input is still applied when it comes. Each input moves the player
// exactly once, as the client's prediction assumed, so the server's position after input N is
// the one the client predicted after N.
func (q *InputQueue) Next() (Input, []Input) {
	if q.n == 0 {
		in := q.last
		in.MoveX, in.MoveY, in.Buttons = 0, 0, 0
		return in, nil
	}
	late := q.late[:0]
	q.last = q.pop()
	for q.n > maxBacklog { // catch up: this one is applied first, the newer one is the tick's
		late = append(late, q.last)
		fire := q.last.Buttons & ButtonFire
		q.last = q.pop()
		q.last.Buttons |= fire
		q.CaughtUp++
	}
	return q.last, late
}

func (q *InputQueue) pop() Input {
	in := q.buf[q.head]
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return in
}

// LastSeq is the seq of the newest input Next returned.
func (q *InputQueue) LastSeq() uint32 { return q.last.Seq }

// GameInput converts an input for player id, with the late inputs caught up before it, into
// the simulation's form.
func (in Input) GameInput(id game.EntityID, late []Input) game.Input {
	g := game.Input{
		Player: id,
		Move:   game.Vec{X: in.MoveX, Y: in.MoveY},
		Aim:    in.Aim,
		Fire:   in.Buttons&ButtonFire != 0,
	}
	for _, l := range late[:min(len(late), game.MaxEarlier)] {
		g.Earlier[g.NEarlier] = game.Vec{X: l.MoveX, Y: l.MoveY}
		g.NEarlier++
	}
	return g
}

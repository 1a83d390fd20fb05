package netcode

import "github.com/tickwire/tickwire/game"

// inputQueueLen is how many inputs a player may have waiting when a tick starts: a burst
// after a network stall. At 30 Hz it absorbs about 130 ms of jitter.
const inputQueueLen = 4

// maxBacklog is how many inputs may still wait after a tick took its own. A client whose
// clock runs a little fast would otherwise keep the queue full, and every input would wait
// there for ticks: the server would add that much latency, for ever. Extra inputs are
// dropped oldest first, their fire button carried forward so no shot is lost.
const maxBacklog = 1

// maxRepeat is for how many ticks in a row a starved queue repeats the last movement. A late
// input should not stop a running player; a client that has stopped sending should not run
// on for ever.
const maxRepeat = 3

// InputQueue is one player's jitter buffer: inputs wait here, in arrival (and so seq) order,
// until the room applies one per tick. The room owns it; it is not safe for concurrent use.
type InputQueue struct {
	buf     [inputQueueLen]Input
	head, n int
	last    Input  // the newest input applied
	starved int    // ticks in a row without a waiting input
	Dropped uint64 // inputs dropped because the queue was full
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

// Next returns the input to apply this tick: the oldest waiting one, or, if none waits, the
// last one again with its buttons released (a missing input never fires), for up to maxRepeat
// ticks; after that, no movement.
func (q *InputQueue) Next() Input {
	if q.n == 0 {
		q.starved++
		in := q.last
		in.Buttons = 0
		if q.starved > maxRepeat {
			in.MoveX, in.MoveY = 0, 0
		}
		return in
	}
	q.starved = 0
	q.last = q.pop()
	for q.n > maxBacklog { // catch up: skip to the newer inputs, keeping their shots
		fire := q.last.Buttons & ButtonFire
		q.last = q.pop()
		q.last.Buttons |= fire
		q.Dropped++
	}
	return q.last
}

func (q *InputQueue) pop() Input {
	in := q.buf[q.head]
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return in
}

// LastSeq is the seq of the newest input Next returned.
func (q *InputQueue) LastSeq() uint32 { return q.last.Seq }

// GameInput converts an input for player id into the simulation's form.
func (in Input) GameInput(id game.EntityID) game.Input {
	return game.Input{
		Player: id,
		Move:   game.Vec{X: in.MoveX, Y: in.MoveY},
		Aim:    in.Aim,
		Fire:   in.Buttons&ButtonFire != 0,
	}
}

package netcode

import "time"

// rateLimiter is a token bucket over client messages: rate tokens a second, up to burst. A
// message that finds the bucket empty is dropped; a client that has had `burst` messages in a
// row dropped is closed (1008). The read loop owns it.
type rateLimiter struct {
	rate, burst float64
	tokens      float64
	last        time.Time
	strikes     int // messages dropped in a row
}

func newRateLimiter(rate float64, burst int) rateLimiter {
	return rateLimiter{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// allow reports whether a message arriving at now may pass, and whether the client should be
// closed for exceeding the rate.
func (l *rateLimiter) allow(now time.Time) (ok, exceeded bool) {
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		l.strikes = 0
		return true, false
	}
	l.strikes++
	return false, float64(l.strikes) >= l.burst
}

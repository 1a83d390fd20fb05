package netcode

import "time"

// RTTEstimator smooths round-trip samples as TCP does (RFC 6298): SRTT follows samples with
// gain 1/8, RTTVAR follows their deviation with gain 1/4. The zero value has no estimate.
type RTTEstimator struct {
	srtt, rttvar time.Duration
	samples      int
}

// Observe adds one sample.
func (e *RTTEstimator) Observe(r time.Duration) {
	if r < 0 {
		return
	}
	if e.samples == 0 {
		e.srtt, e.rttvar = r, r/2
	} else {
		dev := e.srtt - r
		if dev < 0 {
			dev = -dev
		}
		e.rttvar = (3*e.rttvar + dev) / 4
		e.srtt = (7*e.srtt + r) / 8
	}
	e.samples++
}

// SRTT is the smoothed round-trip time, RTTVAR its variation (jitter); both 0 before the first
// sample.
func (e *RTTEstimator) SRTT() time.Duration   { return e.srtt }
func (e *RTTEstimator) RTTVAR() time.Duration { return e.rttvar }

// Samples is the number of samples observed.
func (e *RTTEstimator) Samples() int { return e.samples }

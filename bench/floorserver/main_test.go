package main

import (
	"encoding/binary"
	"testing"

	"github.com/tickwire/tickwire/netcode"
)

func TestBuildFrame(t *testing.T) {
	for _, size := range []int{1, 100, 257, 1757, 4000, 40_123} {
		f := buildFrame(size)
		if size >= 100 && (len(f) > size || len(f) < size-20) {
			t.Errorf("buildFrame(%d) is %d bytes", size, len(f))
		}
		binary.BigEndian.PutUint32(f[tickOffset:], 123456)
		binary.BigEndian.PutUint32(f[lastSeqOffset:], 789)
		dec := netcode.NewServerDecoder()
		tick, lastSeq, ok := dec.PeekSnapshot(f)
		if !ok || tick != 123456 || lastSeq != 789 {
			t.Errorf("buildFrame(%d): PeekSnapshot = %d, %d, %v", size, tick, lastSeq, ok)
		}
		var m netcode.ServerMessage
		if err := dec.Decode(f, &m); err != nil {
			t.Errorf("buildFrame(%d) does not decode as a snapshot: %v", size, err)
		}
	}
}

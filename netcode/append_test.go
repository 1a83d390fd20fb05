package netcode

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// TestAppendersMatchTheLibrary checks the hot-path writers byte for byte against
// msgpack.Encoder, at every boundary of every form.
func TestAppendersMatchTheLibrary(t *testing.T) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	want := func(f func() error) []byte {
		buf.Reset()
		if err := f(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, n := range []int64{0, 1, 31, 32, 33, -1, -31, -32, -33, 127, 128, -127, -128, -129, 255, 256,
		32767, 32768, -32768, -32769, 65535, 65536, math.MaxInt32, math.MinInt32, math.MaxInt32 + 1,
		math.MinInt32 - 1, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, math.MinInt64} {
		if got, w := appendInt(nil, n), want(func() error { return enc.EncodeInt(n) }); !bytes.Equal(got, w) {
			t.Errorf("appendInt(%d) = %x, msgpack writes %x", n, got, w)
		}
		if n >= 0 {
			if got, w := appendUint(nil, uint64(n)), want(func() error { return enc.EncodeUint(uint64(n)) }); !bytes.Equal(got, w) {
				t.Errorf("appendUint(%d) = %x, msgpack writes %x", n, got, w)
			}
		}
	}
	for _, n := range []int{0, 15, 16, 65535, 65536} {
		if got, w := appendArrayLen(nil, n), want(func() error { return enc.EncodeArrayLen(n) }); !bytes.Equal(got, w) {
			t.Errorf("appendArrayLen(%d) = %x, msgpack writes %x", n, got, w)
		}
	}
	for _, n := range []int{0, 31, 32, 255, 256, 65535, 65536} {
		s := strings.Repeat("x", n)
		if got, w := appendStr(nil, s), want(func() error { return enc.EncodeString(s) }); !bytes.Equal(got, w) {
			t.Errorf("appendStr(len %d) differs from msgpack", n)
		}
	}
}

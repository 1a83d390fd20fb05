package game

import (
	"fmt"
	"math"
	"reflect"
	"testing"
)

// diffState compares two values field by field, unexported fields and everything reached
// through pointers, slices and maps included, and returns the path of the first difference,
// or "" when they are the same bit for bit. Floats are compared by their bits, so -0 and +0
// differ, and a NaN equals only a NaN with the same bits. A slice's capacity is not state.
func diffState(a, b any) string {
	return diffValue(reflect.ValueOf(a), reflect.ValueOf(b))
}

// diffValue returns "" when a and b are the same, or the path below them to the first
// difference and what differs there. Paths are built only on the way back from a difference:
// the comparison runs over whole worlds every tick.
func diffValue(a, b reflect.Value) string {
	if a.Kind() != b.Kind() {
		return fmt.Sprintf(": kind %v vs %v", a.Kind(), b.Kind())
	}
	switch a.Kind() {
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			return fmt.Sprintf(": %v vs %v", a.Bool(), b.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			return fmt.Sprintf(": %d vs %d", a.Int(), b.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			return fmt.Sprintf(": %d vs %d", a.Uint(), b.Uint())
		}
	case reflect.Float32, reflect.Float64:
		if math.Float64bits(a.Float()) != math.Float64bits(b.Float()) {
			return fmt.Sprintf(": %v vs %v (bits %#x vs %#x)", a.Float(), b.Float(),
				math.Float64bits(a.Float()), math.Float64bits(b.Float()))
		}
	case reflect.String:
		if a.String() != b.String() {
			return fmt.Sprintf(": %q vs %q", a.String(), b.String())
		}
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return ": nil vs not nil"
			}
			return ""
		}
		return diffValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if d := diffValue(a.Field(i), b.Field(i)); d != "" {
				return "." + a.Type().Field(i).Name + d
			}
		}
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return fmt.Sprintf(": length %d vs %d", a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := diffValue(a.Index(i), b.Index(i)); d != "" {
				return fmt.Sprintf("[%d]%s", i, d)
			}
		}
	case reflect.Map:
		if a.Len() != b.Len() {
			return fmt.Sprintf(": %d entries vs %d", a.Len(), b.Len())
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() {
				return fmt.Sprintf("[%v]: missing in the second", k)
			}
			if d := diffValue(a.MapIndex(k), bv); d != "" {
				return fmt.Sprintf("[%v]%s", k, d)
			}
		}
	default:
		panic(fmt.Sprintf("diffState: cannot compare a %v", a.Kind()))
	}
	return ""
}

func TestDiffState(t *testing.T) {
	type inner struct {
		f float64
		m map[int]string
	}
	type outer struct {
		p  *inner
		xs []int32
	}
	mk := func() outer { return outer{p: &inner{f: 1, m: map[int]string{1: "a"}}, xs: []int32{1, 2}} }
	tests := []struct {
		name   string
		change func(o *outer)
		want   string
	}{
		{"same", func(*outer) {}, ""},
		{"negative zero", func(o *outer) { o.p.f = math.Copysign(0, -1) }, ".p.f"},
		{"map value", func(o *outer) { o.p.m[1] = "b" }, ".p.m[1]"},
		{"slice element", func(o *outer) { o.xs[1] = 3 }, ".xs[1]"},
		{"slice length", func(o *outer) { o.xs = o.xs[:1] }, ".xs: length"},
		{"nil pointer", func(o *outer) { o.p = nil }, ".p: nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := mk(), mk()
			if tc.name == "negative zero" {
				a.p.f = 0
			}
			tc.change(&b)
			got := diffState(a, b)
			if (tc.want == "") != (got == "") || len(got) < len(tc.want) || got[:len(tc.want)] != tc.want {
				t.Errorf("diffState = %q, want a difference at %q", got, tc.want)
			}
		})
	}
}

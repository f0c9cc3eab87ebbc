package simd

import (
	"testing"

	"github.com/segen/segen/isa"
	"github.com/segen/segen/se"
	"github.com/segen/segen/se/setest"
)

// FuzzKernels runs the conformance suite, which compares with se's generic
// kernels, on the runtime-sized kernels of every instruction set this CPU
// runs, for shapes drawn from the fuzzer's input: C 1–300, hidden 1–C,
// H and W 1–20 (H×W 1–400), either layout, any pool, with or without biases.
// testdata/fuzz/FuzzKernels holds the seed corpus that every go test runs.
func FuzzKernels(f *testing.F) {
	f.Add(uint16(0), uint16(0), uint8(0), uint8(0), uint8(0))
	f.Add(uint16(60), uint16(4), uint8(6), uint8(4), uint8(7))
	f.Fuzz(func(t *testing.T, c, hidden uint16, h, w, flags uint8) {
		s := shapeFrom(c, hidden, h, w, flags)
		for _, i := range isa.Supported(targets...) {
			if i == isa.Go {
				continue
			}
			k := newKernel(s, i)
			if got := k.(kernel).ISA(); got != i.String() {
				t.Fatalf("%v: ISA() = %s, want %s", s, got, i)
			}
			setest.Check(t, k)
		}
	})
}

// shapeFrom maps the fuzzer's values onto a valid shape in FuzzKernels' range.
func shapeFrom(c, hidden uint16, h, w, flags uint8) se.Shape {
	s := se.Shape{
		Layout:  se.Layout(flags & 1),
		C:       1 + int(c)%300,
		H:       1 + int(h)%20,
		W:       1 + int(w)%20,
		Squeeze: se.Pool(flags >> 1 & 1),
		Bias:    flags&4 != 0,
	}
	if flags&8 != 0 {
		s.Squeeze = se.Stochastic
	}
	s.Hidden = 1 + int(hidden)%s.C
	return s
}

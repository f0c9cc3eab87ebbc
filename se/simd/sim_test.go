package simd

import (
	"fmt"
	"os"
	"testing"

	"github.com/segen/segen/internal/asmsim"
	"github.com/segen/segen/se"
	"github.com/segen/segen/se/setest"
)

// TestKernelsSimulated runs every kernel of kernels_amd64.s, AVX-512's
// included, which this CPU may not have, on an interpreter of their
// instructions (internal/asmsim) against se's generic kernels
// (setest.CheckOps), on shapes whose channels and planes are multiples of
// no vector width, a single vector, and sizes of SE-ResNet. Each slice is
// exactly as long as one sample and the interpreter fails any access
// outside them, a masked-off lane's excepted (it is not accessed).
func TestKernelsSimulated(t *testing.T) {
	text, err := os.ReadFile("kernels_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := asmsim.Parse(string(text))
	if err != nil {
		t.Fatal(err)
	}
	dims := [][4]int{ // C, H, W, hidden
		{1, 1, 1, 1}, {7, 3, 3, 2}, {8, 1, 1, 8}, {16, 1, 1, 16}, {17, 7, 7, 4}, {33, 5, 6, 9}, {100, 9, 9, 25}, {256, 14, 14, 16},
	}
	for _, suffix := range []string{"AVX2", "AVX512"} {
		for _, d := range dims {
			for _, layout := range []se.Layout{se.NCHW, se.NHWC} {
				for _, pool := range []se.Pool{se.Avg, se.Max, se.Stochastic} {
					s := se.Shape{Layout: layout, C: d[0], H: d[1], W: d[2], Hidden: d[3], Squeeze: pool, Bias: d[0]%2 == 0}
					t.Run(fmt.Sprintf("%s/%v", suffix, s), func(t *testing.T) {
						setest.CheckOps(t, s, simulated(t, prog, s, suffix))
					})
				}
			}
		}
	}
}

// simulated returns the kernels of s of one instruction set on prog.
func simulated(t *testing.T, prog *asmsim.Program, s se.Shape, suffix string) setest.Ops {
	layout := map[se.Layout]string{se.NCHW: "NCHW", se.NHWC: "NHWC"}[s.Layout]
	pool := map[se.Pool]string{se.Avg: "Avg", se.Max: "Max", se.Stochastic: "Stochastic"}[s.Squeeze]
	plane := s.Plane()
	// call runs name; outputs are the arguments' first slices, copied back.
	call := func(name string, out []float32, in [][]float32, ints ...int) {
		t.Helper()
		o := asmsim.Floats(out)
		args := []asmsim.Arg{asmsim.Slice(o)}
		for _, v := range in {
			var r *asmsim.Region
			if v != nil {
				r = asmsim.Floats(v)
			}
			args = append(args, asmsim.Slice(r))
		}
		for _, n := range ints {
			args = append(args, n)
		}
		if err := prog.Call(name, 1<<24, args...); err != nil {
			t.Fatal(err)
		}
		copy(out, o.Floats())
	}
	return setest.Ops{
		Squeeze: func(z, x []float32) { call("squeeze"+pool+layout+suffix, z, [][]float32{x}, plane) },
		Scale:   func(dst, x, sc []float32) { call("scale"+layout+suffix, dst, [][]float32{x, sc}, plane) },
		ScaleAddReLU: func(dst, x, sc, res []float32) {
			call("scaleAddReLU"+layout+suffix, dst, [][]float32{x, sc, res}, plane)
		},
		FC1: func(h, w, z, b []float32) { call("fcReLU"+suffix, h, [][]float32{w, z, b}) },
		FC2: func(sc, w, h, b []float32) { call("fcSigmoid"+suffix, sc, [][]float32{w, h, b}) },
	}
}

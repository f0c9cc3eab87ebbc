package simd

import (
	"fmt"
	"math"
	"testing"

	"github.com/segen/segen/isa"
	"github.com/segen/segen/se"
	"github.com/segen/segen/se/setest"
)

// TestKernels runs the conformance suite on every instruction set this CPU
// runs, for shapes whose sizes are multiples of no vector width and for the
// shapes of SE-ResNet.
func TestKernels(t *testing.T) {
	dims := [][4]int{ // C, H, W, hidden
		{1, 1, 1, 1}, {7, 3, 3, 2}, {8, 1, 1, 8}, {9, 7, 7, 3}, {15, 4, 5, 15}, {17, 7, 7, 4},
		{96, 13, 11, 8}, {100, 9, 9, 25}, {300, 5, 3, 7}, {64, 56, 56, 8}, {2048, 7, 7, 128},
	}
	for _, i := range isa.Supported(targets...) {
		if i == isa.Go {
			continue
		}
		for _, d := range dims {
			for _, layout := range []se.Layout{se.NCHW, se.NHWC} {
				for _, pool := range []se.Pool{se.Avg, se.Max, se.Stochastic} {
					s := se.Shape{Layout: layout, C: d[0], H: d[1], W: d[2], Hidden: d[3], Squeeze: pool, Bias: d[0]%2 == 0}
					k := newKernel(s, i)
					t.Run(fmt.Sprintf("%s/%v", i, s), func(t *testing.T) {
						if got := k.(kernel).ISA(); got != i.String() {
							t.Fatalf("ISA() = %s, want %s", got, i)
						}
						setest.Check(t, k)
					})
				}
			}
		}
	}
}

// TestFallbackRegistered checks that importing the package makes se.Lookup
// return the runtime-sized kernels for a shape nobody specialises.
func TestFallbackRegistered(t *testing.T) {
	s := se.Shape{Layout: se.NHWC, C: 33, H: 5, W: 6, Hidden: 4, Squeeze: se.Avg, Bias: true}
	want := "generic"
	if chosen != isa.Go {
		want = "generic-simd"
	}
	if got := se.Lookup(s).Impl(); got != want {
		t.Errorf("se.Lookup(%v).Impl() = %s, want %s", s, got, want)
	}
}

// TestFC checks the exported row layers against a plain loop on windows of
// rows of a larger layer (sub-slices starting anywhere), with and without
// bias, and that they refuse lengths that disagree.
func TestFC(t *testing.T) {
	const rows, cols = 37, 29
	w, x, b := make([]float32, rows*cols), make([]float32, cols), make([]float32, rows)
	for i := range w {
		w[i] = float32(i%13-6) / 7
	}
	for i := range x {
		x[i] = float32(i%5-2) / 3
	}
	for i := range b {
		b[i] = float32(i%3-1) / 2
	}
	for _, sigmoid := range []bool{false, true} {
		for _, r := range [][2]int{{0, rows}, {3, 4}, {5, 22}, {30, 37}} {
			for _, withBias := range []bool{false, true} {
				var bb []float32
				if withBias {
					bb = b[r[0]:r[1]]
				}
				got := make([]float32, r[1]-r[0])
				if sigmoid {
					FCSigmoid(got, w[r[0]*cols:r[1]*cols], x, bb)
				} else {
					FCReLU(got, w[r[0]*cols:r[1]*cols], x, bb)
				}
				for j := range got {
					var sum float64
					if withBias {
						sum = float64(b[r[0]+j])
					}
					for i := range x {
						sum += float64(w[(r[0]+j)*cols+i]) * float64(x[i])
					}
					want := max(sum, 0)
					if sigmoid {
						want = 1 / (1 + math.Exp(-sum))
					}
					if math.Abs(float64(got[j])-want) > 1e-5 {
						t.Fatalf("sigmoid=%v rows %d…%d bias=%v: dst[%d] = %v, want %v", sigmoid, r[0], r[1], withBias, j, got[j], want)
					}
				}
			}
		}
	}
	for _, bad := range []func(){
		func() { FCReLU(make([]float32, 2), w[:2*cols-1], x, nil) },
		func() { FCSigmoid(make([]float32, 2), w[:2*cols], x, b[:3]) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("mismatched lengths did not panic")
				}
			}()
			bad()
		}()
	}
}

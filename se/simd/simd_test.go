package simd

import (
	"fmt"
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

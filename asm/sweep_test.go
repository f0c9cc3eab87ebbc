package asm

import (
	"testing"

	"github.com/segen/segen/se"
)

// TestSweepTails checks that the sweep gives every tail width of each ISA
// to each dimension a kernel splits into vectors: NCHW planes, NHWC rows and
// the rows of both FC layers (K = C for FC1, K = hidden for FC2).
func TestSweepTails(t *testing.T) {
	for _, isa := range []ISA{AVX2, AVX512} {
		L := isa.Lanes
		dims := map[string]func(se.Shape) (int, bool){
			"NCHW plane":       func(s se.Shape) (int, bool) { return s.Plane(), s.Layout == se.NCHW },
			"NHWC row":         func(s se.Shape) (int, bool) { return s.C, s.Layout == se.NHWC },
			"FC2 row (hidden)": func(s se.Shape) (int, bool) { return s.Hidden, true },
		}
		for name, dim := range dims {
			seen := make([]bool, L)
			for _, s := range Sweep(isa) {
				if n, ok := dim(s); ok {
					seen[n%L] = true
				}
			}
			for w, ok := range seen {
				if !ok {
					t.Errorf("%s: no %s with a tail of %d", isa, name, w)
				}
			}
		}
	}
}

// TestSweepFCAccumulators checks that the sweep makes FC2 (C rows of hidden
// values) sum every count of accumulators, 1 to fcAccs, in a single row —
// the reduction a wrong fold of three, five, six or seven got wrong — and
// loop over long rows with a rest.
func TestSweepFCAccumulators(t *testing.T) {
	for _, isa := range []ISA{AVX2, AVX512} {
		L := isa.Lanes
		single := make([]bool, fcAccs+1)
		longRest := false
		for _, s := range Sweep(isa) {
			rows, k := s.C, s.Hidden
			if k <= L && rows >= L {
				continue // the transposing path
			}
			chunks := k / L
			if chunks > fcUnrollMax {
				longRest = longRest || chunks%fcAccs != 0
				continue
			}
			if rows%fcGroup == 1 {
				single[max(1, min(chunks, fcAccs))] = true
			}
		}
		for sets := 1; sets <= fcAccs; sets++ {
			if !single[sets] {
				t.Errorf("%s: no single FC row with %d accumulators", isa.String(), sets)
			}
		}
		if !longRest {
			t.Errorf("%s: no FC row longer than %d vectors with a rest", isa.String(), fcUnrollMax)
		}
	}
}

// TestSweepValid checks that every shape of the sweep is one kernels can be
// built for, with every pool, both layouts and both bias settings present.
func TestSweepValid(t *testing.T) {
	for _, isa := range []ISA{AVX2, AVX512} {
		kinds := map[[3]int]bool{}
		for _, s := range Sweep(isa) {
			if err := s.Validate(); err != nil {
				t.Errorf("%s: %v: %v", isa.String(), s, err)
			}
			b := 0
			if s.Bias {
				b = 1
			}
			kinds[[3]int{int(s.Layout), int(s.Squeeze), b}] = true
		}
		if len(kinds) != 12 {
			t.Errorf("%s: the sweep has %d of the 12 combinations of layout, pool and bias", isa.String(), len(kinds))
		}
	}
}

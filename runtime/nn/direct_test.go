package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSegmentedKernels checks each segmented micro-kernel against refTile
// on A gathered from its runs: one to three runs, run lengths of one step
// to beyond an unrolled iteration, gaps that skip values, repeat them
// (negative: runs overlap) or none, every row count of a tile and runs of
// tiles, and every write-back. Each slice is exactly as long as the
// kernel's reach.
func TestSegmentedKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, e := range engines() {
		if e.segmented == nil {
			continue
		}
		for _, segs := range []int{1, 2, 3} {
			for _, kc := range []int{1, 3, 4, 21} {
				for _, gap := range []int{0, 7, -1} {
					for _, rows := range []int{1, e.mr - 1, e.mr, 2*e.mr + 1} {
						for _, flags := range []int{tileBias, tileAccumulate | tileResidual | tileReLU, tileBias | tileSum, tileBias | tileResidual | tileReLU | tileSum} {
							name := fmt.Sprintf("%s/segs%d/kc%d/gap%d/rows%d/flags%d", e.isa, segs, kc, gap, rows, flags)
							testSegmented(t, r, e, name, segs, kc, gap, rows, flags)
						}
					}
				}
			}
		}
	}
}

func testSegmented(t *testing.T, r *rand.Rand, e *engine, name string, segs, kc, gap, rows, flags int) {
	t.Helper()
	lda, ldc := 5, e.nr+3
	tiles := (rows + e.mr - 1) / e.mr
	aLen := (tiles*e.mr-1)*lda + (segs-1)*(kc+gap) + kc
	a := randSlice(r, aLen+2)[1 : 1+aLen]
	// The same A with each row's runs gathered: the plain GEMM's.
	depth := segs * kc
	gathered := make([]float32, tiles*e.mr*depth)
	for i := range tiles * e.mr {
		for s := range segs {
			copy(gathered[i*depth+s*kc:][:kc], a[i*lda+s*(kc+gap):][:kc])
		}
	}
	b := randSlice(r, depth*e.nr+1)[1:]
	cLen := (rows-1)*ldc + e.nr
	c := randSlice(r, cLen+2)[1 : 1+cLen]
	bias := randSlice(r, e.nr)
	res := randSlice(r, cLen)
	sum := randSlice(r, e.nr)
	want, wantSum := refTile(e, depth, gathered, depth, b, c, ldc, rows, bias, res, sum, flags)
	e.segmented(kc, segs, gap, a, lda, b, c, ldc, rows, bias, res, sum, flags, b)
	tol := 1e-5 * math.Sqrt(float64(depth)+1)
	for i, v := range c {
		if d := math.Abs(float64(v) - want[i]); !(d <= tol*math.Max(1, math.Abs(want[i]))) {
			t.Fatalf("%s: c[%d] = %v, want %v", name, i, v, want[i])
		}
	}
	for j, v := range sum {
		if d := math.Abs(float64(v) - wantSum[j]); !(d <= tol*float64(rows)*math.Max(1, math.Abs(wantSum[j]))) {
			t.Fatalf("%s: sum[%d] = %v, want %v", name, j, v, wantSum[j])
		}
	}
}

// TestSegmentedChecks checks that a segmented micro-kernel refuses an A
// one value short of its last run.
func TestSegmentedChecks(t *testing.T) {
	for _, e := range engines() {
		if e.segmented == nil {
			continue
		}
		kc, segs, gap, lda := 4, 3, 6, 2
		aLen := (e.mr-1)*lda + (segs-1)*(kc+gap) + kc
		b, c := make([]float32, segs*kc*e.nr), make([]float32, e.nr)
		e.segmented(kc, segs, gap, make([]float32, aLen), lda, b, c, e.nr, 1, nil, nil, nil, 0, nil)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: A one value short did not panic", e.isa)
				}
			}()
			e.segmented(kc, segs, gap, make([]float32, aLen-1), lda, b, c, e.nr, 1, nil, nil, nil, 0, nil)
		}()
	}
}

// TestConvDirect runs those of TestConv's and TestConvStride's
// convolutions that can run direct with every one direct, whatever its rows' length (non-square windows,
// strides of 2 and 3, windows wider than the image, narrow panels,
// batches, every write-back), and checks that the stem's shape runs direct
// at 224².
func TestConvDirect(t *testing.T) {
	defer func(v float64) { directMinFill = v }(directMinFill)
	directMinFill = 0
	r := rand.New(rand.NewPCG(5, 6))
	ran := 0
	for _, tc := range convCases {
		var es []*engine
		for _, e := range engines() {
			if c, err := newConv2d(tc.spec, make([]float32, tc.spec.OutC*tc.spec.Depth()), nil, e); err == nil && c.direct(1) {
				es = append(es, e)
			}
		}
		if len(es) > 0 {
			testConv(t, r, tc.spec, tc.n, tc.h, tc.w, es)
			ran++
		}
	}
	if ran < 5 && engineFor(defaultEngine.isa).segmented != nil {
		t.Fatalf("%d convolutions ran direct", ran)
	}
	TestConvStride(t) // outputs into a wider tensor
	directMinFill = 0.9
	stem := ConvSpec{InC: 3, OutC: 64, KH: 7, KW: 7, Stride: 2, Pad: 3}
	for _, e := range engines() {
		c, err := newConv2d(stem, make([]float32, stem.OutC*stem.Depth()), nil, e)
		if err != nil {
			t.Fatal(err)
		}
		if _, ow := stem.Out(224, 224); c.direct(ow) != (e.segmented != nil) {
			t.Errorf("%s: the 224² stem runs direct: %v", e.isa, c.direct(ow))
		}
	}
}

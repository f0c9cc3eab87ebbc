package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/segen/segen/isa"
)

// refTile is the micro-kernel's contract in float64: rows×nr values of
// c as they must be after the kernel (columns past nr in a row untouched),
// and the nr values of sum.
func refTile(e *engine, kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int) (cOut, sumOut []float64) {
	out := make([]float64, len(c))
	for i, v := range c {
		out[i] = float64(v)
	}
	sums := make([]float64, len(sum))
	for i, v := range sum {
		sums[i] = float64(v)
	}
	for i := range rows {
		for j := range e.nr {
			var s float64
			for k := range kc {
				s += float64(a[i*lda+k]) * float64(b[k*e.nr+j])
			}
			idx := i*ldc + j
			if flags&tileBias != 0 {
				s += float64(bias[j])
			}
			if flags&tileAccumulate != 0 {
				s += float64(c[idx])
			}
			if flags&tileResidual != 0 {
				s += float64(res[idx])
			}
			if flags&tileReLU != 0 && s < 0 {
				s = 0
			}
			out[idx] = s
			if flags&tileSum != 0 {
				sums[j] += float64(float32(s))
			}
		}
	}
	return out, sums
}

// TestMicroKernels runs every engine's micro-kernel against refTile on
// every row count, depths around the unrolling, every flag combination and
// sub-slices that start at odd offsets, with exactly the lengths the
// kernel may touch, so a stray read or write past them panics or shows.
func TestMicroKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	flags := make([]int, 32)
	for i := range flags {
		flags[i] = i
	}
	for _, e := range engines() {
		var rowCounts []int
		for rows := 1; rows <= e.mr; rows++ {
			rowCounts = append(rowCounts, rows)
		}
		testMicroKernel(t, r, e, []int{0, 1, 3, 4, 5, 8, 17, 256}, append(rowCounts, lastRowCounts(e)...), flags)
	}
}

// lastRowCounts are row counts past one tile of e's: runs of tiles with a
// full or partial last one, whose last rows run on one tail or on several
// (lastRows): one or two rows past whole tiles, and a 7×7 image.
func lastRowCounts(e *engine) []int {
	return []int{e.mr + 1, e.mr + 2, 2 * e.mr, 2*e.mr + 1, 2*e.mr + 2, 3*e.mr - 1, 3*e.mr + 1, 49}
}

// testMicroKernel is TestMicroKernels for engine e at depths kcs, rows
// rowCounts and write-back flags.
func testMicroKernel(t *testing.T, r *rand.Rand, e *engine, kcs, rowCounts, flagSet []int) {
	t.Helper()
	for _, kc := range kcs {
		for _, rows := range rowCounts {
			for _, flags := range flagSet {
				lda, ldc := kc+3, e.nr+5
				name := fmt.Sprintf("%s/kc%d/rows%d/flags%d", e.isa, kc, rows, flags)
				// Each buffer starts one value into a larger one and
				// ends where the kernel's reach ends.
				aLen := ((rows+e.mr-1)/e.mr*e.mr-1)*lda + kc
				a := randSlice(r, 1+aLen+1)[1 : 1+aLen]
				if len(a) == 0 {
					a = randSlice(r, 1)
				}
				b := randSlice(r, 1+kc*e.nr)[1:]
				cLen := (rows-1)*ldc + e.nr
				c := randSlice(r, cLen+2)[1 : 1+cLen]
				guard := c[:cLen+1][cLen]
				bias := randSlice(r, e.nr+1)[1:]
				res := randSlice(r, cLen+1)[1:]
				if rows > 1 {
					c[ldc-1] = float32(math.NaN()) // a gap between rows: must stay as it is
					c[(rows-1)*ldc-1] = float32(math.NaN())
				}
				if flags&tileReLU != 0 {
					res[0] = float32(math.NaN()) // ReLU keeps NaN
				}
				sum := randSlice(r, e.nr+2)[1 : 1+e.nr]
				sumGuard := sum[:e.nr+1][e.nr]
				want, wantSum := refTile(e, kc, a, lda, b, c, ldc, rows, bias, res, sum, flags)
				var next []float32 // a panel to prefetch: the same B, in half the cases
				if flags%2 == 1 {
					next = b
				}
				e.kernel(kc, a, lda, b, c, ldc, rows, bias, res, sum, flags, next)
				for j, v := range sum {
					w := wantSum[j]
					if math.IsNaN(w) != math.IsNaN(float64(v)) || math.Abs(float64(v)-w) > 1e-5*math.Sqrt(float64(kc)+1)*float64(rows)*math.Max(1, math.Abs(w)) {
						t.Fatalf("%s: sum[%d] = %v, want %v", name, j, v, w)
					}
				}
				if sum[:e.nr+1][e.nr] != sumGuard {
					t.Fatalf("%s: the value after sum changed", name)
				}
				for i, v := range c {
					w := want[i]
					if math.IsNaN(w) {
						if !math.IsNaN(float64(v)) {
							t.Fatalf("%s: c[%d] = %v, want NaN", name, i, v)
						}
						continue
					}
					if d := math.Abs(float64(v) - w); !(d <= 1e-5*math.Sqrt(float64(kc)+1)*math.Max(1, math.Abs(w))) {
						t.Fatalf("%s: c[%d] = %v, want %v", name, i, v, w)
					}
				}
				if got := c[:cLen+1][cLen]; got != guard {
					t.Fatalf("%s: the value after c changed", name)
				}
			}
		}
	}
}

// TestMicroKernelChecks checks that a micro-kernel refuses short slices
// instead of reading past them.
func TestMicroKernelChecks(t *testing.T) {
	for _, e := range engines() {
		kc, lda, ldc := 8, 8, e.nr
		ok := func() (a, b, c []float32) {
			return make([]float32, (e.mr-1)*lda+kc), make([]float32, kc*e.nr), make([]float32, (e.mr-1)*ldc+e.nr)
		}
		for name, call := range map[string]func(){
			"short a": func() { a, b, c := ok(); e.kernel(kc, a[1:], lda, b, c, ldc, e.mr, nil, nil, nil, 0, nil) },
			"short b": func() { a, b, c := ok(); e.kernel(kc, a, lda, b[1:], c, ldc, e.mr, nil, nil, nil, 0, nil) },
			"short c": func() { a, b, c := ok(); e.kernel(kc, a, lda, b, c[1:], ldc, e.mr, nil, nil, nil, 0, nil) },
			"no bias": func() { a, b, c := ok(); e.kernel(kc, a, lda, b, c, ldc, e.mr, nil, nil, nil, tileBias, nil) },
			"no res":  func() { a, b, c := ok(); e.kernel(kc, a, lda, b, c, ldc, e.mr, nil, c[1:], nil, tileResidual, nil) },
			"no sum":  func() { a, b, c := ok(); e.kernel(kc, a, lda, b, c, ldc, e.mr, nil, nil, c[:e.nr-1], tileSum, nil) },
			"no rows": func() { a, b, c := ok(); e.kernel(kc, a, lda, b, c, ldc, 0, nil, nil, nil, 0, nil) },
			"2 tiles": func() {
				a, b, c := ok()
				c = append(c, c...)
				e.kernel(kc, a, lda, b, c, ldc, e.mr+1, nil, nil, nil, 0, nil)
			},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: %s did not panic", e.isa, name)
					}
				}()
				call()
			}()
		}
	}
}

// TestEngineChoice checks that the engine is the one package isa chooses
// (SEGEN_ISA's, when this CPU runs it), and that every engine this CPU runs
// is tested, the Go one last.
func TestEngineChoice(t *testing.T) {
	if got, want := ISA(), isa.Choose(asmISAs...).String(); got != want {
		t.Errorf("engine %s, want %s", got, want)
	}
	if o := isa.Override(); o != "" && ISA() != o {
		t.Errorf("%s=%s, but the engine is %s", isa.Env, o, ISA())
	}
	es := engines()
	if es[len(es)-1] != goEngine {
		t.Error("the Go engine is not the last resort")
	}
	for _, e := range es {
		if got := asmTiles[e.isa]; e != goEngine && (got.mr != e.mr || got.nr != e.nr) {
			t.Errorf("%s engine: %d×%d tile, kernel %d×%d", e.isa, e.mr, e.nr, got.mr, got.nr)
		}
	}
}

// TestFMAPeak checks that the FMA loop runs and gives a plausible figure:
// every engine's GEMM does at least 2 flops per cycle at 1 GHz.
func TestFMAPeak(t *testing.T) {
	gflops, isa := FMAPeak(time.Millisecond)
	if isa != ISA() {
		t.Errorf("FMAPeak measured %s, the engine is %s", isa, ISA())
	}
	if isa != "go" && !(gflops > 2) {
		t.Errorf("FMAPeak = %v GFLOP/s on %s", gflops, isa)
	}
}

// TestLastRows checks how calls run their last rows: 49 rows (7×7) as
// 6 × 6 + 5 + 4 + 4 on AVX2's tiles, not with a one-row tail as slow as
// four rows; a remainder of four or five on its own tail; and that a plan
// never runs more rows than the call has.
func TestLastRows(t *testing.T) {
	plans := lastRows(6, []int{1, 2, 3, 4, 5})
	var rows []int
	for _, r := range plans.forRows(49, 6).tails {
		rows = append(rows, r.rows)
	}
	if !slices.Equal(rows, []int{5, 4, 4}) {
		t.Errorf("49 rows end on tails of %v rows, want [5 4 4]", rows)
	}
	for _, r := range []int{4, 5} {
		if p := plans[r][2]; p.rows != r || len(p.tails) != 1 || p.tails[0].rows != r {
			t.Errorf("a remainder of %d rows runs as %+v", r, p)
		}
	}
	for _, mr := range []int{6, 14} {
		for r, byWhole := range lastRows(mr, []int{1, 2, 4, 7, 10}) {
			for w, p := range byWhole {
				if p.rows > r+w*mr || p.rows%mr != r%mr && p.rows != 0 {
					t.Errorf("mr %d, %d whole tiles and %d rows: the tails run %d rows", mr, w, r, p.rows)
				}
			}
		}
	}
}

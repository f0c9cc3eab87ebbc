//go:build amd64 && !purego

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/segen/segen/internal/asmsim"
	"github.com/segen/segen/isa"
)

// gemmAsm parses gemm_amd64.s for the interpreter.
func gemmAsm(t *testing.T) *asmsim.Program {
	t.Helper()
	text, err := os.ReadFile("gemm_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := asmsim.Parse(string(text))
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// nativeISAs returns the instruction sets whose kernels this CPU runs.
func nativeISAs() map[isa.ISA]bool {
	native := map[isa.ISA]bool{}
	for _, e := range engines() {
		native[e.isa] = true
	}
	return native
}

// TestGEMMKernelsSimulated runs the GEMM micro-kernels of gemm_amd64.s,
// AVX-512's included, on an interpreter of their instructions
// (internal/asmsim) against a plain Go product: every rows from 1 to the
// tile's and over several tiles, depths of 1, odd ones and whole unrolled
// steps, every combination of the write-back flags, and the prefetch of
// the next panel absent, shorter than a line, or whole. Each slice is
// exactly as long as the kernel's contract says and the interpreter fails
// any access outside them, prefetches included; the values between C's
// rows must stay as they were. The kernels the CPU has also run on it, on
// the same slices, which checks the interpreter.
func TestGEMMKernelsSimulated(t *testing.T) {
	prog := gemmAsm(t)
	native := nativeISAs()
	r := rand.New(rand.NewPCG(19, 20))
	for _, k := range []struct {
		name   string
		isa    isa.ISA
		kernel asmKernelFunc
	}{
		{"gemm14x32AVX512", isa.AVX512, gemm14x32AVX512},
		{"gemm6x16AVX2", isa.AVX2, gemm6x16AVX2},
	} {
		tile := asmTiles[k.isa]
		t.Run(k.name, func(t *testing.T) {
			for rows := 1; rows <= 2*tile.mr+3; rows++ {
				if rows > tile.mr+1 && rows != 2*tile.mr+3 {
					continue // beyond one tile: two and a part
				}
				for _, kc := range []int{1, 3, 4, 5, 9} {
					for flags := range 2 * tileSum {
						// The next panel's length cycles through absent,
						// shorter than a line, a line and a bit, and whole.
						next := []int{0, 15, 17, kc * tile.nr}[(rows+flags)%4]
						g := gemmCase{mr: tile.mr, nr: tile.nr, rows: rows, kc: kc, flags: flags, next: next}
						g.run(t, r, prog, k.name, native[k.isa], k.kernel)
					}
				}
			}
		})
	}
}

// gemmCase is one call of a GEMM micro-kernel.
type gemmCase struct {
	mr, nr, rows, kc, flags, next int
}

func (g gemmCase) String() string {
	return fmt.Sprintf("rows %d kc %d flags %#x next %d", g.rows, g.kc, g.flags, g.next)
}

// run checks the call on the interpreter and, when native, on the CPU.
func (g gemmCase) run(t *testing.T, r *rand.Rand, prog *asmsim.Program, name string, native bool, kernel asmKernelFunc) {
	t.Helper()
	lda, ldc := g.kc+3, g.nr+5
	tiles := (g.rows + g.mr - 1) / g.mr
	a, b := randSlice(r, (tiles*g.mr-1)*lda+g.kc), randSlice(r, g.kc*g.nr)
	c0 := randSlice(r, (g.rows-1)*ldc+g.nr)
	var bias, res, sum0, next []float32
	if g.flags&tileBias != 0 {
		bias = randSlice(r, g.nr)
	}
	if g.flags&tileResidual != 0 {
		res = randSlice(r, len(c0))
	}
	if g.flags&tileSum != 0 {
		sum0 = randSlice(r, g.nr)
	}
	if g.next > 0 {
		next = randSlice(r, g.next)
	}

	// The reference: C's rows, and the sums over them.
	want, wantSum := append([]float32(nil), c0...), append([]float32(nil), sum0...)
	for i := range g.rows {
		for j := range g.nr {
			var v float64
			for k := range g.kc {
				v += float64(a[i*lda+k]) * float64(b[k*g.nr+j])
			}
			if g.flags&tileBias != 0 {
				v += float64(bias[j])
			}
			if g.flags&tileAccumulate != 0 {
				v += float64(c0[i*ldc+j])
			}
			if g.flags&tileResidual != 0 {
				v += float64(res[i*ldc+j])
			}
			if g.flags&tileReLU != 0 {
				v = max(v, 0)
			}
			want[i*ldc+j] = float32(v)
			if g.flags&tileSum != 0 {
				wantSum[j] += float32(v)
			}
		}
	}

	region := func(v []float32) *asmsim.Region {
		if v == nil {
			return nil
		}
		return asmsim.Floats(v)
	}
	cR, sumR := region(c0), region(sum0)
	if err := prog.Call(name, 1<<22, g.kc, region(a), lda, region(b), cR, ldc, g.rows, region(bias), region(res), sumR, g.flags, region(next), len(next)); err != nil {
		t.Fatalf("%v: %v", g, err)
	}
	got := cR.Floats()
	tol := 1e-6 * float64(g.kc+4)
	check := func(who string, got, want []float32) {
		t.Helper()
		for i, v := range got {
			if d := math.Abs(float64(v - want[i])); !(d <= tol*math.Max(1, math.Abs(float64(want[i])))) {
				t.Fatalf("%v: %s: word %d (row %d column %d) = %v, want %v", g, who, i, i/ldc, i%ldc, v, want[i])
			}
		}
	}
	check("c", got, want)
	if sumR != nil {
		check("sum", sumR.Floats(), wantSum)
	}
	if !native {
		return
	}
	hw, hwSum := append([]float32(nil), c0...), append([]float32(nil), sum0...)
	ptr := func(v []float32) *float32 {
		if len(v) == 0 {
			return nil
		}
		return &v[0]
	}
	kernel(g.kc, &a[0], lda, &b[0], &hw[0], ldc, g.rows, ptr(bias), ptr(res), ptr(hwSum), g.flags, ptr(next), len(next))
	tol = 1e-6
	check("CPU against the interpreter, c", hw, got)
	if sumR != nil {
		check("CPU against the interpreter, sum", hwSum, sumR.Floats())
	}
}

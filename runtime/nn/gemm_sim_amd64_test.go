//go:build amd64 && !purego

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/segen/segen/internal/asmsim"
	"github.com/segen/segen/internal/winograd"
	"github.com/segen/segen/isa"
)

// gemmAsm parses gemm_amd64.s for the interpreter.
func gemmAsm(t *testing.T) *asmsim.Program { return simProgram(t, "gemm_amd64.s") }

// simProgram parses one of the package's assembly files for the
// interpreter.
func simProgram(t *testing.T, file string) *asmsim.Program {
	t.Helper()
	text, err := os.ReadFile(file)
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
		mr     int
		kernel asmKernelFunc
	}{
		{"gemm14x32AVX512", isa.AVX512, 14, gemm14x32AVX512},
		{"gemm10x32AVX512", isa.AVX512, 10, gemm10x32AVX512},
		{"gemm7x32AVX512", isa.AVX512, 7, gemm7x32AVX512},
		{"gemm4x32AVX512", isa.AVX512, 4, gemm4x32AVX512},
		{"gemm2x32AVX512", isa.AVX512, 2, gemm2x32AVX512},
		{"gemm1x32AVX512", isa.AVX512, 1, gemm1x32AVX512},
		{"gemm6x16AVX2", isa.AVX2, 6, gemm6x16AVX2},
		{"gemm5x16AVX2", isa.AVX2, 5, gemm5x16AVX2},
		{"gemm4x16AVX2", isa.AVX2, 4, gemm4x16AVX2},
		{"gemm3x16AVX2", isa.AVX2, 3, gemm3x16AVX2},
		{"gemm2x16AVX2", isa.AVX2, 2, gemm2x16AVX2},
		{"gemm1x16AVX2", isa.AVX2, 1, gemm1x16AVX2},
	} {
		tile := asmTiles[k.isa]
		tile.mr = k.mr
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

// TestSegmentedKernelsSimulated runs the segmented micro-kernels
// (asm.GEMMSegmented) as TestGEMMKernelsSimulated runs the others, over
// one to three runs of depth steps with gaps between them that skip values,
// none, or step back (runs that overlap).
func TestSegmentedKernelsSimulated(t *testing.T) {
	prog := gemmAsm(t)
	native := nativeISAs()
	r := rand.New(rand.NewPCG(21, 22))
	for _, k := range []struct {
		name   string
		isa    isa.ISA
		kernel asmSegmentedFunc
	}{
		{"gemm14x32SegmentedAVX512", isa.AVX512, gemm14x32SegmentedAVX512},
		{"gemm6x16SegmentedAVX2", isa.AVX2, gemm6x16SegmentedAVX2},
	} {
		tile := asmTiles[k.isa]
		t.Run(k.name, func(t *testing.T) {
			for _, rows := range []int{1, tile.mr - 1, tile.mr, 2*tile.mr + 3} {
				for _, kc := range []int{1, 4, 5} {
					for _, segs := range []int{1, 2, 3} {
						for _, gap := range []int{0, 6, -1} {
							for _, flags := range []int{tileBias, tileAccumulate | tileResidual | tileReLU, tileBias | tileSum | tileReLU} {
								next := []int{0, 17, segs * kc * tile.nr}[(rows+segs+flags)%3]
								g := gemmCase{mr: tile.mr, nr: tile.nr, rows: rows, kc: kc, flags: flags, next: next, segs: segs, gap: gap}
								g.run(t, r, prog, k.name, native[k.isa], func(kc int, a *float32, lda int, b *float32, c *float32, ldc int, rows int, bias *float32, res *float32, sum *float32, flags int, next *float32, nextLen int) {
									k.kernel(kc, a, lda, b, c, ldc, rows, bias, res, sum, flags, next, nextLen, segs, gap)
								})
							}
						}
					}
				}
			}
		})
	}
}

// gemmCase is one call of a GEMM micro-kernel; with segs > 0, of a
// segmented one over segs runs of kc steps, gap values of A apart.
type gemmCase struct {
	mr, nr, rows, kc, flags, next int
	segs, gap                     int
}

func (g gemmCase) String() string {
	return fmt.Sprintf("rows %d kc %d segs %d gap %d flags %#x next %d", g.rows, g.kc, g.segs, g.gap, g.flags, g.next)
}

// run checks the call on the interpreter and, when native, on the CPU.
func (g gemmCase) run(t *testing.T, r *rand.Rand, prog *asmsim.Program, name string, native bool, kernel asmKernelFunc) {
	t.Helper()
	lda, ldc := g.kc+3, g.nr+5
	tiles := (g.rows + g.mr - 1) / g.mr
	runs := max(1, g.segs)
	depth := runs * g.kc
	// at returns the index in a of depth step k of row i.
	at := func(i, k int) int { return i*lda + k/g.kc*(g.kc+g.gap) + k%g.kc }
	a, b := randSlice(r, at(tiles*g.mr-1, depth-1)+1), randSlice(r, depth*g.nr)
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
			for k := range depth {
				v += float64(a[at(i, k)]) * float64(b[k*g.nr+j])
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
	args := []asmsim.Arg{g.kc, region(a), lda, region(b), cR, ldc, g.rows, region(bias), region(res), sumR, g.flags, region(next), len(next)}
	if g.segs > 0 {
		args = append(args, g.segs, g.gap)
	}
	if err := prog.Call(name, 1<<22, args...); err != nil {
		t.Fatalf("%v: %v", g, err)
	}
	got := cR.Floats()
	tol := 1e-6 * float64(depth+4)
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

// TestFMAPeakSimulated runs the FMA loops of gemm_amd64.s on the
// interpreter, and on the CPU when it has them: the sum of their chains,
// each n fused steps of 0.5·1e-3, is a number the test can compute.
func TestFMAPeakSimulated(t *testing.T) {
	prog := gemmAsm(t)
	native := nativeISAs()
	for _, k := range []struct {
		name string
		isa  isa.ISA
		loop func(n int) float32
	}{
		{"fmaPeakAVX512", isa.AVX512, fmaPeakAVX512},
		{"fmaPeakAVX2", isa.AVX2, fmaPeakAVX2},
	} {
		chains := fmaPeakFlops[k.isa] / (2 * asmTiles[k.isa].lanes)
		for _, n := range []int{0, 1, 7} {
			var chain float32
			for range n {
				chain = float32(math.FMA(float64(float32(1e-3)), 0.5, float64(chain)))
			}
			var want float32
			for range chains {
				want += chain
			}
			ret, err := prog.Run(k.name, 1<<16, n)
			if err != nil {
				t.Fatal(err)
			}
			if got := math.Float32frombits(ret[0]); got != want {
				t.Errorf("%s(%d) on the interpreter = %v, want %v", k.name, n, got, want)
			}
			if native[k.isa] {
				if got := k.loop(n); got != want {
					t.Errorf("%s(%d) on the CPU = %v, want %v", k.name, n, got, want)
				}
			}
		}
	}
}

// TestWinogradTransformsSimulated runs the Winograd transforms of
// gemm_amd64.s on the interpreter against Bᵀ d B and Aᵀ m A + bias
// computed from internal/winograd's matrices, on slots spaced wider than
// the channels, one and three channel vectors, every rows × cols the
// output transform may write, and every combination of its flags. Each
// slice is exactly as long as the transform's contract; what lies between
// the slots and outside the rows × cols written must stay as it was. The
// CPU runs them on the same slices when it has them.
func TestWinogradTransformsSimulated(t *testing.T) {
	prog := gemmAsm(t)
	native := nativeISAs()[isa.AVX2]
	r := rand.New(rand.NewPCG(21, 22))
	const lanes = 8
	for _, tr := range []struct {
		name          string
		f             *winograd.Transform
		input, output string
	}{
		{"F4x3", winograd.F4x3, "winograd4x3InputAVX2", "winograd4x3OutputAVX2"},
		{"F2x3", winograd.F2x3, "winograd2x3InputAVX2", "winograd2x3OutputAVX2"},
	} {
		var kernels *winogradTransforms
		for _, k := range asmEngines[0].winograd {
			if k.f == tr.f {
				kernels = k
			}
		}
		t.Run(tr.name, func(t *testing.T) {
			for _, chunks := range []int{1, 3} {
				wi := winogradCase{f: tr.f, chunks: chunks, ch: chunks * lanes}
				wi.input(t, r, prog, tr.input, native, kernels.input)
				for rows := 1; rows <= tr.f.M; rows++ {
					for cols := 1; cols <= tr.f.M; cols++ {
						for _, flags := range []int{0, tileResidual, tileReLU, tileSum, tileResidual | tileReLU | tileSum, tileReLU | tileSum} {
							wi.output(t, r, prog, tr.output, native, kernels.output, rows, cols, flags)
						}
					}
				}
			}
		})
	}
}

// winogradCase is a tile of ch channels in chunks vectors.
type winogradCase struct {
	f          *winograd.Transform
	chunks, ch int
}

// layout returns a tile's strides: slots, pixels and rows, each wider
// than what it holds.
func (w winogradCase) layout() (stride, pix, row int) {
	stride, pix = w.ch+3, w.ch+1
	return stride, pix, w.f.T()*pix + 2
}

func (w winogradCase) input(t *testing.T, r *rand.Rand, prog *asmsim.Program, name string, native bool, kernel func(v *float32, stride int, d *float32, row, pix, chunks int)) {
	T := w.f.T()
	stride, pix, row := w.layout()
	d := randSlice(r, (T-1)*row+(T-1)*pix+w.ch)
	v0 := randSlice(r, (T*T-1)*stride+w.ch)
	want := append([]float32(nil), v0...)
	for i := range T {
		for k := range T {
			for c := range w.ch {
				var s float64
				for j := range T {
					for x := range T {
						s += w.f.BT[i][j] * float64(d[j*row+x*pix+c]) * w.f.BT[k][x]
					}
				}
				want[(i*T+k)*stride+c] = float32(s)
			}
		}
	}
	vR := asmsim.Floats(v0)
	if err := prog.Call(name, 1<<20, vR, stride, asmsim.Floats(d), row, pix, w.chunks); err != nil {
		t.Fatal(err)
	}
	got := vR.Floats()
	checkClose(t, fmt.Sprintf("%s, %d channels: v", name, w.ch), got, want, 1e-5)
	if native {
		hw := append([]float32(nil), v0...)
		kernel(&hw[0], stride, &d[0], row, pix, w.chunks)
		checkClose(t, fmt.Sprintf("%s, %d channels: CPU against the interpreter", name, w.ch), hw, got, 1e-6)
	}
}

func (w winogradCase) output(t *testing.T, r *rand.Rand, prog *asmsim.Program, name string, native bool, kernel func(y *float32, row, pix int, m *float32, stride, chunks int, bias, res, sum *float32, rows, cols, flags int), rows, cols, flags int) {
	T, M := w.f.T(), w.f.M
	stride, pix, row := w.layout()
	m0 := randSlice(r, (T*T-1)*stride+w.ch)
	bias := randSlice(r, w.ch)
	y0 := randSlice(r, (rows-1)*row+(cols-1)*pix+w.ch)
	var res, sum0 []float32
	if flags&tileResidual != 0 {
		res = randSlice(r, len(y0))
	}
	if flags&tileSum != 0 {
		sum0 = randSlice(r, w.ch)
	}
	want, wantSum := append([]float32(nil), y0...), append([]float32(nil), sum0...)
	for p := range min(rows, M) {
		for q := range min(cols, M) {
			for c := range w.ch {
				s := float64(bias[c])
				for i := range T {
					for k := range T {
						s += w.f.AT[p][i] * float64(m0[(i*T+k)*stride+c]) * w.f.AT[q][k]
					}
				}
				at := p*row + q*pix + c
				if flags&tileResidual != 0 {
					s += float64(res[at])
				}
				if flags&tileReLU != 0 {
					s = max(s, 0)
				}
				want[at] = float32(s)
				if flags&tileSum != 0 {
					wantSum[c] += float32(s)
				}
			}
		}
	}
	region := func(v []float32) *asmsim.Region {
		if v == nil {
			return nil
		}
		return asmsim.Floats(v)
	}
	yR, mR, sumR := asmsim.Floats(y0), asmsim.Floats(m0), region(sum0)
	if err := prog.Call(name, 1<<20, yR, row, pix, mR, stride, w.chunks, asmsim.Floats(bias), region(res), sumR, rows, cols, flags); err != nil {
		t.Fatal(err)
	}
	what := fmt.Sprintf("%s, %d channels, %d×%d, flags %#x", name, w.ch, rows, cols, flags)
	got := yR.Floats()
	checkClose(t, what+": y", got, want, 1e-5)
	if sumR != nil {
		checkClose(t, what+": sum", sumR.Floats(), wantSum, 1e-5)
	}
	if native {
		hw, hm, hs := append([]float32(nil), y0...), append([]float32(nil), m0...), append([]float32(nil), sum0...)
		ptr := func(v []float32) *float32 {
			if len(v) == 0 {
				return nil
			}
			return &v[0]
		}
		kernel(&hw[0], row, pix, &hm[0], stride, w.chunks, &bias[0], ptr(res), ptr(hs), rows, cols, flags)
		checkClose(t, what+": CPU against the interpreter, y", hw, got, 1e-6)
		if sumR != nil {
			checkClose(t, what+": CPU against the interpreter, sum", hs, sumR.Floats(), 1e-6)
		}
	}
}

// checkClose fails unless got and want agree to tol relative (absolute
// below 1).
func checkClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	for i, v := range got {
		if d := math.Abs(float64(v - want[i])); !(d <= tol*math.Max(1, math.Abs(float64(want[i])))) {
			t.Fatalf("%s: word %d = %v, want %v", what, i, v, want[i])
		}
	}
}

// TestScalePanelSimulated runs the panel scaling kernels on the
// interpreter, AVX-512's included, against a plain Go product, bit for bit
// (one rounding each): no rows, one, and several, every slice exactly as
// long as the contract says. The CPU runs the kernels it has on the same
// slices.
func TestScalePanelSimulated(t *testing.T) {
	prog := gemmAsm(t)
	native := nativeISAs()
	r := rand.New(rand.NewPCG(45, 46))
	for _, k := range []struct {
		name   string
		isa    isa.ISA
		kernel scalePanelKernel
	}{
		{"scalePanel32AVX512", isa.AVX512, scalePanel32AVX512},
		{"scalePanel16AVX2", isa.AVX2, scalePanel16AVX2},
	} {
		nr := asmTiles[k.isa].nr
		for _, rows := range []int{0, 1, 2, 7} {
			src, gate := randSlice(r, rows*nr), randSlice(r, nr)
			want := make([]float32, rows*nr)
			for i, v := range src {
				want[i] = v * gate[i%nr]
			}
			dst := asmsim.Floats(make([]float32, rows*nr))
			if err := prog.Call(k.name, 1<<16, dst, asmsim.Floats(src), asmsim.Floats(gate), rows); err != nil {
				t.Fatalf("%s, %d rows: %v", k.name, rows, err)
			}
			samePool(t, fmt.Sprintf("%s, %d rows", k.name, rows), dst.Floats(), want)
			if native[k.isa] && rows > 0 {
				got := make([]float32, rows*nr)
				k.kernel(&got[0], &src[0], &gate[0], rows)
				samePool(t, fmt.Sprintf("%s on the CPU, %d rows", k.name, rows), got, want)
			}
		}
	}
}

//go:build amd64 && !purego

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/segen/segen/internal/asmsim"
	"github.com/segen/segen/isa"
)

// simulatedEngine returns a copy of the AVX-512 engine whose micro-kernels
// — the GEMM's whole tile, tails and segmented runs, and the grouped
// convolutions' — run on the interpreter (internal/asmsim), each call on
// copies of exactly the values its contract lets it read and write, so
// that the Go side's blocking for the AVX-512 tiles (row blocks, panels,
// depth blocks, tails, Winograd products, direct convolutions, the
// grouped bands, blocks and chunks) runs on a CPU without AVX-512.
func simulatedEngine(t *testing.T) *engine {
	prog := gemmAsm(t)
	e := *engineFor(isa.AVX512)
	if e.isa != isa.AVX512 {
		t.Fatal("no AVX-512 engine in this build")
	}
	names, tileRows := []string{fmt.Sprintf("gemm%dx%dAVX512", e.mr, e.nr)}, []int{e.mr}
	for _, tl := range gemmTails[isa.AVX512] {
		names, tileRows = append(names, fmt.Sprintf("gemm%dx%dAVX512", tl.rows, e.nr)), append(tileRows, tl.rows)
	}
	segmented := fmt.Sprintf("gemm%dx%dSegmentedAVX512", e.mr, e.nr)
	// call runs one kernel on copies of its slices, A's and B's reach
	// given, and copies its tiles of C and the sums back.
	call := func(name string, reach, bLen, kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, extra ...asmsim.Arg) {
		region := func(v []float32, n int, used bool) *asmsim.Region {
			if !used {
				return nil
			}
			return asmsim.Floats(v[:n])
		}
		// C's copy holds the tile's columns of each row; other tasks write
		// the rest of the rows meanwhile, and the kernel must not touch
		// them: NaN there shows up in a result that reads one.
		cLen := (rows-1)*ldc + e.nr
		tile := make([]float32, cLen)
		for i := range tile {
			tile[i] = float32(math.NaN())
		}
		for i := range rows {
			copy(tile[i*ldc:][:e.nr], c[i*ldc:][:e.nr])
		}
		cR, sumR := asmsim.Floats(tile), region(sum, e.nr, flags&tileSum != 0)
		args := []asmsim.Arg{kc, asmsim.Floats(a[:reach]), lda, region(b, bLen, kc > 0), cR, ldc, rows,
			region(bias, e.nr, flags&tileBias != 0), region(res, cLen, flags&tileResidual != 0), sumR, flags, (*asmsim.Region)(nil), 0}
		if err := prog.Call(name, 1<<40, append(args, extra...)...); err != nil {
			panic(err) // not t.Fatal: the call may run on a helper goroutine
		}
		got := cR.Floats()
		for i := range rows {
			copy(c[i*ldc:][:e.nr], got[i*ldc:][:e.nr])
		}
		if sumR != nil {
			copy(sum, sumR.Floats())
		}
	}
	e.kernel = e.tiled(tileRows[1:], func(i, kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, next []float32) {
		mr := tileRows[i]
		call(names[i], reachA(mr, rows, lda, kc, 1, 0), kc*e.nr, kc, a, lda, b, c, ldc, rows, bias, res, sum, flags)
	})
	e.segmented = func(kc, segs, gap int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, next []float32) {
		e.checkSegments(kc, segs, gap, a, lda, b, c, ldc, rows, bias, res, sum, flags)
		call(segmented, reachA(e.mr, rows, lda, kc, segs, gap), segs*kc*e.nr, kc, a, lda, b, c, ldc, rows, bias, res, sum, flags, segs, gap)
	}
	gprog := simProgram(t, "gconv_amd64.s")
	e.gconv = slices.Clone(e.gconv)
	for i := range e.gconv {
		k := &e.gconv[i]
		k.run = func(a []float32, px *gconvPixels, cols, pix, row int, b, c, bias, res, sum []float32, flags int) {
			// The slices as long as asm.GConv's contract says; C's copy
			// holds the call's pixels' outputs, NaN between them.
			width := cols * k.cols()
			aLen, outLen := k.reach(cols, px, pix, row)
			out := make([]float32, outLen)
			for i := range out {
				out[i] = float32(math.NaN())
			}
			for p := range px.n {
				o := px.offs[2*p+1]
				copy(out[o:][:width], c[o:][:width])
			}
			cR, sumR, resR := asmsim.Floats(out), (*asmsim.Region)(nil), (*asmsim.Region)(nil)
			if flags&tileSum != 0 {
				sumR = asmsim.Floats(sum[:width])
			}
			if flags&tileResidual != 0 {
				resR = asmsim.Floats(res[:outLen])
			}
			if err := gprog.Call(k.name, 1<<40, asmsim.Floats(a[:aLen]), asmsim.Ints(px.offs), px.n, cols, pix, row,
				asmsim.Floats(b[:cols*k.weights()]), cR, asmsim.Floats(bias[:width]), resR, sumR, flags); err != nil {
				panic(err) // not t.Fatal: the call may run on a helper goroutine
			}
			got := cR.Floats()
			for p := range px.n {
				o := px.offs[2*p+1]
				copy(c[o:][:width], got[o:][:width])
			}
			if sumR != nil {
				copy(sum, sumR.Floats())
			}
		}
	}
	return &e
}

// TestConvSimulatedAVX512 runs TestConv's convolutions on the simulated
// AVX-512 engine — the largest ones at smaller sizes that keep what they
// test (several row blocks, depth beyond kc, Winograd tiles inside the
// image), as the interpreter is slow — and those that can run direct again
// with every one direct.
func TestConvSimulatedAVX512(t *testing.T) {
	e := simulatedEngine(t)
	r := rand.New(rand.NewPCG(23, 24))
	var cases []convCase
	for _, tc := range convCases {
		oh, ow := tc.spec.Out(tc.h, tc.w)
		if tc.n*oh*ow*tc.spec.OutC*tc.spec.Depth() <= simulatedMACs {
			cases = append(cases, tc)
		}
	}
	cases = append(cases,
		convCase{ConvSpec{InC: 30, OutC: 40, KH: 3, KW: 3, Stride: 1, Pad: 1}, 1, 14, 9},  // two row blocks of 112, K = 270 > kc, a narrow panel
		convCase{ConvSpec{InC: 16, OutC: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}, 1, 18, 14}, // F(4×4) tiles inside the image
		convCase{ConvSpec{InC: 264, OutC: 40, KH: 3, KW: 3, Stride: 1, Pad: 1}, 1, 5, 3},  // F(2×2), a narrow panel
	)
	grouped := 0
	for _, tc := range cases {
		testConv(t, r, tc.spec, tc.n, tc.h, tc.w, []*engine{e})
		if c, err := newConv2d(tc.spec, make([]float32, tc.spec.OutC*tc.spec.Depth()), nil, e); err == nil && c.gk != nil {
			grouped++
		}
	}
	if grouped < 4 {
		t.Fatalf("%d convolutions ran on the grouped kernels", grouped)
	}
	defer func(v float64) { directMinFill = v }(directMinFill)
	directMinFill = 0
	ran := 0
	for _, tc := range cases {
		if c, err := newConv2d(tc.spec, make([]float32, tc.spec.OutC*tc.spec.Depth()), nil, e); err == nil && c.direct(1) {
			testConv(t, r, tc.spec, tc.n, tc.h, tc.w, []*engine{e})
			ran++
		}
	}
	if ran < 5 {
		t.Fatalf("%d convolutions ran direct", ran)
	}
}

// TestMicroKernelSimulatedAVX512 runs the simulated AVX-512 engine's
// micro-kernel, its tails behind it (engine.tiled), on the row counts
// whose last rows run on several tails.
func TestMicroKernelSimulatedAVX512(t *testing.T) {
	e := simulatedEngine(t)
	testMicroKernel(t, rand.New(rand.NewPCG(25, 26)), e, []int{1, 5}, append([]int{1, e.mr - 1}, lastRowCounts(e)...),
		[]int{0, tileBias | tileReLU, tileAccumulate | tileResidual | tileSum})
}

// simulatedMACs bounds the multiply-adds of a convolution TestConv's cases
// run on the simulated engine at full size.
const simulatedMACs = 3 << 20

package nn

import (
	"fmt"

	"github.com/segen/segen/isa"
)

// An engine is one implementation of the GEMM micro-kernel together with
// the blocking that suits it. Every Conv2d is built for one engine (its
// weights are packed in the engine's nr-wide panels); NewConv2d uses the
// engine of the instruction set package isa chooses (the best this CPU
// runs, or the one SEGEN_ISA names), as the SE kernels do.
type engine struct {
	isa    isa.ISA
	mr, nr int // micro-tile: rows (output pixels) × columns (output channels)
	mc     int // rows per task; a multiple of mr
	kc     int // depth of a block of A
	kernel microKernel
	// segmented, if not nil, is the micro-kernel over a depth of runs
	// apart in A (asm.GEMMSegmented), which direct convolutions use.
	segmented segmentedKernel

	// winograd are the transforms of the Winograd 3×3 convolutions (see
	// winogradFor); without them every convolution runs as an im2col GEMM.
	winograd []*winogradTransforms

	// maxPool and avgPool, if not nil, set chunks vectors of lanes floats
	// at dst to the maximum, or the sum over div, of a kh×kw window of src
	// (the pooling layers' inner loop).
	maxPool maxPoolKernel
	avgPool avgPoolKernel
	lanes   int

	// fmaPeak, if not nil, runs n iterations of the instruction set's FMA
	// throughput loop (FMAPeak).
	fmaPeak func(n int) float32
	// gconv are the grouped 3×3 micro-kernels, one per group shape.
	gconv []gconvKernel
	// scalePanel, if not nil, sets rows rows of nr floats at dst to those
	// at src times gate's nr values, column by column (asm.ScalePanel).
	scalePanel scalePanelKernel
}

// scalePanelKernel is the signature of asm.ScalePanel's kernels.
type scalePanelKernel func(dst, src, gate *float32, rows int)

// The pooling window kernels (asm.MaxPoolSignature, asm.AvgPoolSignature):
// chunks vectors of channels, window element (y, x) at src + y·row + x·pix
// floats, kh, kw ≥ 1.
type (
	maxPoolKernel func(dst, src *float32, chunks, pix, row, kh, kw int)
	avgPoolKernel func(dst, src *float32, chunks, pix, row, kh, kw int, div float32)
)

// microKernel computes rows 0…rows-1 of A·B over kc depth steps, mr×nr
// tiles at a time, A read as rows of stride lda starting at a[0] (the last
// tile reads whole mr rows) and B as one packed micro-panel (kc rows of nr
// values), and writes them to c (stride ldc) with the write-back the flags
// select (tileBias, …), summing every row into sum with tileSum. While it
// runs it prefetches next, the B micro-panel the caller runs next (nil for
// none). It checks every length and panics on a mismatch; the assembly
// behind it never reads or writes outside the slices it is given.
type microKernel func(kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, next []float32)

// tileRun runs kernel i of an engine on slices whose lengths are checked:
// 0 its whole tile's, i > 0 its tail kernel i-1. It is the assembly call,
// or in tests the interpreter's.
type tileRun func(i, kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, next []float32)

// tiled returns e's micro-kernel around run: it checks the lengths, and
// runs the rows after the last whole tile on the tail kernel of fewest
// rows that holds them (tailRows, fewest first) if one is smaller than the
// tile, instead of on a whole tile: a whole tile's FMAs for one row were a
// tenth of a 7×7 layer's time.
func (e *engine) tiled(tailRows []int, run tileRun) microKernel {
	byRows := make([]int, e.mr) // the kernel of a last tile of r rows; 0: the whole tile's
	for r := 1; r < e.mr; r++ {
		for i, n := range tailRows {
			if n >= r && n < e.mr {
				byRows[r] = i + 1
				break
			}
		}
	}
	return func(kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, next []float32) {
		e.checkTile(kc, a, lda, b, c, ldc, rows, bias, res, sum, flags)
		last := rows % e.mr
		if byRows[last] == 0 {
			run(0, kc, a, lda, b, c, ldc, rows, bias, res, sum, flags, next)
			return
		}
		whole := rows - last
		if whole > 0 {
			run(0, kc, a, lda, b, c, ldc, whole, bias, res, sum, flags, next)
		}
		// The tail kernel reads fewer rows of A than a whole tile does,
		// so checkTile's bounds hold for it too.
		var rt []float32
		if flags&tileResidual != 0 {
			rt = res[whole*ldc:]
		}
		run(byRows[last], kc, a[whole*lda:], lda, b, c[whole*ldc:], ldc, last, bias, rt, sum, flags, nil)
	}
}

// segmentedKernel is microKernel over segs runs of kc depth steps, row i
// of A reading a[i·lda + s·(kc+gap) + k] at step k of run s, B segs·kc
// rows of nr values.
type segmentedKernel func(kc, segs, gap int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, next []float32)

// The write-back flags (tileBias, …) are asm's, written into asm_consts.go
// by asm.go.

// checkTile panics unless the slices passed to a micro-kernel of e are long
// enough for what it reads and writes.
func (e *engine) checkTile(kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int) {
	e.checkSegments(kc, 1, 0, a, lda, b, c, ldc, rows, bias, res, sum, flags)
}

// reachA returns how many values of A a micro-kernel of mr-row tiles reads
// for rows rows: whole tiles of rows lda apart, each segs runs of kc depth
// steps gap values apart.
func reachA(mr, rows, lda, kc, segs, gap int) int {
	return ((rows+mr-1)/mr*mr-1)*lda + (segs-1)*(kc+gap) + kc
}

// checkSegments is checkTile for a segmented micro-kernel.
func (e *engine) checkSegments(kc, segs, gap int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int) {
	ok := kc >= 0 && segs >= 1 && gap >= -kc && lda >= 0 && ldc >= e.nr && rows >= 1 &&
		len(a) >= reachA(e.mr, rows, lda, kc, segs, gap) && len(a) > 0 && len(b) >= segs*kc*e.nr &&
		len(c) >= (rows-1)*ldc+e.nr &&
		(flags&tileBias == 0 || len(bias) >= e.nr) &&
		(flags&tileResidual == 0 || len(res) >= (rows-1)*ldc+e.nr) &&
		(flags&tileSum == 0 || len(sum) >= e.nr)
	if !ok {
		panic(fmt.Sprintf("nn: %s %d×%d micro-kernel: kc %d, segs %d, gap %d, lda %d, ldc %d, rows %d, flags %#x; len(a) %d, len(b) %d, len(c) %d, len(bias) %d, len(res) %d, len(sum) %d",
			e.isa, e.mr, e.nr, kc, segs, gap, lda, ldc, rows, flags, len(a), len(b), len(c), len(bias), len(res), len(sum)))
	}
}

// defaultEngine is what NewConv2d uses.
var defaultEngine = engineFor(isa.Choose(asmISAs...))

// engineFor returns the engine of instruction set i, which this CPU and
// build run.
func engineFor(i isa.ISA) *engine {
	for _, e := range asmEngines {
		if e.isa == i {
			return e
		}
	}
	return goEngine
}

// engines returns the engines this CPU and build run, best first; the
// plain-Go one is always last.
func engines() []*engine {
	var es []*engine
	for _, i := range isa.Supported(asmISAs...) {
		es = append(es, engineFor(i))
	}
	return es
}

// ISA returns the instruction set of the convolution engine NewConv2d uses:
// "avx512", "avx2" or "go".
func ISA() string { return defaultEngine.isa.String() }

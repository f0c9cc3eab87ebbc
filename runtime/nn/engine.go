package nn

import (
	"fmt"
	"slices"

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
// runs the rows after the last whole tile on tail kernels of fewer rows
// (tailRows, fewest first) instead of on a whole tile: a whole tile's FMAs
// for one row were a tenth of a 7×7 layer's time. Which tails, lastRows
// decides.
func (e *engine) tiled(tailRows []int, run tileRun) microKernel {
	plans := lastRows(e.mr, tailRows)
	return func(kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, next []float32) {
		e.checkTile(kc, a, lda, b, c, ldc, rows, bias, res, sum, flags)
		plan := plans.forRows(rows, e.mr)
		whole := rows - plan.rows
		if whole > 0 {
			run(0, kc, a, lda, b, c, ldc, whole, bias, res, sum, flags, next)
			next = nil // prefetched by now
		}
		// A tail kernel reads no rows of A beyond those of the whole
		// tiles it stands in for, so checkTile's bounds hold for it too.
		at := whole
		for _, t := range plan.tails {
			var rt []float32
			if flags&tileResidual != 0 {
				rt = res[at*ldc:]
			}
			n := min(t.rows, rows-at)
			run(t.kernel, kc, a[at*lda:], lda, b, c[at*ldc:], ldc, n, bias, rt, sum, flags, next)
			next = nil
			at += n
		}
	}
}

// tailPlan is how a call runs its last rows: on tails in turn (kernel
// indices as tileRun takes them, each for up to its rows), after whole
// tiles for the others; with no tails the whole tiles run them all.
type tailPlan struct {
	rows  int // the rows the tails run
	tails []tailRun
}

type tailRun struct{ kernel, rows int }

// tailPlans are lastRows' plans: by the remainder of rows over mr, then by
// the whole tiles before it (0, 1, 2 or more).
type tailPlans [][3]tailPlan

// forRows returns the plan of a call of rows rows.
func (p tailPlans) forRows(rows, mr int) tailPlan {
	return p[rows%mr][min(rows/mr, len(p[0])-1)]
}

// fullRateRows is the fewest rows of a tile whose FMAs keep both FMA pipes
// busy: a tile of r rows has 2r independent accumulators (two vectors a
// row, on both engines), and two pipes of four cycles' latency need eight
// in flight. A tile of fewer rows takes as long per depth step as one of
// four.
const fullRateRows = 4

// lastRows returns, for every remainder r = rows mod mr and every count of
// whole tiles w (0, 1, 2 or more: the last entry), how a call runs its
// last rows: the r rows on the tail of fewest rows that holds them, or r +
// mr or r + 2·mr rows (w permitting) on up to three tails of exactly those
// rows where that saves at least two rows' time. Time is counted in depth
// steps of a row, a tile of n rows taking max(n, fullRateRows); the margin
// stands for the extra calls' write-backs. SE-ResNet-50's 7×7 layers (49
// rows: 8 tiles of 6, then one row on a tail as slow as four) run their
// last 13 rows as 5 + 4 + 4 on AVX2 (52 → 49), 15 of 43 as 7 + 4 + 4 on
// AVX-512.
func lastRows(mr int, tailRows []int) tailPlans {
	cost := func(n int) int { return max(n, fullRateRows) }
	plans := make(tailPlans, mr)
	for r := 1; r < mr; r++ {
		// The tail of fewest rows that holds r, or else a whole tile
		// (rows 0: the whole tiles' kernel runs the remainder too).
		base, baseCost := tailPlan{}, mr
		for i, n := range tailRows {
			if n >= r && n < mr {
				base, baseCost = tailPlan{rows: r, tails: []tailRun{{i + 1, n}}}, cost(n)
				break
			}
		}
		for w := range 3 {
			// The cheapest run of r + t·mr rows on exact tails, if it
			// saves two rows' time.
			var alt tailPlan
			altCost := 0
			for t := 1; t <= w; t++ {
				tails, c := exactTails(r+t*mr, mr, tailRows, cost)
				if c += (w - t) * mr; tails != nil && (alt.tails == nil || c < altCost) {
					alt, altCost = tailPlan{rows: r + t*mr, tails: tails}, c
				}
			}
			plans[r][w] = base
			if alt.tails != nil && altCost <= baseCost+w*mr-2 {
				plans[r][w] = alt
			}
		}
	}
	return plans
}

// exactTails returns the cheapest run of rows rows on one to three tails
// of exactly their rows (fewer than mr each), largest first, and its cost;
// nil if there is none.
func exactTails(rows, mr int, tailRows []int, cost func(int) int) ([]tailRun, int) {
	var best []tailRun
	bestCost := 0
	var try func(left, from int, runs []tailRun, c int)
	try = func(left, from int, runs []tailRun, c int) {
		if left == 0 {
			if best == nil || c < bestCost || c == bestCost && len(runs) < len(best) {
				best, bestCost = slices.Clone(runs), c
			}
			return
		}
		if len(runs) == 3 {
			return
		}
		for i := from; i >= 0; i-- {
			if n := tailRows[i]; n < mr && n <= left {
				try(left-n, i, append(runs, tailRun{i + 1, n}), c+cost(n))
			}
		}
	}
	try(rows, len(tailRows)-1, nil, 0)
	return best, bestCost
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

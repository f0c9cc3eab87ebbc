//go:build amd64 && !purego

package nn

import (
	"github.com/segen/segen/internal/winograd"
	"github.com/segen/segen/isa"
)

// The assembly engines (gemm_amd64.s, emitted by asm.go with asm.GEMM).
//
// AVX-512: a 14×32 tile, 28 zmm accumulators + 2 of B + 1 broadcast of A = 31
// of 32 registers. Per depth step it issues 28 FMAs against 2 + 14 loads, so
// the two FMA pipes, not the load ports, set the pace; measured on this
// machine against 12×32, 8×32 and 6×64 it was the fastest (see DESIGN.md).
// AVX2: 6×16, 12 ymm accumulators + 2 + 1 of 16 registers, the classic
// Haswell tile.
//
// kc = 256: a B micro-panel (kc×32 floats, 32 KiB) and the A rows of one
// tile (14×kc, 14 KiB) fit the 48 KiB L1d together, and the depth loop is
// long enough that reading and writing the C tile once per block is noise.
// mc = 8 tiles of rows: the A block (mc×kc, 112 KiB) stays in the 1 MiB L2
// while the B panels stream past it, and row blocks stay small enough to
// split a 56×56 image into 28 tasks for the goroutines.
// The tiles (mr × nr) are asm.go's, in asm_consts.go.
var asmEngines = []*engine{
	newAsmEngine(isa.AVX512, 8, 256, gemm14x32AVX512, gemm14x32SegmentedAVX512, maxPoolAVX512, avgPoolAVX512, fmaPeakAVX512, scalePanel32AVX512),
	newAsmEngine(isa.AVX2, 16, 256, gemm6x16AVX2, gemm6x16SegmentedAVX2, maxPoolAVX2, avgPoolAVX2, fmaPeakAVX2, scalePanel16AVX2),
}

func init() {
	for _, k := range gconvKernels {
		for _, e := range asmEngines {
			if e.isa == k.isa {
				e.gconv = append(e.gconv, k)
			}
		}
	}
	// One set of AVX2 transforms serves both engines: they are a small
	// part of a Winograd convolution next to its products.
	avx2Winograd := []*winogradTransforms{
		{f: winograd.F4x3, lanes: 8, input: winograd4x3InputAVX2, output: winograd4x3OutputAVX2},
		{f: winograd.F2x3, lanes: 8, input: winograd2x3InputAVX2, output: winograd2x3OutputAVX2},
	}
	for _, e := range asmEngines {
		e.winograd = avx2Winograd
	}
}

// asmISAs are the instruction sets of asmEngines.
var asmISAs = []isa.ISA{isa.AVX512, isa.AVX2}

// newAsmEngine returns the engine of instruction set i with mc = tiles·mr
// rows per task and depth kc around the generated kernels.
func newAsmEngine(i isa.ISA, tiles, kc int, k asmKernelFunc, seg asmSegmentedFunc, maxPool maxPoolKernel, avgPool avgPoolKernel, peak func(n int) float32, scale scalePanelKernel) *engine {
	t := asmTiles[i]
	e := &engine{isa: i, mr: t.mr, nr: t.nr, mc: tiles * t.mr, kc: kc, maxPool: maxPool, avgPool: avgPool, lanes: t.lanes, fmaPeak: peak, scalePanel: scale}
	e.kernel = e.asmKernel(k, gemmTails[i])
	e.segmented = e.asmSegmented(seg)
	return e
}

// asmKernelFunc is the signature of the generated micro-kernels
// (asm.GEMMSignature).
type asmKernelFunc func(kc int, a *float32, lda int, b *float32, c *float32, ldc int, rows int, bias *float32, res *float32, sum *float32, flags int, next *float32, nextLen int)

// asmSegmentedFunc is the signature of the segmented micro-kernels
// (asm.GEMMSegmentedSignature).
type asmSegmentedFunc func(kc int, a *float32, lda int, b *float32, c *float32, ldc int, rows int, bias *float32, res *float32, sum *float32, flags int, next *float32, nextLen int, segs int, gap int)

// asmKernel wraps an assembly micro-kernel and its tails with the length
// checks (engine.tiled).
func (e *engine) asmKernel(k asmKernelFunc, tails []gemmTail) microKernel {
	kernels, tailRows := []asmKernelFunc{k}, make([]int, len(tails))
	for i, t := range tails {
		kernels, tailRows[i] = append(kernels, t.kernel), t.rows
	}
	return e.tiled(tailRows, func(i, kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, next []float32) {
		p := kernelPointers(kc, b, bias, res, sum, flags, next)
		kernels[i](kc, &a[0], lda, p.b, &c[0], ldc, rows, p.bias, p.res, p.sum, flags, p.next, len(next))
	})
}

// asmSegmented wraps a segmented assembly micro-kernel with the length
// checks.
func (e *engine) asmSegmented(k asmSegmentedFunc) segmentedKernel {
	return func(kc, segs, gap int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, next []float32) {
		e.checkSegments(kc, segs, gap, a, lda, b, c, ldc, rows, bias, res, sum, flags)
		p := kernelPointers(kc, b, bias, res, sum, flags, next)
		k(kc, &a[0], lda, p.b, &c[0], ldc, rows, p.bias, p.res, p.sum, flags, p.next, len(next), segs, gap)
	}
}

// pointers are the first elements of a micro-kernel's optional slices, nil
// where the flags leave one unused.
type pointers struct{ b, bias, res, sum, next *float32 }

// kernelPointers returns the pointers a micro-kernel call passes.
func kernelPointers(kc int, b, bias, res, sum []float32, flags int, next []float32) (p pointers) {
	if flags&tileBias != 0 {
		p.bias = &bias[0]
	}
	if flags&tileResidual != 0 {
		p.res = &res[0]
	}
	if flags&tileSum != 0 {
		p.sum = &sum[0]
	}
	if kc > 0 {
		p.b = &b[0]
	}
	if len(next) > 0 {
		p.next = &next[0]
	}
	return p
}

// gemmTail is a micro-kernel of fewer rows than its engine's tile
// (gemm_tails_amd64.go).
type gemmTail struct {
	rows   int
	kernel asmKernelFunc
}

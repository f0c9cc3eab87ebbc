//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

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
var (
	avx512Engine = &engine{isa: "avx512", mr: 14, nr: 32, mc: 14 * 8, kc: 256}
	avx2Engine   = &engine{isa: "avx2", mr: 6, nr: 16, mc: 6 * 16, kc: 256}
)

func init() {
	avx512Engine.kernel = avx512Engine.asmKernel(gemm14x32AVX512)
	avx512Engine.maxPool, avx512Engine.lanes = maxPoolAVX512, 16
	avx2Engine.kernel = avx2Engine.asmKernel(gemm6x16AVX2)
	avx2Engine.maxPool, avx2Engine.lanes = maxPoolAVX2, 8
}

func hasAVX2() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }
func hasAVX512() bool {
	return hasAVX2() && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ // DQ: VXORPS and VORPS on ZMM
}

// simdEngines returns the assembly engines this CPU runs, best first.
func simdEngines() []*engine {
	var es []*engine
	if hasAVX512() {
		es = append(es, avx512Engine)
	}
	if hasAVX2() {
		es = append(es, avx2Engine)
	}
	return es
}

// asmKernelFunc is the signature of the generated micro-kernels
// (asm.GEMMSignature).
type asmKernelFunc func(kc int, a *float32, lda int, b *float32, c *float32, ldc int, rows int, bias *float32, res *float32, sum *float32, flags int)

// asmKernel wraps an assembly micro-kernel with the length checks.
func (e *engine) asmKernel(k asmKernelFunc) microKernel {
	return func(kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int) {
		e.checkTile(kc, a, lda, b, c, ldc, rows, bias, res, sum, flags)
		var pb, pr, ps *float32
		if flags&tileBias != 0 {
			pb = &bias[0]
		}
		if flags&tileResidual != 0 {
			pr = &res[0]
		}
		if flags&tileSum != 0 {
			ps = &sum[0]
		}
		pbk := (*float32)(nil)
		if kc > 0 {
			pbk = &b[0]
		}
		k(kc, &a[0], lda, pbk, &c[0], ldc, rows, pb, pr, ps, flags)
	}
}

// fmaPeak returns the FMA throughput loop of isa, or nil if the CPU lacks it.
func fmaPeak(isa string) func(n int) float32 {
	switch {
	case isa == "avx512" && hasAVX512():
		return fmaPeakAVX512
	case isa == "avx2" && hasAVX2():
		return fmaPeakAVX2
	}
	return nil
}

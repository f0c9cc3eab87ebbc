//go:build amd64 && !purego

package isa

import "golang.org/x/sys/cpu"

// cpuRuns reports whether this CPU has what the kernels of i use. This is
// the only place segen tests CPU features.
//
// AVX-512 kernels use F instructions on 128- and 256-bit registers too (VL),
// VXORPS and VORPS on ZMM registers (DQ: avo treats only VXORPS x, x, x as
// reading nothing, which keeps zeroed accumulators from looking live), BZHI
// in runtime-sized tails (BMI2), and AVX2 + FMA code around them.
func cpuRuns(i ISA) bool {
	x := cpu.X86
	avx2 := x.HasAVX2 && x.HasFMA
	switch i {
	case AVX2:
		return avx2
	case AVX512:
		return avx2 && x.HasAVX512F && x.HasAVX512VL && x.HasAVX512DQ && x.HasBMI2
	}
	return false
}

// Package membw measures how fast one core reads and copies memory, so that
// "segen bench" can say how close a kernel comes to the machine's limit
// rather than only how it compares with another kernel.
//
// The loops (Sum and Copy) are written in assembly with avo because a Go loop
// does not get near the limit: even with eight accumulators a Go sum reads a
// few tens of GB/s where one core's vector loads reach hundreds from L1. They run on
// the instruction set package isa chooses, as the kernels they are compared
// with do; ISA says which. Other architectures and the purego tag get Go loops.
package membw

import (
	"unsafe"

	"github.com/segen/segen/isa"
)

//go:generate go run asm.go

// Sum returns the sum of x. The vector loops keep several partial sums, so the
// result may differ in the last bits from adding left to right.
func Sum(x []float32) float32 {
	n := len(x) - len(x)%vec.sumBlock
	var s float32
	if n > 0 {
		s = vec.sum(x[:n])
	}
	for _, v := range x[n:] {
		s += v
	}
	return s
}

// Copy copies min(len(dst), len(src)) values from src to dst and returns
// that count, like the builtin copy (overlapping slices included).
func Copy(dst, src []float32) int {
	n := min(len(dst), len(src))
	if overlap(dst[:n], src[:n]) {
		return copy(dst, src) // the vector loop only copies forwards
	}
	m := n - n%vec.copyBlock
	if m > 0 {
		vec.copy(dst[:m], src[:m])
	}
	copy(dst[m:n], src[m:n])
	return n
}

// ISA names the loops Sum and Copy run: "avx512", "avx2" or "go".
func ISA() string { return vec.isa.String() }

// loops is one implementation of the inner loops. sum and copy take only
// lengths that are positive multiples of sumBlock and copyBlock.
type loops struct {
	isa       isa.ISA
	sumBlock  int
	copyBlock int
	sum       func(x []float32) float32
	copy      func(dst, src []float32)
}

// vec holds the loops of the instruction set package isa chooses.
var vec = loopsFor(isa.Choose(isas()...))

// available lists the loops this CPU and build run, widest first; the
// portable ones are always last.
func available() []loops {
	var ls []loops
	for _, i := range isa.Supported(isas()...) {
		ls = append(ls, loopsFor(i))
	}
	return ls
}

// isas returns the instruction sets of asmLoops.
func isas() []isa.ISA {
	var s []isa.ISA
	for _, l := range asmLoops {
		s = append(s, l.isa)
	}
	return s
}

// loopsFor returns the loops of instruction set i.
func loopsFor(i isa.ISA) loops {
	for _, l := range asmLoops {
		if l.isa == i {
			return l
		}
	}
	return goLoops
}

// goLoops are the portable loops: eight accumulators so the additions
// pipeline, and the builtin copy (memmove, itself vectorised).
var goLoops = loops{isa: isa.Go, sumBlock: 8, copyBlock: 1, sum: sumGo, copy: func(d, s []float32) { copy(d, s) }}

func sumGo(x []float32) float32 {
	var a0, a1, a2, a3, a4, a5, a6, a7 float32
	for i := 0; i+8 <= len(x); i += 8 {
		a0 += x[i]
		a1 += x[i+1]
		a2 += x[i+2]
		a3 += x[i+3]
		a4 += x[i+4]
		a5 += x[i+5]
		a6 += x[i+6]
		a7 += x[i+7]
	}
	return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
}

// overlap reports whether a and b share memory.
func overlap(a, b []float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	pa, pb := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	return pa < pb+uintptr(len(b))*4 && pb < pa+uintptr(len(a))*4
}

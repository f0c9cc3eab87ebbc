package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The shape of the bandwidth loops: the simplest that saturate one core's
// load and store ports.
const (
	SumVecs  = 8 // vectors Sum loads per iteration, one accumulator each
	CopyVecs = 4 // vectors Copy moves per iteration
)

// Sum emits func(x []float32) float32, the sum of x with SumVecs
// independent accumulators, so the add latency never limits the loads: the
// read bandwidth yardstick of segen bench. len(x) must be a positive
// multiple of SumVecs vectors; the Go wrapper checks.
func (f *File) Sum(name string, isa ISA) {
	block, vecBytes := SumVecs*isa.Lanes, 4*isa.Lanes
	e := f.function(name, "func(x []float32) float32", isa,
		fmt.Sprintf("%s returns the sum of x. len(x) must be a positive multiple of %d.", name, block))
	p, n := e.sliceBase("x"), e.sliceLen("x")
	acc := make([]reg.VecVirtual, SumVecs)
	for j := range acc {
		acc[j] = e.zero()
	}
	loop := e.label()
	e.Label(loop)
	for j, a := range acc {
		e.VADDPS(mem(p, j*vecBytes), a, a)
	}
	e.advance(p, SumVecs*vecBytes)
	e.SUBQ(operand.U32(block), n)
	e.JNZ(operand.LabelRef(loop))

	// A pairwise tree over the accumulators, then across lanes.
	for w := SumVecs / 2; w >= 1; w /= 2 {
		for j := range w {
			e.VADDPS(acc[j+w], acc[j], acc[j])
		}
	}
	e.Store(e.reduce1(false, acc[0]), e.ReturnIndex(0))
	e.ret()
}

// Copy emits func(dst, src []float32), which copies src to dst CopyVecs
// vectors per iteration, loads before stores: the copy bandwidth yardstick
// of segen bench. len(src) must be a positive multiple of CopyVecs vectors
// and len(dst) ≥ len(src); the Go wrapper checks.
func (f *File) Copy(name string, isa ISA) {
	block, vecBytes := CopyVecs*isa.Lanes, 4*isa.Lanes
	e := f.function(name, "func(dst, src []float32)", isa,
		fmt.Sprintf("%s copies src to dst. len(src) must be a positive multiple of %d, len(dst) ≥ len(src).", name, block))
	d, s, n := e.sliceBase("dst"), e.sliceBase("src"), e.sliceLen("src")
	v := e.vecs(CopyVecs)
	loop := e.label()
	e.Label(loop)
	for j := range v {
		e.load(mem(s, j*vecBytes), v[j])
	}
	for j := range v {
		e.store(v[j], mem(d, j*vecBytes))
	}
	e.advance(s, CopyVecs*vecBytes)
	e.advance(d, CopyVecs*vecBytes)
	e.SUBQ(operand.U32(block), n)
	e.JNZ(operand.LabelRef(loop))
	e.ret()
}

package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// reduceLanes folds Lanes vectors into one whose lane j is the sum (or
// NaN-keeping max) of all lanes of vs[j]. It is a transpose that adds as it
// goes: each level pairs vectors, takes the low halves of a pair into one
// register and the high halves into another (at 256-, 128-, 64- and then
// 32-bit granularity), and combines the two, halving the vector count. That
// is about three instructions per input vector, against about eight for
// reducing each vector on its own.
func (e *emitter) reduceLanes(max bool, vs []reg.VecVirtual) reg.VecVirtual {
	if len(vs) != e.isa.Lanes {
		panic(fmt.Sprintf("asm: reduceLanes needs %d vectors, got %d", e.isa.Lanes, len(vs)))
	}
	// The shuffles leave the sums in a lane order fixed by the levels; feed
	// the inputs in the order that makes lane j the sum of vs[j].
	slots := make([]reg.VecVirtual, len(vs))
	for j, slot := range reduceOrder(e.isa) {
		slots[slot] = vs[j]
	}
	for _, lvl := range reduceLevels(e.isa) {
		next := make([]reg.VecVirtual, 0, len(slots)/2)
		for i := 0; i < len(slots); i += 2 {
			a, b := slots[i], slots[i+1]
			lo, hi := e.vec(), e.vec()
			lvl.emit(e, lvl.lo, a, b, lo)
			lvl.emit(e, lvl.hi, a, b, hi)
			e.combine(max, lo, hi)
			next = append(next, lo)
		}
		slots = next
	}
	return slots[0]
}

// reduceLevel is one level of reduceLanes: a two-source shuffle with the
// immediates selecting the low and high parts.
type reduceLevel struct {
	emit   func(e *emitter, imm uint8, a, b, dst reg.VecVirtual)
	lo, hi uint8
	lanes  func(imm uint8, a, b []int) []int // the same shuffle on lane labels
}

func reduceLevels(isa ISA) []reduceLevel {
	shufps := reduceLevel{
		emit:  func(e *emitter, imm uint8, a, b, dst reg.VecVirtual) { e.VSHUFPS(operand.U8(imm), b, a, dst) },
		lanes: shufpsLanes,
	}
	in64, in32 := shufps, shufps
	in64.lo, in64.hi = 0x44, 0xEE // a0 a1 b0 b1 | a2 a3 b2 b3, in each 128-bit lane
	in32.lo, in32.hi = 0x88, 0xDD // a0 a2 b0 b2 | a1 a3 b1 b3
	if isa.Lanes == 8 {
		halves := reduceLevel{
			emit:  func(e *emitter, imm uint8, a, b, dst reg.VecVirtual) { e.VPERM2F128(operand.U8(imm), b, a, dst) },
			lo:    0x20, // a.lo b.lo
			hi:    0x31, // a.hi b.hi
			lanes: perm2f128Lanes,
		}
		return []reduceLevel{halves, in64, in32}
	}
	shuf128 := func(lo, hi uint8) reduceLevel {
		return reduceLevel{
			emit:  func(e *emitter, imm uint8, a, b, dst reg.VecVirtual) { e.VSHUFF32X4(operand.U8(imm), b, a, dst) },
			lo:    lo,
			hi:    hi,
			lanes: shuff32x4Lanes,
		}
	}
	return []reduceLevel{
		shuf128(0x44, 0xEE), // a.q0 a.q1 b.q0 b.q1 | a.q2 a.q3 b.q2 b.q3
		shuf128(0x88, 0xDD), // a.q0 a.q2 b.q0 b.q2 | a.q1 a.q3 b.q1 b.q3
		in64, in32,
	}
}

// reduceOrder runs reduceLevels on lane labels and returns, for each output
// lane j, the input slot whose sum lands there.
func reduceOrder(isa ISA) []int {
	n := isa.Lanes
	slots := make([][]int, n)
	for i := range slots {
		slots[i] = make([]int, n)
		for l := range slots[i] {
			slots[i][l] = i
		}
	}
	for _, lvl := range reduceLevels(isa) {
		var next [][]int
		for i := 0; i < len(slots); i += 2 {
			lo := lvl.lanes(lvl.lo, slots[i], slots[i+1])
			hi := lvl.lanes(lvl.hi, slots[i], slots[i+1])
			for l := range lo {
				if lo[l] != hi[l] {
					panic("asm: reduceLevels combines lanes of different vectors")
				}
			}
			next = append(next, lo)
		}
		slots = next
	}
	return slots[0]
}

// shufpsLanes is VSHUFPS on labels: in each 128-bit lane, two elements of a
// then two of b, chosen by 2-bit fields of imm.
func shufpsLanes(imm uint8, a, b []int) []int {
	out := make([]int, len(a))
	for base := 0; base < len(a); base += 4 {
		for k := range 4 {
			src := a
			if k >= 2 {
				src = b
			}
			out[base+k] = src[base+int(imm>>(2*k)&3)]
		}
	}
	return out
}

// shuff32x4Lanes is VSHUFF32X4 on labels: 128-bit blocks 0 and 1 from a,
// 2 and 3 from b, chosen by 2-bit fields of imm.
func shuff32x4Lanes(imm uint8, a, b []int) []int {
	out := make([]int, 16)
	for k := range 4 {
		src := a
		if k >= 2 {
			src = b
		}
		q := int(imm >> (2 * k) & 3)
		copy(out[4*k:4*k+4], src[4*q:4*q+4])
	}
	return out
}

// perm2f128Lanes is VPERM2F128 on labels: each 128-bit half of the result
// is one of a.lo, a.hi, b.lo, b.hi, chosen by a 4-bit field of imm.
func perm2f128Lanes(imm uint8, a, b []int) []int {
	out := make([]int, 8)
	halves := [][]int{a[:4], a[4:], b[:4], b[4:]}
	copy(out[:4], halves[imm&3])
	copy(out[4:], halves[imm>>4&3])
	return out
}

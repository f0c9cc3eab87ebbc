// Package asm emits the AVX2 and AVX-512 assembly of segen's memory-bound SE
// kernels with avo: squeeze (average, max or stochastic pooling), channel
// scaling, the fused scale + residual add + ReLU, and the excitation's fully
// connected layers. Every kernel is written once against an ISA description; AVX2 and
// AVX-512 differ only in that value.
package asm

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/segen/segen/isa"
)

// ISA describes one SIMD instruction set of package isa as the emitters
// need it; String and Suffix name it and its functions.
type ISA struct {
	isa.ISA
	Lanes  int  // float32 lanes per vector
	Regs   int  // vector registers available
	opmask bool // tails use AVX-512 opmask registers, else VMASKMOVPS masks
}

// The instruction sets segen emits. AVX2 kernels also use FMA.
var (
	AVX2   = ISA{ISA: isa.AVX2, Lanes: 8, Regs: 16}
	AVX512 = ISA{ISA: isa.AVX512, Lanes: 16, Regs: 32, opmask: true}
)

// Bytes returns the width of a vector in bytes.
func (isa ISA) Bytes() int { return 4 * isa.Lanes }

// ISAs lists the instruction sets segen emits, in the order specs name them.
var ISAs = []ISA{AVX2, AVX512}

// ISAByName returns the ISA called name ("avx2" or "avx512").
func ISAByName(name string) (ISA, error) {
	for _, i := range ISAs {
		if i.String() == name {
			return i, nil
		}
	}
	return ISA{}, fmt.Errorf("asm: unknown ISA %q (known: avx2, avx512)", name)
}

// emitter builds one function for one ISA. It wraps the file's build context
// with the vector operations the kernels share, so kernel emitters read like
// the algorithm and never mention register widths or mask styles.
type emitter struct {
	*build.Context
	isa  ISA
	file *File
}

// vec allocates a vector register of the ISA's width.
func (e *emitter) vec() reg.VecVirtual {
	if e.isa.Lanes == 16 {
		return e.ZMM()
	}
	return e.YMM()
}

// vecs allocates n vector registers.
func (e *emitter) vecs(n int) []reg.VecVirtual {
	v := make([]reg.VecVirtual, n)
	for i := range v {
		v[i] = e.vec()
	}
	return v
}

// broadcast returns a vector with every lane set to the float32 f.
func (e *emitter) broadcast(f float32) reg.VecVirtual {
	v := e.vec()
	e.broadcastInto(f, v)
	return v
}

func (e *emitter) broadcastInto(f float32, v reg.VecVirtual) {
	e.VBROADCASTSS(e.file.constant(math.Float32bits(f)), v)
}

// broadcastInt returns a vector with every int32 lane set to i.
func (e *emitter) broadcastInt(i int32) reg.VecVirtual {
	v := e.vec()
	e.VBROADCASTSS(e.file.constant(uint32(i)), v)
	return v
}

// zero returns a zeroed vector register. VXORPS x, x, x is the zeroing idiom
// avo knows reads nothing (VPXORD would make x look live since function
// entry and can exhaust the registers). On ZMM registers VXORPS needs
// AVX512DQ, as VORPS in maxNaN does: the AVX-512 kernels require F, VL and DQ.
func (e *emitter) zero() reg.VecVirtual {
	v := e.vec()
	e.VXORPS(v, v, v)
	return v
}

// tail is a partial vector of n < Lanes leading lanes, prepared once per
// function: an opmask register on AVX-512, a lane mask vector on AVX2.
type tail struct {
	n    int
	k    reg.OpmaskVirtual
	mask reg.VecVirtual
}

// newTail prepares the mask for a partial vector of n lanes, or returns nil
// when n is 0 and no tail is needed.
func (e *emitter) newTail(n int) *tail {
	if n == 0 {
		return nil
	}
	t := &tail{n: n}
	if e.isa.opmask {
		g := e.GP32()
		e.MOVL(operand.U32(1<<n-1), g)
		t.k = e.K()
		e.KMOVW(g, t.k)
	} else {
		t.mask = e.YMM()
		e.VMOVUPS(e.file.laneMask(n), t.mask)
	}
	return t
}

// load copies a full vector from memory into v.
func (e *emitter) load(m operand.Mem, v reg.VecVirtual) { e.VMOVUPS(m, v) }

// store copies v to memory.
func (e *emitter) store(v reg.VecVirtual, m operand.Mem) { e.VMOVUPS(v, m) }

// loadTail loads t.n lanes from m into v and sets the other lanes to fill
// (nil means zero). Lanes past t.n are never read, so a tail at the very end
// of a slice cannot fault. A nil t loads a whole vector.
func (e *emitter) loadTail(m operand.Mem, t *tail, v reg.VecVirtual, fill reg.VecVirtual) {
	switch {
	case t == nil:
		e.load(m, v)
	case e.isa.opmask && fill == nil:
		e.VMOVUPS_Z(m, t.k, v)
	case e.isa.opmask:
		e.VMOVAPS(fill, v)
		e.VMOVUPS(m, t.k, v)
	default:
		e.VMASKMOVPS(m, t.mask, v)
		if fill != nil {
			e.VBLENDVPS(t.mask, v, fill, v)
		}
	}
}

// storeTail stores the first t.n lanes of v to m and nothing else. A nil t
// stores a whole vector. v may be narrower than the ISA's vectors (t.n
// then fits in it).
func (e *emitter) storeTail(v reg.VecVirtual, t *tail, m operand.Mem) {
	switch {
	case t == nil:
		e.store(v, m)
	case e.isa.opmask:
		e.VMOVUPS(v, t.k, m)
	case v.Size() == 16:
		e.VMASKMOVPS(v, t.mask.AsX(), m)
	default:
		e.VMASKMOVPS(v, t.mask, m)
	}
}

// tailAt returns t for vector j of a row of n vectors whose last one may be
// partial, and nil (a whole vector) for the others.
func tailAt(t *tail, j, n int) *tail {
	if j == n-1 {
		return t
	}
	return nil
}

// storeXTail stores the first n lanes of the 4-lane register x to m.
func (e *emitter) storeXTail(x reg.VecVirtual, n int, m operand.Mem) {
	if n == 4 {
		e.VMOVUPS(x, m)
		return
	}
	if e.isa.opmask {
		g := e.GP32()
		e.MOVL(operand.U32(1<<n-1), g)
		k := e.K()
		e.KMOVW(g, k)
		e.VMOVUPS(x, k, m)
	} else {
		mask := e.XMM()
		e.VMOVUPS(e.file.laneMask(n), mask)
		e.VMASKMOVPS(x, mask, m)
	}
}

// maxNaN sets dst to the lane-wise maximum of a and b, NaN if either is NaN.
// VMAXPS returns its second source when either input is NaN, so the maximum
// is taken in both operand orders: where neither lane is NaN both agree, and
// where one is, OR-ing the two keeps a NaN's all-ones exponent and non-zero
// mantissa. dst may be a or b.
func (e *emitter) maxNaN(a, b, dst reg.Register) {
	t1, t2 := e.vecLike(a), e.vecLike(a)
	e.VMAXPS(b, a, t1)
	e.VMAXPS(a, b, t2)
	e.VORPS(t1, t2, dst)
}

// vecLike allocates a register of the same width as v.
func (e *emitter) vecLike(v reg.Register) reg.VecVirtual {
	switch v.Size() {
	case 16:
		return e.XMM()
	case 32:
		return e.YMM()
	}
	return e.ZMM()
}

// relu sets v = max(v, 0) in place, keeping NaN as PyTorch's ReLU does:
// VMAXPS returns its second source (v) when either input is NaN.
func (e *emitter) relu(v, zero reg.VecVirtual) { e.VMAXPS(v, zero, v) }

// combine folds b into a with the pooling operation (sum or NaN-keeping max).
func (e *emitter) combine(max bool, a, b reg.Register) {
	if max {
		e.maxNaN(a, b, a)
	} else {
		e.VADDPS(b, a, a)
	}
}

// fold combines accumulators into acc[0] with the pooling operation, as a
// pairwise tree over any number of them: each round folds the upper half
// onto the lower, the middle one of an odd count waiting for the next round.
func (e *emitter) fold(max bool, acc []reg.VecVirtual) reg.VecVirtual {
	for n := len(acc); n > 1; n = (n + 1) / 2 {
		for j := range n / 2 {
			e.combine(max, acc[j], acc[j+(n+1)/2])
		}
	}
	return acc[0]
}

// toXMM folds a full vector into its low 128 bits with the pooling operation
// and returns the 4-lane register.
func (e *emitter) toXMM(max bool, v reg.VecVirtual) reg.VecVirtual {
	y := v
	if e.isa.Lanes == 16 {
		hi := e.YMM()
		e.VEXTRACTF64X4(operand.U8(1), v, hi)
		e.combine(max, hi, v.AsY())
		y = hi
	}
	hi := e.XMM()
	if e.isa.opmask {
		e.VEXTRACTF32X4(operand.U8(1), y, hi) // EVEX form: y may be Y16–Y31
	} else {
		e.VEXTRACTF128(operand.U8(1), y, hi)
	}
	e.combine(max, hi, y.AsX())
	return hi
}

// reduce4 folds four vectors into one 4-lane register holding the sum (or
// max) of each: lane i reduces vs[i]. It transposes with unpack and move
// instructions that have EVEX forms, so every register is allowed.
func (e *emitter) reduce4(max bool, vs [4]reg.VecVirtual) reg.VecVirtual {
	var u [4]reg.VecVirtual
	for i, v := range vs {
		u[i] = e.toXMM(max, v)
	}
	pair := func(a, b reg.VecVirtual) reg.VecVirtual {
		lo, hi := e.XMM(), e.XMM()
		e.VUNPCKLPS(b, a, lo) // a0 b0 a1 b1
		e.VUNPCKHPS(b, a, hi) // a2 b2 a3 b3
		e.combine(max, lo, hi)
		return lo // a02 b02 a13 b13
	}
	a, b := pair(u[0], u[1]), pair(u[2], u[3])
	lo, hi := e.XMM(), e.XMM()
	e.VMOVLHPS(b, a, lo) // a02 b02 c02 d02
	e.VMOVHLPS(a, b, hi) // a13 b13 c13 d13
	e.combine(max, lo, hi)
	return lo
}

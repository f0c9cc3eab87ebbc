package asm

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/segen/segen/se"
)

// The runtime-sized kernels ("generic-simd") compute what the specialised
// kernels compute, with the same instructions, for sizes known only at run
// time: loops with counts in registers and tails with computed masks. They
// make any shape fast, and measured beside the specialised kernels they show
// what specialisation itself buys. Their Go wrappers check every length
// before calling them.

// runtimeTail prepares the mask of the n%Lanes lanes left after the full
// vectors of n values (n in a register); an empty mask is valid and makes
// the tail's loads and stores touch nothing, so no branch is needed.
func (e *emitter) runtimeTail(n reg.GPVirtual) *tail {
	rem := e.GP64()
	e.MOVQ(n, rem)
	e.ANDQ(operand.U32(e.isa.Lanes-1), rem)
	t := &tail{}
	if e.isa.opmask {
		ones, bits := e.GP32(), e.GP32()
		e.MOVL(operand.U32(math.MaxUint32), ones)
		e.BZHIL(rem.As32(), ones, bits) // the low rem bits
		t.k = e.K()
		e.KMOVW(bits, t.k)
	} else {
		off := e.GP64()
		e.MOVQ(operand.U32(8), off)
		e.SUBQ(rem, off)
		table := e.GP64()
		e.LEAQ(e.file.laneMask(8), table) // RIP-relative symbols take no index
		t.mask = e.YMM()
		e.VMOVUPS(operand.Mem{Base: table, Index: off, Scale: 4}, t.mask)
	}
	return t
}

// vectorsOf returns a fresh register holding n / Lanes.
func (e *emitter) vectorsOf(n reg.GPVirtual) reg.GPVirtual {
	v := e.GP64()
	e.MOVQ(n, v)
	e.SHRQ(operand.U8(log2(e.isa.Lanes)), v)
	return v
}

func log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return k
}

// bytesOf returns a fresh register holding 4n, the size of n float32s.
func (e *emitter) bytesOf(n reg.GPVirtual) reg.GPVirtual {
	b := e.GP64()
	e.MOVQ(n, b)
	e.SHLQ(operand.U8(2), b)
	return b
}

// loop emits body count times, count a register it decrements; it may be 0.
func (e *emitter) loop(count reg.GPVirtual, body func()) {
	top, done := e.label(), e.label()
	e.Label(top)
	e.TESTQ(count, count)
	e.JZ(operand.LabelRef(done))
	body()
	e.DECQ(count)
	e.JMP(operand.LabelRef(top))
	e.Label(done)
}

// reduce1 folds a vector into lane 0 of a 4-lane register.
func (e *emitter) reduce1(max bool, v reg.VecVirtual) reg.VecVirtual {
	x := e.toXMM(max, v)
	t := e.XMM()
	e.VMOVHLPS(x, x, t) // lanes 2 3 2 3
	e.combine(max, x, t)
	e.VMOVSHDUP(x, t) // lane 1 in lane 0
	e.combine(max, x, t)
	return x
}

// floatOf returns a 4-lane register whose lane 0 is the integer n as float32.
func (e *emitter) floatOf(n reg.GPVirtual) reg.VecVirtual {
	x := e.XMM()
	e.VXORPS(x, x, x)
	e.VCVTSI2SSQ(n, x, x)
	return x
}

// sliceBase loads the data pointer of the slice parameter name into a
// fresh register: the runtime-sized kernels (and the bandwidth loops)
// take slices, where the fixed-size ones take array pointers.
func (e *emitter) sliceBase(name string) reg.GPVirtual {
	p := e.GP64()
	e.Load(e.Param(name).Base(), p)
	return p
}

// sliceLen loads the length of the slice parameter name into a fresh
// register.
func (e *emitter) sliceLen(name string) reg.GPVirtual {
	n := e.GP64()
	e.Load(e.Param(name).Len(), n)
	return n
}

// SqueezeAny emits name(z, x []float32, plane int): the squeeze of one
// sample of len(z) channels × plane positions with the pool.
func (f *File) SqueezeAny(name string, isa ISA, layout se.Layout, pool se.Pool) {
	what := map[se.Pool]string{se.Avg: "average", se.Max: "maximum", se.Stochastic: "stochastic pool (Σx²/Σx, or 0 where Σx ≤ 0)"}[pool]
	e := f.function(name, "func(z, x []float32, plane int)", isa,
		fmt.Sprintf("%s sets z[c] to the %s of channel c of x, a %s sample of len(z) channels × plane positions.", name, what, layout))
	max, sto := pool == se.Max, pool == se.Stochastic
	z, x := e.sliceBase("z"), e.sliceBase("x")
	channels, plane := e.sliceLen("z"), e.pointer("plane")
	var fill reg.VecVirtual
	if max {
		fill = e.broadcast(float32(math.Inf(-1)))
	}
	L := e.isa.Lanes
	if layout == se.NCHW {
		t := e.runtimeTail(plane)
		var div reg.VecVirtual
		if pool == se.Avg {
			div = e.floatOf(plane)
		}
		e.loop(channels, func() {
			acc := e.identity(max)
			var sq reg.VecVirtual
			if sto {
				sq = e.zero()
			}
			n := e.vectorsOf(plane)
			e.loop(n, func() {
				if sto {
					e.accumulateSquares(acc, sq, mem(x, 0))
				} else {
					e.accumulate(max, acc, mem(x, 0))
				}
				e.advance(x, 4*L)
			})
			v := e.vec()
			e.loadTail(mem(x, 0), t, v, fill)
			var r reg.VecVirtual
			if sto {
				e.combineSquares(acc, sq, v)
				r = e.reduce1(false, sq)
				e.probabilityWeighted(e.reduce1(false, acc), r)
			} else {
				e.combine(max, acc, v)
				r = e.reduce1(max, acc)
			}
			if pool == se.Avg {
				e.VDIVSS(div, r, r)
			}
			e.VMOVSS(r, mem(z, 0))
			// Step over the tail to the next plane.
			rem := e.GP64()
			e.MOVQ(plane, rem)
			e.ANDQ(operand.U32(L-1), rem)
			e.LEAQ(operand.Mem{Base: x, Index: rem, Scale: 4}, x)
			e.advance(z, 4)
		})
		e.ret()
		return
	}
	// NHWC: one vector of channels at a time, down all rows.
	t := e.runtimeTail(channels)
	rowBytes := e.bytesOf(channels)
	var div reg.VecVirtual
	if pool == se.Avg {
		div = e.vec()
		e.VBROADCASTSS(e.floatOf(plane), div)
	}
	column := func(partial bool) {
		acc := e.identity(max)
		var sq reg.VecVirtual
		if sto {
			sq = e.zero()
		}
		p := e.copyPointer(x)
		rows := e.copyPointer(plane)
		e.loop(rows, func() {
			switch {
			case sto:
				v := e.vec()
				e.loadTail(mem(p, 0), tailIf(partial, t), v, nil)
				e.combineSquares(acc, sq, v)
			case partial:
				v := e.vec()
				e.loadTail(mem(p, 0), t, v, fill)
				e.combine(max, acc, v)
			default:
				e.accumulate(max, acc, mem(p, 0))
			}
			e.ADDQ(rowBytes, p)
		})
		switch pool {
		case se.Avg:
			e.VDIVPS(div, acc, acc)
		case se.Stochastic:
			e.probabilityWeighted(acc, sq)
			acc = sq
		}
		if partial {
			e.storeTail(acc, t, mem(z, 0))
		} else {
			e.store(acc, mem(z, 0))
		}
	}
	n := e.vectorsOf(channels)
	e.loop(n, func() {
		column(false)
		e.advance(x, 4*L)
		e.advance(z, 4*L)
	})
	column(true)
	e.ret()
}

// tailIf returns t for a partial vector and nil (a whole one) otherwise.
func tailIf(partial bool, t *tail) *tail {
	if partial {
		return t
	}
	return nil
}

// ScaleAny emits name(dst, x, s []float32, plane int) or, with addReLU,
// name(dst, x, s, res []float32, plane int): one sample of len(s) channels.
func (f *File) ScaleAny(name string, isa ISA, layout se.Layout, addReLU bool) {
	sig, what := "func(dst, x, s []float32, plane int)", "x×s"
	if addReLU {
		sig, what = "func(dst, x, s, res []float32, plane int)", "max(x×s + res, 0)"
	}
	e := f.function(name, sig, isa,
		fmt.Sprintf("%s sets dst = %s per channel for a %s sample of len(s) channels × plane positions.", name, what, layout))
	o := &scaleOp{emitter: e, k: Scale{Layout: layout, AddReLU: addReLU}}
	o.dst, o.x, o.s = e.sliceBase("dst"), e.sliceBase("x"), e.sliceBase("s")
	if addReLU {
		o.res = e.sliceBase("res")
		o.zero = e.zero()
	}
	channels, plane := e.sliceLen("s"), e.pointer("plane")
	L := e.isa.Lanes
	if layout == se.NCHW {
		t := e.runtimeTail(plane)
		rem := e.GP64()
		e.MOVQ(plane, rem)
		e.ANDQ(operand.U32(L-1), rem)
		e.loop(channels, func() {
			g := e.vec()
			e.VBROADCASTSS(mem(o.s, 0), g)
			n := e.vectorsOf(plane)
			e.loop(n, func() {
				o.vector(0, g)
				o.advanceAll(4 * L)
			})
			o.partial(0, g, t)
			o.advanceBy(rem)
			e.advance(o.s, 4)
		})
		e.ret()
		return
	}
	t := e.runtimeTail(channels)
	rem := e.GP64()
	e.MOVQ(channels, rem)
	e.ANDQ(operand.U32(L-1), rem)
	e.loop(plane, func() {
		sp := e.copyPointer(o.s)
		n := e.vectorsOf(channels)
		e.loop(n, func() {
			g := e.vec()
			e.load(mem(sp, 0), g)
			o.vector(0, g)
			o.advanceAll(4 * L)
			e.advance(sp, 4*L)
		})
		g := e.vec()
		e.loadTail(mem(sp, 0), t, g, nil)
		o.partial(0, g, t)
		o.advanceBy(rem)
	})
	e.ret()
}

// advanceBy moves the x, dst and res cursors by n values (n in a register).
func (o *scaleOp) advanceBy(n reg.GPVirtual) {
	for _, p := range []reg.GPVirtual{o.x, o.dst, o.res} {
		if p != nil {
			o.LEAQ(operand.Mem{Base: p, Index: n, Scale: 4}, p)
		}
	}
}

// FCAny emits name(dst, w, x, b []float32): dst = act(W·x + b) with W
// len(dst)×len(x) row-major; b is empty for a layer without bias.
func (f *File) FCAny(name string, isa ISA, act Activation) {
	e := f.function(name, "func(dst, w, x, b []float32)", isa,
		fmt.Sprintf("%s sets dst = %s(W·x + b) for a len(dst)×len(x) row-major W; b may be empty.", name, act))
	dst, w, x := e.sliceBase("dst"), e.sliceBase("w"), e.sliceBase("x")
	rows, k := e.sliceLen("dst"), e.sliceLen("x")
	L := e.isa.Lanes
	t := e.runtimeTail(k)
	rowBytes := e.bytesOf(k)
	d := e.copyPointer(dst)
	r := e.copyPointer(rows)
	e.Comment("dst = W·x, one row at a time, four accumulators in flight.")
	const unroll = 4
	e.loop(r, func() {
		acc := make([]reg.VecVirtual, unroll)
		for i := range acc {
			acc[i] = e.zero()
		}
		pw, px := e.copyPointer(w), e.copyPointer(x)
		step := func(a reg.VecVirtual, off int) {
			xv := e.vec()
			e.load(mem(px, off), xv)
			e.VFMADD231PS(mem(pw, off), xv, a)
		}
		n := e.vectorsOf(k)
		steps := e.copyPointer(n)
		e.SHRQ(operand.U8(2), steps)
		e.loop(steps, func() {
			for i, a := range acc {
				step(a, i*4*L)
			}
			e.advance(pw, unroll*4*L)
			e.advance(px, unroll*4*L)
		})
		e.ANDQ(operand.U32(unroll-1), n)
		e.loop(n, func() {
			step(acc[0], 0)
			e.advance(pw, 4*L)
			e.advance(px, 4*L)
		})
		xv, wv := e.vec(), e.vec()
		e.loadTail(mem(px, 0), t, xv, nil)
		e.loadTail(mem(pw, 0), t, wv, nil)
		e.VFMADD231PS(wv, xv, acc[1])
		e.VADDPS(acc[1], acc[0], acc[0])
		e.VADDPS(acc[3], acc[2], acc[2])
		e.VADDPS(acc[2], acc[0], acc[0])
		e.VMOVSS(e.reduce1(false, acc[0]), mem(d, 0))
		e.ADDQ(rowBytes, w)
		e.advance(d, 4)
	})
	e.Commentf("dst = %s(dst + b)", act)
	b, blen := e.sliceBase("b"), e.sliceLen("b")
	nobias, next := e.label(), e.label()
	e.TESTQ(blen, blen)
	e.JZ(operand.LabelRef(nobias))
	e.activateAny(dst, b, rows, act)
	e.JMP(operand.LabelRef(next))
	e.Label(nobias)
	e.activateAny(dst, nil, rows, act)
	e.Label(next)
	e.ret()
}

// activateAny applies act(v + b) to the n values at dst, n in a register.
func (e *emitter) activateAny(dst, b, n reg.GPVirtual, act Activation) {
	L := e.isa.Lanes
	t := e.runtimeTail(n)
	p := e.copyPointer(dst)
	var pb reg.GPVirtual
	if b != nil {
		pb = e.copyPointer(b)
	}
	var zero reg.VecVirtual
	if act == ReLU {
		zero = e.zero()
	}
	apply := func(v reg.VecVirtual, bias func(bv reg.VecVirtual)) {
		if pb != nil {
			bv := e.vec()
			bias(bv)
			e.VADDPS(bv, v, v)
		}
		if act == ReLU {
			e.relu(v, zero)
		} else {
			e.sigmoid(v)
		}
	}
	count := e.vectorsOf(n)
	e.loop(count, func() {
		v := e.vec()
		e.load(mem(p, 0), v)
		apply(v, func(bv reg.VecVirtual) { e.load(mem(pb, 0), bv) })
		e.store(v, mem(p, 0))
		e.advance(p, 4*L)
		if pb != nil {
			e.advance(pb, 4*L)
		}
	})
	v := e.vec()
	e.loadTail(mem(p, 0), t, v, nil)
	apply(v, func(bv reg.VecVirtual) { e.loadTail(mem(pb, 0), t, bv, nil) })
	e.storeTail(v, t, mem(p, 0))
}

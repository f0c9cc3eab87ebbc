package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Activation is the function applied to a fully connected layer's output.
type Activation uint8

const (
	ReLU Activation = iota
	Sigmoid
)

func (a Activation) String() string {
	if a == ReLU {
		return "ReLU"
	}
	return "Sigmoid"
}

// FC describes a fully connected layer of fixed size on one sample:
// dst = act(W·x + b), W Rows×K row-major as PyTorch stores it.
type FC struct {
	Rows, K int
	Bias    bool
	Act     Activation
}

// FC emits name with k's signature. The layer is a matrix-vector product:
// it streams W once, so it is bound by memory bandwidth like the other
// kernels. Short rows are taken four at a time so each load of x feeds four
// FMAs and one transpose reduces four rows; long rows one at a time, a
// single sequential stream (at 64×1024, 2.0 → 1.4 µs). Either way eight FMAs
// are in flight.
func (f *File) FC(name string, isa ISA, k FC) {
	bias := ""
	if k.Bias {
		bias = " + b"
	}
	e := f.function(name, signature(k.Params()), isa,
		fmt.Sprintf("%s sets dst = %s(W·x%s) for a %d×%d row-major W.", name, k.Act, bias, k.Rows, k.K))
	if isa.opmask && k.K < isa.Lanes && k.K%AVX2.Lanes == 0 {
		// Rows of eight values are whole YMM vectors. As ZMM vectors they
		// need masked loads, which took 87 or 244 ns for the excitation of
		// 64 channels from one run to the next, with where the weights lay.
		e.isa = AVX2
	}
	dst, w, x := e.pointer("dst"), e.pointer("w"), e.pointer("x")
	e.gemv(dst, w, x, k)
	e.Commentf("dst = %s(dst%s)", k.Act, bias)
	var b reg.GPVirtual
	if k.Bias {
		b = e.pointer("b")
	}
	e.activate(dst, b, k.Rows, k.Act)
	e.ret()
}

// The row grouping of gemv: rows of up to fcUnrollMax vectors are written
// out straight and taken fcGroup at a time, longer ones loop one at a time;
// either way about fcAccs accumulators are in flight.
const (
	fcUnrollMax = 16
	fcGroup     = 4
	fcAccs      = 8
)

// gemv sets dst[i] = W[i]·x.
func (e *emitter) gemv(dst, w, x reg.GPVirtual, k FC) {
	L := e.isa.Lanes
	chunks, t := k.K/L, e.newTail(k.K%L)
	rowBytes := 4 * k.K
	group := fcGroup
	if chunks > fcUnrollMax {
		group = 1
	}

	// rows computes r rows with sets accumulators per row.
	rows := func(r int) {
		sets := max(1, min(chunks, fcAccs/r))
		acc := make([][]reg.VecVirtual, r)
		for i := range acc {
			acc[i] = make([]reg.VecVirtual, sets)
			for s := range acc[i] {
				acc[i][s] = e.zero()
			}
		}
		step := func(pw, px reg.GPVirtual, chunk, set int) {
			xv := e.vec()
			e.load(mem(px, chunk*4*L), xv)
			for i := range r {
				e.VFMADD231PS(mem(pw, i*rowBytes+chunk*4*L), xv, acc[i][set])
			}
		}
		pw, px, done := w, x, 0
		if chunks > fcUnrollMax {
			pw, px = e.copyPointer(w), e.copyPointer(x)
			e.repeat(chunks/sets, func() {
				for j := range sets {
					step(pw, px, j, j)
				}
				e.advance(pw, sets*4*L)
				e.advance(px, sets*4*L)
			})
			done = chunks / sets * sets
		}
		for j := range chunks - done {
			step(pw, px, j, j%sets)
		}
		if t != nil {
			off := (chunks - done) * 4 * L
			xv := e.vec()
			e.loadTail(mem(px, off), t, xv, nil)
			for i := range r {
				wv := e.vec()
				e.loadTail(mem(pw, i*rowBytes+off), t, wv, nil)
				e.VFMADD231PS(wv, xv, acc[i][0])
			}
		}
		for _, a := range acc {
			e.fold(false, a)
		}
		if r == 1 {
			e.VMOVSS(e.reduce1(false, acc[0][0]), mem(dst, 0))
			return
		}
		var vs [4]reg.VecVirtual
		for i := range vs {
			vs[i] = acc[min(i, r-1)][0]
		}
		e.storeXTail(e.reduce4(false, vs), r, mem(dst, 0))
	}

	done := 0 // rows whose results are stored
	if k.K <= L && k.Rows >= L {
		e.Commentf("dst = W·x for %d rows of %d, %d at a time: one vector per row, one transpose per %d rows.", k.Rows, k.K, L, L)
		xv := e.vec()
		e.loadTail(mem(x, 0), t, xv, nil)
		e.repeat(k.Rows/L, func() {
			acc := e.vecs(L)
			for i, a := range acc {
				e.loadTail(mem(w, i*rowBytes), t, a, nil)
				e.VMULPS(xv, a, a)
			}
			e.store(e.reduceLanes(false, acc), mem(dst, 0))
			e.advance(w, L*rowBytes)
			e.advance(dst, 4*L)
		})
		done = k.Rows / L * L
	}
	left := k.Rows - done
	e.Commentf("dst = W·x for %d rows of %d, %d row(s) at a time.", left, k.K, group)
	e.repeat(left/group, func() {
		rows(group)
		e.advance(w, group*rowBytes)
		e.advance(dst, 4*group)
	})
	if r := left % group; r > 0 {
		e.Commentf("The last %d rows.", r)
		rows(r)
	}
	if walked := 4 * (done + left/group*group); walked > 0 {
		e.SUBQ(operand.U32(walked), dst) // rewind for the activation pass
	}
}

// activate applies act(v + b) to the n values at dst in place; b may be nil.
func (e *emitter) activate(dst, b reg.GPVirtual, n int, act Activation) {
	L := e.isa.Lanes
	t := e.newTail(n % L)
	var zero reg.VecVirtual
	if act == ReLU {
		zero = e.zero()
	}
	one := func(v reg.VecVirtual, load func(m operand.Mem, v reg.VecVirtual), off int) {
		load(mem(dst, off), v)
		if b != nil {
			bv := e.vec()
			load(mem(b, off), bv)
			e.VADDPS(bv, v, v)
		}
		if act == ReLU {
			e.relu(v, zero)
		} else {
			e.sigmoid(v)
		}
	}
	e.repeat(n/L, func() {
		v := e.vec()
		one(v, e.load, 0)
		e.store(v, mem(dst, 0))
		e.advance(dst, 4*L)
		if b != nil {
			e.advance(b, 4*L)
		}
	})
	if t != nil {
		v := e.vec()
		one(v, func(m operand.Mem, v reg.VecVirtual) { e.loadTail(m, t, v, nil) }, 0)
		e.storeTail(v, t, mem(dst, 0))
	}
}

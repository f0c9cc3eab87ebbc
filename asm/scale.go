package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/reg"

	"github.com/segen/segen/se"
)

// Scale describes the scaling of one sample of a fixed shape: dst = x × s
// per channel, or with AddReLU the SE-ResNet tail dst = max(x×s + res, 0).
type Scale struct {
	Layout   se.Layout
	C, Plane int
	AddReLU  bool
}

// Scale emits name with k's signature. dst may be x, or res with AddReLU:
// every vector is read before it is written.
func (f *File) Scale(name string, isa ISA, k Scale) {
	what := "x[c] × s[c]"
	if k.AddReLU {
		what = "max(x[c]×s[c] + res[c], 0)"
	}
	e := f.function(name, signature(k.Params()), isa,
		fmt.Sprintf("%s sets dst[c] = %s for each channel c of a %s sample of %d channels × %d positions.",
			name, what, k.Layout, k.C, k.Plane))
	op := &scaleOp{emitter: e, k: k}
	op.dst, op.x, op.s = e.pointer("dst"), e.pointer("x"), e.pointer("s")
	if k.AddReLU {
		op.res = e.pointer("res")
		op.zero = e.zero()
	}
	if k.Layout == se.NCHW {
		op.nchw()
	} else {
		op.nhwc()
	}
	e.ret()
}

// scaleOp holds the registers of one scale kernel.
type scaleOp struct {
	*emitter
	k              Scale
	dst, x, s, res reg.GPVirtual // cursors: they advance as the kernel walks
	zero           reg.VecVirtual
}

// vector scales one vector at byte offset off of x, dst and res by g.
func (o *scaleOp) vector(off int, g reg.VecVirtual) {
	v := o.vec()
	o.load(mem(o.x, off), v)
	if o.k.AddReLU {
		o.VFMADD213PS(mem(o.res, off), g, v) // v = g×v + res
		o.relu(v, o.zero)
	} else {
		o.VMULPS(g, v, v)
	}
	o.store(v, mem(o.dst, off))
}

// partial scales the t.n lanes at byte offset off.
func (o *scaleOp) partial(off int, g reg.VecVirtual, t *tail) {
	v := o.vec()
	o.loadTail(mem(o.x, off), t, v, nil)
	if o.k.AddReLU {
		r := o.vec()
		o.loadTail(mem(o.res, off), t, r, nil)
		o.VFMADD213PS(r, g, v)
		o.relu(v, o.zero)
	} else {
		o.VMULPS(g, v, v)
	}
	o.storeTail(v, t, mem(o.dst, off))
}

// advanceAll moves the x, dst and res cursors by bytes.
func (o *scaleOp) advanceAll(bytes int) {
	o.advance(o.x, bytes)
	o.advance(o.dst, bytes)
	if o.k.AddReLU {
		o.advance(o.res, bytes)
	}
}

// scaleUnroll is the vectors per loop step of an NCHW plane; planes of up
// to twice as many are written out straight.
const scaleUnroll = 8

// nchw broadcasts each channel's scale across its contiguous plane.
func (o *scaleOp) nchw() {
	L := o.isa.Lanes
	full, t := o.k.Plane/L, o.newTail(o.k.Plane%L)
	const unroll = scaleUnroll
	o.Commentf("Scale %d channels of %d positions.", o.k.C, o.k.Plane)
	o.repeat(o.k.C, func() {
		g := o.vec()
		o.VBROADCASTSS(mem(o.s, 0), g)
		done := 0
		if full > 2*unroll {
			o.repeat(full/unroll, func() {
				for j := range unroll {
					o.vector(j*4*L, g)
				}
				o.advanceAll(unroll * 4 * L)
			})
			done = full / unroll * unroll
		}
		for j := range full - done {
			o.vector(j*4*L, g)
		}
		if t != nil {
			o.partial((full-done)*4*L, g, t)
		}
		o.advanceAll(4 * (o.k.Plane - done*L))
		o.advance(o.s, 4)
	})
}

// nhwc multiplies each row of C values by the same scale vector. Scales
// held in registers let narrow rows be processed several per step; wider
// rows loop over chunks of the row, reading the scales beside the data.
func (o *scaleOp) nhwc() {
	L := o.isa.Lanes
	vectors, t := (o.k.C+L-1)/L, o.newTail(o.k.C%L)
	if vectors > o.isa.scaleRegsMax() {
		o.nhwcWide()
		return
	}
	scales := make([]reg.VecVirtual, vectors)
	for j := range scales {
		scales[j] = o.vec()
		o.loadTail(mem(o.s, j*4*L), tailAt(t, j, vectors), scales[j], nil)
	}
	row := func(r int) {
		for j, g := range scales {
			off := 4 * (r*o.k.C + j*L)
			if tj := tailAt(t, j, vectors); tj != nil {
				o.partial(off, g, tj)
			} else {
				o.vector(off, g)
			}
		}
	}
	rows := rowsPerStep(vectors)
	o.Commentf("Scale %d rows of %d channels, %d row(s) per step.", o.k.Plane, o.k.C, rows)
	o.repeat(o.k.Plane/rows, func() {
		for r := range rows {
			row(r)
		}
		o.advanceAll(4 * rows * o.k.C)
	})
	for r := range o.k.Plane % rows {
		row(r)
	}
}

// scaleRegsMax returns the widest NHWC row, in vectors, whose scales nhwc
// holds in registers, keeping eight for the data.
func (isa ISA) scaleRegsMax() int { return isa.Regs - 8 }

// rowChunk is the vectors per step of nhwcWide. Writing a whole wide row
// out straight (32 vectors at 512 channels) measured 15–20 % slower than a
// loop of 4 to 16 vectors a step: the longer body did not stream as well.
const rowChunk = 8

// nhwcWide scales rows too wide for their scales to stay in registers.
func (o *scaleOp) nhwcWide() {
	L := o.isa.Lanes
	full, t := o.k.C/L, o.newTail(o.k.C%L)
	chunks := full / rowChunk
	o.Commentf("Scale %d rows of %d channels, %d vectors per step.", o.k.Plane, o.k.C, rowChunk)
	o.repeat(o.k.Plane, func() {
		s := o.copyPointer(o.s)
		// scaleAt scales the j-th vector from the cursors by the scales beside it.
		scaleAt := func(j int, t *tail) {
			g := o.vec()
			o.loadTail(mem(s, j*4*L), t, g, nil)
			if t != nil {
				o.partial(j*4*L, g, t)
			} else {
				o.vector(j*4*L, g)
			}
		}
		o.repeat(chunks, func() {
			for j := range rowChunk {
				scaleAt(j, nil)
			}
			o.advanceAll(rowChunk * 4 * L)
			o.advance(s, rowChunk*4*L)
		})
		rest := full % rowChunk
		for j := range rest {
			scaleAt(j, nil)
		}
		if t != nil {
			scaleAt(rest, t)
		}
		o.advanceAll(4 * (o.k.C - chunks*rowChunk*L))
	})
}

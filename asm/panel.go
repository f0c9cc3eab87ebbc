package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
)

// ScalePanelSignature is the Go signature of the panel scaling kernel.
const ScalePanelSignature = "func(dst, src, gate *float32, rows int)"

// ScalePanel emits a kernel of ScalePanelSignature that sets rows rows of
// vecs vectors at dst to those at src times gate (one row of vecs vectors,
// loaded once): dst[r·cols + j] = src[r·cols + j] · gate[j], cols =
// vecs·Lanes. It scales the columns of a packed GEMM weight panel (kc rows
// of cols output channels), as an SE gate folded into a convolution scales
// its output channels' weights. The caller guarantees rows ≥ 0 and that
// dst and src hold rows·cols values and gate cols.
func (f *File) ScalePanel(name string, isa ISA, vecs int) {
	cols := vecs * isa.Lanes
	e := f.function(name, ScalePanelSignature, isa,
		fmt.Sprintf("%s sets rows rows of %d floats at dst to those at src times gate's %d values, column by column.", name, cols, cols))
	dst, src, g, rows := e.pointer("dst"), e.pointer("src"), e.pointer("gate"), e.pointer("rows")
	gate := e.vecs(vecs)
	for v, r := range gate {
		e.load(mem(g, v*isa.Bytes()), r)
	}
	x := e.vecs(vecs)
	top, done := e.label(), e.label()
	e.TESTQ(rows, rows)
	e.JZ(operand.LabelRef(done))
	e.Label(top)
	for v := range vecs {
		e.VMULPS(mem(src, v*isa.Bytes()), gate[v], x[v])
	}
	for v := range vecs {
		e.store(x[v], mem(dst, v*isa.Bytes()))
	}
	e.advance(src, 4*cols)
	e.advance(dst, 4*cols)
	e.DECQ(rows)
	e.JNZ(operand.LabelRef(top))
	e.Label(done)
	e.ret()
}

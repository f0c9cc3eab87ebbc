package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
)

// MaxPoolSignature is the Go signature of the max-pooling window kernel.
// Strides are in float32 elements.
const MaxPoolSignature = "func(dst, src *float32, chunks, pix, row, kh, kw int)"

// MaxPool emits a kernel that sets chunks vectors of dst to the maximum over
// a kh×kw window of src, window element (y, x) at src + y·row + x·pix floats,
// NaN winning as in PyTorch (maxNaN). The window starts at its first element
// (no -Inf needed), and each vector of channels runs the whole window before
// the next, so the loads of one window are independent. The caller
// guarantees kh, kw ≥ 1 and chunks ≥ 1, and that every element read lies in
// the slices behind dst and src.
func (f *File) MaxPool(name string, isa ISA) {
	e := f.function(name, MaxPoolSignature, isa,
		fmt.Sprintf("%s sets chunks vectors of %d floats at dst to the NaN-keeping maximum over a kh×kw window of src (element (y, x) at src + y·row + x·pix floats). kh, kw ≥ 1.", name, isa.Lanes))
	dst, src, chunks := e.pointer("dst"), e.pointer("src"), e.pointer("chunks")
	pix, row := e.pointer("pix"), e.pointer("row")
	e.SHLQ(operand.U8(2), pix)
	e.SHLQ(operand.U8(2), row)
	kh, kw := e.pointer("kh"), e.pointer("kw")

	chunk := e.label()
	e.Label(chunk)
	v := e.vec()
	e.load(mem(src, 0), v)
	ry, y := e.copyPointer(src), e.copyPointer(kh)
	rowLoop := e.label()
	e.Label(rowLoop)
	px, x := e.copyPointer(ry), e.copyPointer(kw)
	colLoop := e.label()
	e.Label(colLoop)
	s := e.vec()
	e.load(mem(px, 0), s)
	e.maxNaN(v, s, v)
	e.ADDQ(pix, px)
	e.DECQ(x)
	e.JNZ(operand.LabelRef(colLoop))
	e.ADDQ(row, ry)
	e.DECQ(y)
	e.JNZ(operand.LabelRef(rowLoop))
	e.store(v, mem(dst, 0))
	vecBytes := 4 * isa.Lanes
	e.advance(src, vecBytes)
	e.advance(dst, vecBytes)
	e.DECQ(chunks)
	e.JNZ(operand.LabelRef(chunk))
	e.ret()
}

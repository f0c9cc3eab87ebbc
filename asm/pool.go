package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The Go signatures of the window pooling kernels. Strides (pix, row) are in
// float32 elements; div is the average's divisor.
const (
	MaxPoolSignature = "func(dst, src *float32, chunks, pix, row, kh, kw int)"
	AvgPoolSignature = "func(dst, src *float32, chunks, pix, row, kh, kw int, div float32)"
)

// MaxPool emits a kernel of MaxPoolSignature that sets chunks vectors of dst
// to the maximum over a kh×kw window of src, window element (y, x) at src +
// y·row + x·pix floats, NaN winning as in PyTorch (maxNaN): one output pixel
// of an NHWC max pooling, Lanes channels per vector. The window starts at
// its first element (no −Inf needed). The caller guarantees kh, kw ≥ 1 and
// chunks ≥ 1, and that every element read lies in the slices behind dst
// and src.
func (f *File) MaxPool(name string, isa ISA) {
	e := f.function(name, MaxPoolSignature, isa,
		fmt.Sprintf("%s sets chunks vectors of %d floats at dst to the NaN-keeping maximum over a kh×kw window of src (element (y, x) at src + y·row + x·pix floats). kh, kw ≥ 1.", name, isa.Lanes))
	e.windowPool(true)
}

// AvgPool emits a kernel of AvgPoolSignature that sets chunks vectors of dst
// to the sum over a kh×kw window of src, laid out as MaxPool's, divided by
// div: one output pixel of an NHWC average pooling, whose divisor the caller
// chooses (the padded window's size, or the part inside the image). The sum
// starts from zero and runs row by row, left to right, and is divided once
// (VDIVPS, not a multiplication by 1/div): the order and rounding of
// PyTorch's and Caffe's loops, and of the Go fallback. The caller
// guarantees what MaxPool's does.
func (f *File) AvgPool(name string, isa ISA) {
	e := f.function(name, AvgPoolSignature, isa,
		fmt.Sprintf("%s sets chunks vectors of %d floats at dst to the sum over a kh×kw window of src (element (y, x) at src + y·row + x·pix floats) divided by div. kh, kw ≥ 1.", name, isa.Lanes))
	e.windowPool(false)
}

// windowPool emits the body of MaxPool (max) or AvgPool. Each vector of
// channels runs the whole window before the next, so the loads of one
// window are independent of one another.
func (e *emitter) windowPool(max bool) {
	dst, src, chunks := e.pointer("dst"), e.pointer("src"), e.pointer("chunks")
	pix, row := e.pointer("pix"), e.pointer("row")
	e.SHLQ(operand.U8(2), pix)
	e.SHLQ(operand.U8(2), row)
	kh, kw := e.pointer("kh"), e.pointer("kw")
	var div reg.VecVirtual
	if !max {
		b, err := e.Param("div").Resolve()
		if err != nil {
			panic(err)
		}
		div = e.vec()
		e.VBROADCASTSS(b.Addr, div)
	}

	chunk := e.label()
	e.Label(chunk)
	var v reg.VecVirtual
	if max {
		v = e.vec()
		e.load(mem(src, 0), v)
	} else {
		v = e.zero()
	}
	ry, y := e.copyPointer(src), e.copyPointer(kh)
	rowLoop := e.label()
	e.Label(rowLoop)
	px, x := e.copyPointer(ry), e.copyPointer(kw)
	colLoop := e.label()
	e.Label(colLoop)
	s := e.vec()
	e.load(mem(px, 0), s)
	if max {
		e.maxNaN(v, s, v)
	} else {
		e.VADDPS(s, v, v)
	}
	e.ADDQ(pix, px)
	e.DECQ(x)
	e.JNZ(operand.LabelRef(colLoop))
	e.ADDQ(row, ry)
	e.DECQ(y)
	e.JNZ(operand.LabelRef(rowLoop))
	if !max {
		e.VDIVPS(div, v, v)
	}
	e.store(v, mem(dst, 0))
	vecBytes := e.isa.Bytes()
	e.advance(src, vecBytes)
	e.advance(dst, vecBytes)
	e.DECQ(chunks)
	e.JNZ(operand.LabelRef(chunk))
	e.ret()
}

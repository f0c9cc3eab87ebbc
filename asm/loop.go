package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// repeat emits body trips times: straight-line for one trip, otherwise as a
// counted loop. Trip counts are constants of the shape, so the loop has a
// single exit test and no size branches.
func (e *emitter) repeat(trips int, body func()) {
	switch {
	case trips <= 0:
		return
	case trips == 1:
		body()
		return
	}
	n := e.GP64()
	e.MOVQ(operand.U64(trips), n)
	label := e.label()
	e.Label(label)
	body()
	e.DECQ(n)
	e.JNZ(operand.LabelRef(label))
}

// label returns a label name unique within the file.
func (e *emitter) label() string {
	e.file.labels++
	return fmt.Sprintf("loop%d", e.file.labels)
}

// mem addresses base + disp bytes.
func mem(base reg.Register, disp int) operand.Mem {
	return operand.Mem{Base: base, Disp: disp}
}

// advance adds bytes to the pointer p.
func (e *emitter) advance(p reg.GPVirtual, bytes int) {
	if bytes != 0 {
		e.ADDQ(operand.U32(bytes), p)
	}
}

// pointer loads the parameter name (an array pointer or a number) into a
// fresh register.
func (e *emitter) pointer(name string) reg.GPVirtual {
	p := e.GP64()
	e.Load(e.Param(name), p)
	return p
}

// copyPointer returns a fresh register holding p, for a cursor that walks
// while p stays put.
func (e *emitter) copyPointer(p reg.GPVirtual) reg.GPVirtual {
	c := e.GP64()
	e.MOVQ(p, c)
	return c
}

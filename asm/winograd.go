package asm

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/segen/segen/internal/winograd"
)

// The transforms of a Winograd convolution F(m×m, 3×3) (see package
// internal/winograd), over NHWC data: every value of a tile is a vector of
// channels, so one tile's transform is the same few additions on Lanes
// channels at a time, looped over the channel vectors. The t² = (m+2)²
// transformed values of a tile go to t² slots stride floats apart (slot s at
// s·stride), the layout in which each slot is one row of one of the t²
// matrix products. Both transforms run in two passes, columns then rows,
// through the slots themselves: no stack frame and no scratch buffer.

// WinogradInputSignature is the Go signature of an input transform: v is
// slot 0 of the tile's first channel vector, d the top-left input value,
// row and pix the float distances between input rows and pixels.
const WinogradInputSignature = "func(v *float32, stride int, d *float32, row, pix, chunks int)"

// WinogradOutputSignature is the Go signature of an output transform: m is
// slot 0 of the tile's first channel vector, y its top-left output value,
// row and pix the float distances between output rows and pixels; only
// the first rows × cols outputs are written. flags are the GEMM's
// write-back flags GEMMResidual (res laid out like y), GEMMReLU and
// GEMMSum (sum[c] += the written outputs of channel c); bias is always added.
const WinogradOutputSignature = "func(y *float32, row, pix int, m *float32, stride, chunks int, bias, res, sum *float32, rows, cols, flags int)"

// WinogradInput emits the input transform V = Bᵀ d B of f for one t×t tile
// and chunks vectors of channels.
func (f *File) WinogradInput(name string, isa ISA, w *winograd.Transform) {
	t := w.T()
	e := f.function(name, WinogradInputSignature, isa,
		fmt.Sprintf("%s sets the %d slots of one tile to Bᵀ d B of F(%d×%d, 3×3) for chunks vectors of %d channels.", name, t*t, w.M, w.M, isa.Lanes))
	chunk := e.label()
	e.Label(chunk)

	e.Comment("Columns: slot i·t + x = Σ_j Bᵀ[i][j] d[j][x].")
	{
		consts := e.constantsOf(w.BT)
		rows := e.rowAddressing("d", "row", t)
		pix := e.bytesParam("pix")
		slots := e.rowsFrom(e.pointer("v"), e.timesBytes("stride", t), t)
		step := e.timesBytes("stride", 1)
		for x := range t {
			in := e.vecs(t)
			for j, v := range in {
				e.load(rows.at(j, 0), v)
			}
			for i := range t {
				e.store(e.linear(w.BT[i], in, consts), slots.at(i, 0))
			}
			if x < t-1 {
				e.ADDQ(pix, rows.bases[0])
				e.ADDQ(step, slots.bases[0])
			}
		}
	}
	e.Comment("Rows: slot i·t + k = Σ_x (slot i·t + x)·Bᵀ[k][x].")
	e.transformSlotRows("v", w.BT, t)
	e.nextChunk(chunk, "v", "d")
	e.ret()
}

// WinogradOutput emits the output transform Y = Aᵀ m A of f for one tile
// and chunks vectors of channels, with bias and the flagged write-back.
func (f *File) WinogradOutput(name string, isa ISA, w *winograd.Transform) {
	t := w.T()
	e := f.function(name, WinogradOutputSignature, isa,
		fmt.Sprintf("%s writes Aᵀ m A + bias of F(%d×%d, 3×3) for one tile and chunks vectors of %d channels, with the flagged residual, ReLU and sums.", name, w.M, w.M, isa.Lanes))
	flags, _ := e.Param("flags").Resolve()
	cols, _ := e.Param("cols").Resolve()
	rowsP, _ := e.Param("rows").Resolve()
	chunk := e.label()
	e.Label(chunk)

	e.Comment("Rows: slot i·t + q = Σ_k (slot i·t + k)·Aᵀ[q][k], q < m.")
	e.transformSlotRows("m", w.AT, t)
	e.Comment("Columns: y[p][q] = Σ_i Aᵀ[p][i]·(slot i·t + q) + bias, then the write-back.")
	{
		consts := e.constantsOf(w.AT)
		bias := e.vec()
		e.load(mem(e.pointer("bias"), 0), bias)
		zero, sum := e.zero(), e.zero()
		slots := e.rowsFrom(e.pointer("m"), e.timesBytes("stride", t), t)
		step := e.timesBytes("stride", 1)
		out := e.rowAddressing("y", "row", w.M)
		res := e.rowsFrom(e.pointer("res"), out.stride, w.M)
		pix := e.bytesParam("pix")
		done := e.label()
		for q := range w.M {
			e.CMPQ(cols.Addr, operand.U32(q))
			e.JLE(operand.LabelRef(done))
			in := e.vecs(t)
			for i, v := range in {
				e.load(slots.at(i, 0), v)
			}
			next := e.label()
			for p := range w.M {
				e.CMPQ(rowsP.Addr, operand.U32(p))
				e.JLE(operand.LabelRef(next))
				y := e.linear(w.AT[p], in, consts)
				e.VADDPS(bias, y, y)
				e.whenFlagAt(flags.Addr, GEMMResidual, func() { e.VADDPS(res.at(p, 0), y, y) })
				e.whenFlagAt(flags.Addr, GEMMReLU, func() { e.relu(y, zero) })
				e.store(y, out.at(p, 0))
				e.VADDPS(y, sum, sum)
			}
			e.Label(next)
			if q < w.M-1 {
				e.ADDQ(step, slots.bases[0])
				e.ADDQ(pix, out.bases[0])
				e.ADDQ(pix, res.bases[0])
			}
		}
		e.Label(done)
		e.whenFlagAt(flags.Addr, GEMMSum, func() {
			s := e.pointer("sum")
			e.VADDPS(mem(s, 0), sum, sum)
			e.store(sum, mem(s, 0))
		})
	}
	e.nextChunk(chunk, "y", "m", "bias", "res", "sum")
	e.ret()
}

// nextChunk moves the pointer parameters ptrs on by one vector and jumps to
// chunk while the parameter chunks, counted down, stays above zero. The
// cursors live in the parameters' slots, leaving the registers to the
// transforms.
func (e *emitter) nextChunk(chunk string, ptrs ...string) {
	n, _ := e.Param("chunks").Resolve()
	for _, p := range ptrs {
		a, _ := e.Param(p).Resolve()
		e.ADDQ(operand.U32(4*e.isa.Lanes), a.Addr)
	}
	e.DECQ(n.Addr)
	e.JNZ(operand.LabelRef(chunk))
}

// whenFlagAt emits body guarded by a test of flag in the flags at m.
func (e *emitter) whenFlagAt(m operand.Mem, flag int, body func()) {
	skip := e.label()
	e.TESTQ(operand.U32(flag), m)
	e.JZ(operand.LabelRef(skip))
	body()
	e.Label(skip)
}

// bytesParam loads the float count parameter name as bytes.
func (e *emitter) bytesParam(name string) reg.GPVirtual {
	r := e.GP64()
	e.Load(e.Param(name), r)
	e.SHLQ(operand.U8(2), r)
	return r
}

// timesBytes loads the float count parameter name times k, as bytes.
func (e *emitter) timesBytes(name string, k int) reg.GPVirtual {
	r := e.GP64()
	e.Load(e.Param(name), r)
	e.IMUL3Q(operand.U32(4*k), r, r)
	return r
}

// transformSlotRows emits the row pass of a transform, in place: for each
// of the t rows of slots at the pointer parameter slots (row i is slots
// i·t to i·t + t − 1), slot i·t + q becomes Σ_k (slot i·t + k)·mat[q][k]
// for each row q of mat, whose t columns are the row's t slots.
func (e *emitter) transformSlotRows(slots string, mat [][]float64, t int) {
	consts := e.constantsOf(mat)
	slot := e.rowsFrom(e.pointer(slots), e.timesBytes("stride", 1), t)
	rowStep := e.timesBytes("stride", t)
	for i := range t {
		in := e.vecs(t)
		for k, v := range in {
			e.load(slot.at(k, 0), v)
		}
		for q, coef := range mat {
			e.store(e.linear(coef, in, consts), slot.at(q, 0))
		}
		if i < t-1 {
			e.ADDQ(rowStep, slot.bases[0]) // the next row's slot 0
		}
	}
}

// constantsOf broadcasts every magnitude other than 0 and 1 among the
// coefficients of m, once, for linear.
func (e *emitter) constantsOf(m [][]float64) map[float64]reg.VecVirtual {
	out := map[float64]reg.VecVirtual{}
	for _, row := range m {
		for _, c := range row {
			if a := math.Abs(c); a != 0 && a != 1 && out[a] == nil {
				out[a] = e.broadcast(float32(a))
			}
		}
	}
	return out
}

// linear returns a fresh vector Σ_j coef[j]·in[j] over the nonzero
// coefficients: additions and subtractions for ±1, FMAs for the rest (their
// magnitudes from consts), starting from a positive term when there is one.
func (e *emitter) linear(coef []float64, in []reg.VecVirtual, consts map[float64]reg.VecVirtual) reg.VecVirtual {
	out := e.vec()
	first := -1
	for j, c := range coef {
		if c > 0 {
			first = j
			break
		}
	}
	if first < 0 { // no positive term: start from zero
		e.VXORPS(out, out, out)
	} else if c := coef[first]; c == 1 {
		e.VMOVAPS(in[first], out)
	} else {
		e.VMULPS(consts[c], in[first], out)
	}
	for j, c := range coef {
		switch {
		case j == first || c == 0:
		case c == 1:
			e.VADDPS(in[j], out, out)
		case c == -1:
			e.VSUBPS(in[j], out, out)
		case c > 0:
			e.VFMADD231PS(consts[c], in[j], out)
		default:
			e.VFNMADD231PS(consts[-c], in[j], out)
		}
	}
	return out
}

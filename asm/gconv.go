package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// GConvTile is the register tile of a grouped 3×3 convolution micro-kernel
// for groups of In input and Out output channels: Rows output pixels by
// Vecs accumulator vectors, each holding Lanes/Phases output channels.
//
// With Phases = 1 each depth step broadcasts one input channel, as in
// GEMM. With Phases P > 1 a depth step broadcasts P consecutive input
// channels (VBROADCASTSD, VBROADCASTF32X4) and lane j·P + p of a vector
// sums the input channels ≡ p (mod P) of its output channel j; the P
// partial sums are added horizontally once, after the depth loop, P
// vectors into one. Phases serve groups narrower than two vectors: a
// broadcast then still feeds two FMAs (the vectors of one group read the
// same input), or, for groups narrower than one vector, at least every
// lane does useful work.
type GConvTile struct {
	Rows, Vecs, Phases int
	In, Out            int // channels of a group
}

// Cols returns the output channels one row of the tile writes on isa.
func (t GConvTile) Cols(isa ISA) int { return t.Vecs * isa.Lanes / t.Phases }

// Steps returns the depth steps per window position: In/Phases.
func (t GConvTile) Steps() int { return t.In / t.Phases }

// group returns the group of vector v relative to the tile's first.
func (t GConvTile) group(isa ISA, v int) int { return v * (isa.Lanes / t.Phases) / t.Out }

// Groups returns the number of groups whose input the tile reads.
func (t GConvTile) Groups(isa ISA) int { return t.group(isa, t.Vecs-1) + 1 }

// GConvTileFor returns the tile GConv uses on isa for groups of in → out
// channels: the GEMM's two vectors of columns over as many rows as the
// registers allow (six on AVX2, seven on AVX-512), with phases when a group
// is narrower than a vector (four vectors, folded into one, on AVX-512 for
// groups of four).
func GConvTileFor(isa ISA, in, out int) (GConvTile, error) {
	rows := 6
	if isa.Lanes == 16 {
		rows = 7
	}
	tile := func(p int) GConvTile {
		t := GConvTile{Rows: rows, Vecs: max(2, p), Phases: p, In: in, Out: out}
		t.Rows = min(t.Rows, (isa.Regs-1-t.Vecs)/t.Vecs)
		return t
	}
	// The fewest phases that give every group two vectors, if the input
	// splits into them and the tile keeps six rows; else those that give
	// it one.
	for p := 1; p <= 4; p *= 2 {
		if t := tile(p); isa.Lanes/p <= out/2 && in%p == 0 && t.Rows >= 6 && t.Check(isa) == nil {
			return t, nil
		}
	}
	t := tile(max(1, isa.Lanes/out))
	return t, t.Check(isa)
}

// Check reports whether the tile is one GConv can emit for isa.
func (t GConvTile) Check(isa ISA) error {
	per := isa.Lanes / t.Phases // output channels of a vector
	regs := t.Rows*t.Vecs + t.Vecs + 1
	switch {
	case t.Rows > gconvMaxRows:
		return fmt.Errorf("asm: grouped tile %+v: more than %d rows need more pointer registers than there are", t, gconvMaxRows)
	case t.Rows < 1 || t.Vecs < 1 || t.In < 1 || t.Out < 1:
		return fmt.Errorf("asm: grouped tile %+v: sizes must be positive", t)
	case t.Phases != 1 && t.Phases != 2 && t.Phases != 4:
		return fmt.Errorf("asm: grouped tile %+v: phases must be 1, 2 or 4", t)
	case t.In%t.Phases != 0:
		return fmt.Errorf("asm: grouped tile %+v: %d input channels a group do not split into %d phases", t, t.In, t.Phases)
	case t.Vecs%t.Phases != 0:
		return fmt.Errorf("asm: grouped tile %+v: the vectors must fold %d into one", t, t.Phases)
	case t.Out < per || t.Out%per != 0 || (t.Vecs*per)%t.Out != 0 && t.Out%(t.Vecs*per) != 0:
		return fmt.Errorf("asm: grouped tile %+v: vectors of %d channels must split the groups evenly", t, per)
	case regs > isa.Regs:
		return fmt.Errorf("asm: grouped tile %+v needs %d of %s's %d registers", t, regs, isa.String(), isa.Regs)
	}
	return nil
}

// GConvSignature is the Go signature of every grouped convolution
// micro-kernel. Offsets and strides are in float32 elements.
const GConvSignature = "func(a *float32, offs *int, pix int, row int, b *float32, c *float32, ldc int, rows int, bias *float32, res *float32, sum *float32, flags int)"

// gconvMaxRows bounds a tile's rows: each row keeps its own input pointer
// in a general-purpose register, beside seven others (b, pix, the row
// step, two loop counters, and what the allocator needs).
const gconvMaxRows = 8

// gconvUnrollSteps is the most depth steps per window position for which
// GConv unrolls the three window columns.
const gconvUnrollSteps = 8

// GConvWeights returns the floats of one tile column's packed weights.
func (t GConvTile) GConvWeights(isa ISA) int { return 9 * t.Steps() * t.Vecs * isa.Lanes }

// GConvPermutation returns, for Phases > 1, the lane of the horizontally
// added vector that holds output lane q: VHADDPS adds neighbouring lanes
// within each 128-bit lane, so after log2(Phases) rounds lane 4L + g of
// the result holds channel L of folded vector g (Phases 4), or channels
// 2L and 2L+1 of vector g in lanes 4L + 2g and 4L + 2g + 1 (Phases 2);
// VPERMPS puts the channels in order.
func (t GConvTile) GConvPermutation(isa ISA) []int {
	idx := make([]int, isa.Lanes)
	per := isa.Lanes / t.Phases
	for q := range idx {
		g, j := q/per, q%per
		switch t.Phases {
		case 2:
			idx[q] = 4*(j/2) + 2*g + j%2
		case 4:
			idx[q] = 4*j + g
		default:
			idx[q] = q
		}
	}
	return idx
}

// GConv emits a micro-kernel of a 3×3 convolution over groups, reading the
// zero-padded NHWC input in place:
//
//	acc[i][o] = Σ_{ky,kx<3} Σ_{c<In} a[offs[i] + ky·row + kx·pix + group(o)·In + c] · w[o][c][ky][kx]
//
// a points at the first channel of the tile's first group; offs holds, for
// each of the Rows output pixels, the offset of its window's top-left
// input pixel, so a tile may run across output rows and images (rows past
// the last valid one repeat a valid offset); pix is the distance between
// neighbouring input pixels (the channels), row that of input rows (padded
// width × channels). b is the tile column's packed weights: for each window
// position (ky, kx) and depth step, Vecs vectors of Lanes values. The tile
// is then written to c (stride ldc) with GEMM's write-back and flags
// (GEMMBias, GEMMResidual, GEMMReLU, GEMMSum; the whole depth is one pass,
// so GEMMAccumulate is never needed).
//
// The caller guarantees that a holds offs[i] + 2·row + 2·pix + Groups·In
// values for every i, b GConvWeights, c and res (rows-1)·ldc + Cols, bias
// and sum Cols when used, and 1 ≤ rows ≤ Rows.
func (f *File) GConv(name string, isa ISA, t GConvTile) {
	if err := t.Check(isa); err != nil {
		panic(err)
	}
	e := f.function(name, GConvSignature, isa,
		fmt.Sprintf("%s computes %d output pixels × %d channels of a 3×3 convolution over groups of %d → %d channels (%d phases) and writes them with the flagged epilogue.",
			name, t.Rows, t.Cols(isa), t.In, t.Out, t.Phases))
	var idx operand.Mem
	if t.Phases > 1 {
		idx = f.vector(t.GConvPermutation(isa))
	}

	acc := make([][]reg.VecVirtual, t.Rows)
	for i := range acc {
		acc[i] = make([]reg.VecVirtual, t.Vecs)
		for j := range acc[i] {
			acc[i][j] = e.zero()
		}
	}
	// One input pointer per row: a + 4·offs[i].
	base, offs := e.pointer("a"), e.pointer("offs")
	rowsA := make([]reg.GPVirtual, t.Rows)
	for i := range rowsA {
		rowsA[i] = e.GP64()
		e.MOVQ(mem(offs, 8*i), rowsA[i])
		e.LEAQ(operand.Mem{Base: base, Index: rowsA[i], Scale: 4}, rowsA[i])
	}
	b := e.pointer("b")
	pix, next := e.GP64(), e.GP64()
	e.Load(e.Param("pix"), pix)
	e.SHLQ(operand.U8(2), pix)
	e.Load(e.Param("row"), next)
	e.SHLQ(operand.U8(2), next)
	// Short groups take the three window columns in one iteration, as
	// pointer + column·pix through SIB scales 1 and 2, which leaves one
	// pointer update per kernel row instead of per window position; long
	// ones keep a loop over the columns, so the body stays small enough
	// for the op cache.
	unrollCols := t.Steps() <= gconvUnrollSteps
	if !unrollCols {
		// next moves the row pointers from past the third window column
		// to the first column of the next kernel row: row - 3·pix.
		e.SUBQ(pix, next)
		e.SUBQ(pix, next)
		e.SUBQ(pix, next)
	}

	L := isa.Lanes
	broadcast := func(m operand.Mem, v reg.VecVirtual) {
		switch t.Phases {
		case 1:
			e.VBROADCASTSS(m, v)
		case 2:
			e.VBROADCASTSD(m, v)
		default:
			if L == 16 {
				e.VBROADCASTF32X4(m, v)
			} else {
				e.VBROADCASTF128(m, v)
			}
		}
	}
	// at returns the address of row i's input at window column col (of
	// the unrolled ones) plus disp bytes.
	at := func(i, col, disp int) operand.Mem {
		m := operand.Mem{Base: rowsA[i], Disp: disp}
		if col > 0 {
			m.Index, m.Scale = pix, uint8(col)
		}
		return m
	}
	// position runs the depth steps of window column col (0 when the
	// columns loop), the weights starting bOff bytes into b.
	position := func(col, bOff int) {
		for s := range t.Steps() {
			bv := e.vecs(t.Vecs)
			for v, r := range bv {
				e.load(mem(b, bOff+4*(s*t.Vecs+v)*L), r)
			}
			for i := range t.Rows {
				var av reg.VecVirtual
				for v := range t.Vecs {
					if v == 0 || t.group(isa, v) != t.group(isa, v-1) { // vectors of one group share it
						av = e.vec()
						broadcast(at(i, col, 4*(t.group(isa, v)*t.In+s*t.Phases)), av)
					}
					e.VFMADD231PS(bv[v], av, acc[i][v])
				}
			}
		}
	}
	posBytes := 4 * t.Steps() * t.Vecs * L // weights of one window position

	e.Comment("acc = Σ over the 3×3 window of the group's input · weights.")
	ky := e.GP64()
	e.MOVQ(operand.U32(3), ky)
	rowLoop := e.label()
	e.Label(rowLoop)
	if unrollCols {
		for col := range 3 {
			position(col, col*posBytes)
		}
		e.advance(b, 3*posBytes)
	} else {
		kx := e.GP64()
		e.MOVQ(operand.U32(3), kx)
		colLoop := e.label()
		e.Label(colLoop)
		position(0, 0)
		e.advance(b, posBytes)
		for _, p := range rowsA {
			e.ADDQ(pix, p)
		}
		e.DECQ(kx)
		e.JNZ(operand.LabelRef(colLoop))
	}
	for _, p := range rowsA {
		e.ADDQ(next, p)
	}
	e.DECQ(ky)
	e.JNZ(operand.LabelRef(rowLoop))

	out := acc
	if t.Phases > 1 {
		e.Commentf("Add the %d phases of each channel and put every group's channels in order.", t.Phases)
		perm := e.vec()
		e.load(idx, perm)
		out = make([][]reg.VecVirtual, t.Rows)
		for i, row := range acc {
			for v := 0; v < t.Vecs; v += t.Phases {
				vs := row[v : v+t.Phases]
				for len(vs) > 1 {
					var half []reg.VecVirtual
					for k := 0; k < len(vs); k += 2 {
						e.hadd(vs[k], vs[k+1], vs[k])
						half = append(half, vs[k])
					}
					vs = half
				}
				e.VPERMPS(vs[0], perm, vs[0])
				out[i] = append(out[i], vs[0])
			}
		}
	}
	e.gemmWriteBack(GEMMTile{Rows: t.Rows, Vecs: t.Cols(isa) / L}, out)
	e.ret()
}

// hadd sets dst to VHADDPS(a, b): in each 128-bit lane, a0+a1, a2+a3,
// b0+b1, b2+b3. AVX-512 has no VHADDPS on ZMM registers, so there it adds
// the even and the odd elements, gathered by two VSHUFPS.
func (e *emitter) hadd(a, b, dst reg.VecVirtual) {
	if !e.isa.opmask {
		e.VHADDPS(b, a, dst)
		return
	}
	even, odd := e.vec(), e.vec()
	e.VSHUFPS(operand.U8(0x88), b, a, even) // a0 a2 b0 b2 in each 128-bit lane
	e.VSHUFPS(operand.U8(0xDD), b, a, odd)  // a1 a3 b1 b3
	e.VADDPS(odd, even, dst)
}

// vector returns the address of a vector of int32 values in the file's
// read-only data, one table per distinct content.
func (f *File) vector(vals []int) operand.Mem {
	key := fmt.Sprint(vals)
	name, ok := f.tableNames[key]
	if !ok {
		name = fmt.Sprintf("table%d", len(f.tables))
		f.tableNames[key] = name
		f.tables = append(f.tables, table{name, vals})
	}
	return operand.Mem{Symbol: operand.Symbol{Name: name, Static: true}, Base: reg.StaticBase}
}

// table is a vector constant of the file, emitted by Render.
type table struct {
	name string
	vals []int
}

package asm

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// GConvTile is the register tile of a grouped 3×3 convolution micro-kernel
// for groups of In input and Out output channels: Rows output pixels by
// Vecs vectors of output channels, computed by phases or by diagonals.
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
//
// With Diagonals (groups of 4 → 4, one group in each 128-bit lane, Vecs 1,
// Phases 1) nothing is broadcast: a row loads its pixel's input channels as
// one vector x, VPERMILPS makes x₂, x with each group's channels turned by
// two, and four FMAs take x and x₂ against the four diagonals of the
// groups' 4×4 weights into two accumulators, the second of which holds
// each channel turned by one (see GConvDiagonal). One load and one shuffle
// feed four FMAs, and after the window one VPERMILPS and one add give the
// row's channels in order.
type GConvTile struct {
	Rows, Vecs, Phases int
	Diagonals          bool
	In, Out            int // channels of a group
}

// Cols returns the output channels one row of the tile writes on isa.
func (t GConvTile) Cols(isa ISA) int { return t.Vecs * isa.Lanes / t.Phases }

// Steps returns the weight vectors per window position and tile vector:
// the depth steps In/Phases, or the four diagonals.
func (t GConvTile) Steps() int { return t.In / t.Phases }

// group returns the group of vector v relative to the tile's first.
func (t GConvTile) group(isa ISA, v int) int { return v * (isa.Lanes / t.Phases) / t.Out }

// Groups returns the number of groups whose input the tile reads.
func (t GConvTile) Groups(isa ISA) int { return (t.Cols(isa) + t.Out - 1) / t.Out }

// accumulators returns the accumulator vectors of one tile row.
func (t GConvTile) accumulators() int {
	if t.Diagonals {
		return 2
	}
	return t.Vecs
}

// GConvTileFor returns the tile GConv uses on isa for groups of in → out
// channels. Groups of 4 → 4 go by diagonals over as many rows as the
// registers allow (five on AVX2, eight on AVX-512). The others take the
// GEMM's two vectors of columns over six rows on AVX2, seven on AVX-512,
// with phases when a group is narrower than a vector (four vectors, folded
// into one, on AVX-512 for groups of eight).
func GConvTileFor(isa ISA, in, out int) (GConvTile, error) {
	if in == 4 && out == 4 {
		t := GConvTile{Rows: min(gconvMaxRows, (isa.Regs-6)/2), Vecs: 1, Phases: 1, Diagonals: true, In: in, Out: out}
		return t, t.Check(isa)
	}
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
	if t.Diagonals {
		regs = 2*t.Rows + 4 + 2 // accumulators, diagonals, x and x₂
	}
	switch {
	case t.Rows > gconvMaxRows:
		return fmt.Errorf("asm: grouped tile %+v: more than %d rows need more pointer registers than there are", t, gconvMaxRows)
	case t.Rows < 1 || t.Vecs < 1 || t.In < 1 || t.Out < 1:
		return fmt.Errorf("asm: grouped tile %+v: sizes must be positive", t)
	case t.Diagonals && (t.In != 4 || t.Out != 4 || t.Vecs != 1 || t.Phases != 1):
		return fmt.Errorf("asm: grouped tile %+v: diagonals take groups of 4 → 4, one vector a row, no phases", t)
	case t.Phases != 1 && t.Phases != 2 && t.Phases != 4:
		return fmt.Errorf("asm: grouped tile %+v: phases must be 1, 2 or 4", t)
	case t.In%t.Phases != 0:
		return fmt.Errorf("asm: grouped tile %+v: %d input channels a group do not split into %d phases", t, t.In, t.Phases)
	case t.Vecs%t.Phases != 0:
		return fmt.Errorf("asm: grouped tile %+v: the vectors must fold %d into one", t, t.Phases)
	case !t.Diagonals && (t.Out < per || t.Out%per != 0 || (t.Vecs*per)%t.Out != 0 && t.Out%(t.Vecs*per) != 0):
		return fmt.Errorf("asm: grouped tile %+v: vectors of %d channels must split the groups evenly", t, per)
	case t.Out > t.Cols(isa) && t.Out/t.Cols(isa)&(t.Out/t.Cols(isa)-1) != 0:
		return fmt.Errorf("asm: grouped tile %+v: a group must be a power-of-two number of tiles", t)
	case regs > isa.Regs:
		return fmt.Errorf("asm: grouped tile %+v needs %d of %s's %d registers", t, regs, isa.String(), isa.Regs)
	}
	return nil
}

// GConvSignature is the Go signature of every grouped convolution
// micro-kernel. Offsets and strides are in float32 elements.
const GConvSignature = "func(a *float32, offs *int, n int, cols int, pix int, row int, b *float32, c *float32, bias *float32, res *float32, sum *float32, flags int)"

// gconvMaxRows bounds a tile's rows: each row keeps its own input pointer
// in a general-purpose register, beside b, pix, the row step, the window
// loops' counters and the pixel loop's cursor and count.
const gconvMaxRows = 8

// gconvUnrollSteps is the most depth steps per window position for which
// GConv unrolls the three window columns.
const gconvUnrollSteps = 8

// gconvUnrollWindow is the most instructions a window position takes for
// which GConv unrolls the three window rows too: the nine positions of a
// diagonal tile (34 instructions on AVX2) gain from it, those of the
// AVX2 8 → 8 tile (80) lose more to the op cache than they save.
const gconvUnrollWindow = 64

// positionOps returns the instructions of one window position: loads of
// weights and input (or broadcasts), shuffles and FMAs.
func (t GConvTile) positionOps(isa ISA) int {
	if t.Diagonals {
		return 4 + 6*t.Rows
	}
	return t.Steps() * (t.Vecs + t.Rows*(t.group(isa, t.Vecs-1)+1+t.Vecs))
}

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

// The lane orders of a diagonal tile, as VPERMILPS immediates: element j
// of each 128-bit lane of the result is element imm>>(2j)&3 of the source.
const (
	// gconvTurn2 turns a group's four input channels by two: x₂[j] = x[j+2].
	gconvTurn2 = 2 | 3<<2 | 0<<4 | 1<<6
	// gconvTurnBack puts the second accumulator, whose lane j holds output
	// channel j+1, in order: lane j takes lane j−1.
	gconvTurnBack = 3 | 0<<2 | 1<<4 | 2<<6
)

// GConvDiagonal returns, for a diagonal tile, the group channels (output
// o, input c, both < 4) that lane j of a group takes in weight vector k
// of a window position: k = 2·turn + acc, where turn says whether the
// FMA reads x or x₂ (input channel j or j+2) and acc which accumulator it
// adds into (lane j of accumulator 1 holds output channel j+1). The four
// k of a lane cover the four diagonals o − c ∈ {0, 1, 2, 3} (mod 4), so
// the four FMAs take every weight of the group once.
func GConvDiagonal(k, j int) (o, c int) {
	turn, acc := k/2, k%2
	return (j + acc) % 4, (j + 2*turn) % 4
}

// GConv emits a micro-kernel of a 3×3 convolution over groups, reading a
// zero-padded or interior region of an NHWC input in place:
//
//	acc[i][o] = Σ_{ky,kx<3} Σ_{c<In} a[offs[2i] + ky·row + kx·pix + group(o)·In + c] · w[o][c][ky][kx]
//
// for n output pixels i and cols consecutive tile columns, Rows pixels at
// a time and, for each tile of pixels, column after column, so that the
// columns read the tile's input from L1. a points at the first channel of
// the first column's first group; offs holds two offsets a pixel: of its
// window's top-left input pixel from a, and of its output from c and res,
// so the pixels may lie anywhere in the input and the output (across rows
// and images, interior pixels read straight from the layer's input and
// edge ones from a padded copy). offs holds whole tiles: entries past n
// repeat a valid input offset and are computed but not stored. pix is the
// distance between neighbouring input pixels, row that of input rows. b is
// the columns' packed weights, GConvWeights a column: for each window
// position (ky, kx) and step, Vecs vectors of Lanes values. Column k reads
// the input of the groups from ⌊k·Cols/Out⌋ on, a + ⌊k·Cols/Out⌋·In; a
// tile narrower than a group starts a call at a group's first tile and
// takes cols a multiple of Out/Cols. Each pixel's Cols outputs of column
// k are then written to c + k·Cols with the bias, as GEMM's write-back
// with the flags GEMMResidual, GEMMReLU and GEMMSum (the whole depth is
// one pass, so the bias is always added and GEMMBias and GEMMAccumulate
// are not used). The last tile runs on half the rows when those are
// enough.
//
// The caller guarantees n ≥ 1 and cols ≥ 1, that offs holds
// 2·Rows·⌈n/Rows⌉ values, that a holds ⌊(cols−1)·Cols/Out⌋·In + offs[2i] +
// 2·row + 2·pix + Groups·In values for every i, c and res cols·Cols +
// offs[2i+1] for every i < n, b cols·GConvWeights, and bias and sum
// cols·Cols when used.
func (f *File) GConv(name string, isa ISA, t GConvTile) {
	if err := t.Check(isa); err != nil {
		panic(err)
	}
	scheme := fmt.Sprintf("%d phases", t.Phases)
	if t.Diagonals {
		scheme = "diagonals"
	}
	e := f.function(name, GConvSignature, isa,
		fmt.Sprintf("%s computes n output pixels × cols·%d channels of a 3×3 convolution over groups of %d → %d channels, %d pixels at a time (%s), and writes them with the flagged epilogue.",
			name, t.Cols(isa), t.In, t.Out, t.Rows, scheme))
	var idx operand.Mem
	if t.Phases > 1 {
		idx = f.vector(t.GConvPermutation(isa))
	}

	offs, left := e.pointer("offs"), e.GP64()
	e.Load(e.Param("n"), left)
	cur := gconvCursors{offs: offs, left: left, aCol: e.AllocLocal(8), bCol: e.AllocLocal(8), cCol: e.AllocLocal(8), colsLeft: e.AllocLocal(8)}
	// The last tile runs on half the rows when those are enough, which
	// halves what a pixel list wastes on its padding.
	half := t
	half.Rows = (t.Rows + 1) / 2
	tiles, last := e.label(), e.label()
	e.Label(tiles)
	if half.Rows < t.Rows {
		e.CMPQ(left, operand.U32(half.Rows))
		e.JLE(operand.LabelRef(last))
	}
	e.gconvTile(t, idx, cur)
	e.advance(offs, 16*t.Rows)
	e.SUBQ(operand.U32(t.Rows), left)
	e.JG(operand.LabelRef(tiles))
	e.ret()
	if half.Rows < t.Rows {
		e.Label(last)
		e.gconvTile(half, idx, cur)
		e.ret()
	}
}

// gconvCursors are the registers and frame slots of a grouped kernel's
// loops: the tile's offsets and the pixels left, this tile's included;
// those of the column loop in the frame, as the depth loop needs every
// register: the column's input and weights, its outputs' distance in
// bytes from c (and bias, res and sum), and the columns left.
type gconvCursors struct {
	offs, left                 reg.GPVirtual
	aCol, bCol, cCol, colsLeft operand.Mem
}

// gconvTile emits one tile of t.Rows pixels over every column, with the
// permutation idx of a tile with phases.
func (e *emitter) gconvTile(t GConvTile, idx operand.Mem, cur gconvCursors) {
	isa := e.isa
	offs, left := cur.offs, cur.left
	aCol, bCol, cCol, colsLeft := cur.aCol, cur.bCol, cur.cCol, cur.colsLeft
	{
		a, b, c, n := e.pointer("a"), e.pointer("b"), e.GP64(), e.GP64()
		e.MOVQ(a, aCol)
		e.MOVQ(b, bCol)
		e.XORQ(c, c)
		e.MOVQ(c, cCol)
		e.Load(e.Param("cols"), n)
		e.MOVQ(n, colsLeft)
	}
	columns := e.label()
	e.Label(columns)
	acc := make([][]reg.VecVirtual, t.Rows)
	for i := range acc {
		acc[i] = make([]reg.VecVirtual, t.accumulators())
		for j := range acc[i] {
			acc[i][j] = e.zero()
		}
	}
	// One input pointer per row: the column's input + 4·offs[2i].
	base := e.GP64()
	e.MOVQ(aCol, base)
	rowsA := make([]reg.GPVirtual, t.Rows)
	for i := range rowsA {
		rowsA[i] = e.GP64()
		e.MOVQ(mem(offs, 16*i), rowsA[i])
		e.LEAQ(operand.Mem{Base: base, Index: rowsA[i], Scale: 4}, rowsA[i])
	}
	pix, next := e.GP64(), e.GP64()
	e.Load(e.Param("pix"), pix)
	e.SHLQ(operand.U8(2), pix)
	e.Load(e.Param("row"), next)
	e.SHLQ(operand.U8(2), next)
	b := e.GP64()
	e.MOVQ(bCol, b)
	// Short groups take the three window columns in one iteration, as
	// pointer + column·pix through SIB scales 1 and 2, which leaves one
	// pointer update per kernel row instead of per window position; long
	// ones keep a loop over the columns, so the body stays small enough
	// for the op cache.
	unrollCols := t.Diagonals || t.Steps() <= gconvUnrollSteps
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
		if t.Diagonals {
			w := e.vecs(4)
			for k, r := range w {
				e.load(mem(b, bOff+4*k*L), r)
			}
			for i := range t.Rows {
				x, x2 := e.vec(), e.vec()
				e.load(at(i, col, 0), x)
				e.VPERMILPS(operand.U8(gconvTurn2), x, x2)
				e.VFMADD231PS(w[0], x, acc[i][0])
				e.VFMADD231PS(w[1], x, acc[i][1])
				e.VFMADD231PS(w[2], x2, acc[i][0])
				e.VFMADD231PS(w[3], x2, acc[i][1])
			}
			return
		}
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
	if unrollCols && t.positionOps(isa) <= gconvUnrollWindow {
		// The whole window in line: the row pointers step down a row
		// between the kernel rows, the weights are displacements.
		for ky := range 3 {
			if ky > 0 {
				for _, p := range rowsA {
					e.ADDQ(next, p)
				}
			}
			for col := range 3 {
				position(col, (3*ky+col)*posBytes)
			}
		}
	} else {
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
	}

	out := acc
	switch {
	case t.Diagonals:
		e.Comment("Turn the second accumulator's channels back and add it to the first.")
		out = make([][]reg.VecVirtual, t.Rows)
		for i, row := range acc {
			e.VPERMILPS(operand.U8(gconvTurnBack), row[1], row[1])
			e.VADDPS(row[1], row[0], row[0])
			out[i] = row[:1]
		}
	case t.Phases > 1:
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
	e.gconvWriteBack(out, offs, left, cCol)
	e.Comment("The next column: its weights, its outputs, its groups' input.")
	step := func(cursor operand.Mem, bytes int) {
		p := e.GP64()
		e.MOVQ(cursor, p)
		e.advance(p, bytes)
		e.MOVQ(p, cursor)
	}
	step(bCol, 4*t.GConvWeights(isa))
	step(cCol, 4*t.Cols(isa))
	n, done := e.GP64(), e.label()
	e.MOVQ(colsLeft, n)
	e.DECQ(n)
	e.MOVQ(n, colsLeft)
	e.JZ(operand.LabelRef(done))
	if per := t.Out / t.Cols(isa); per > 1 {
		// A tile narrower than a group: the group's next tile reads the
		// same input, the next group's first one the next In channels.
		e.TESTQ(operand.U32(per-1), n)
		e.JNZ(operand.LabelRef(columns))
		step(aCol, 4*t.In)
	} else {
		step(aCol, 4*t.Groups(isa)*t.In)
	}
	e.JMP(operand.LabelRef(columns))
	e.Label(done)
}

// gconvWriteBack stores each row of out at c plus the column's cCol bytes
// plus its output offset (offs[2i+1]) with the bias and the epilogue the flags ask for, stopping
// after left rows. The flags are tested once a tile, not once a row: ReLU
// is a maximum with a floor of 0 or −∞ (which keeps every value, NaN
// included), and the rows are written by one of two copies, with and
// without the residual.
func (e *emitter) gconvWriteBack(out [][]reg.VecVirtual, offs, left reg.GPVirtual, cCol operand.Mem) {
	L := e.isa.Lanes
	// pointer returns the parameter name moved on to the column.
	pointer := func(name string) reg.GPVirtual {
		p := e.pointer(name)
		e.ADDQ(cCol, p)
		return p
	}
	c, bias, flags := pointer("c"), pointer("bias"), e.GP64()
	e.Load(e.Param("flags"), flags)
	floor, inf := e.vec(), e.vec()
	e.VXORPS(floor, floor, floor)
	e.broadcastInto(float32(math.Inf(-1)), inf)
	keep := e.label()
	e.TESTQ(operand.U32(GEMMReLU), flags)
	e.JNZ(operand.LabelRef(keep))
	e.VMOVAPS(inf, floor)
	e.Label(keep)
	sums := make([]reg.VecVirtual, len(out[0]))
	for j := range sums {
		sums[j] = e.zero()
	}

	end := e.label()
	// rows writes the rows, or with partial as many as are left.
	rows := func(res reg.GPVirtual, partial bool) {
		for i, row := range out {
			if i > 0 && partial {
				e.CMPQ(left, operand.U32(i))
				e.JLE(operand.LabelRef(end))
			}
			o := e.GP64()
			e.MOVQ(mem(offs, 16*i+8), o)
			at := func(p reg.GPVirtual, j int) operand.Mem {
				return operand.Mem{Base: p, Index: o, Scale: 4, Disp: 4 * L * j}
			}
			for j, v := range row {
				e.VADDPS(mem(bias, 4*L*j), v, v)
				if res != nil {
					e.VADDPS(at(res, j), v, v)
				}
				e.relu(v, floor)
				e.store(v, at(c, j))
				e.VADDPS(v, sums[j], sums[j])
			}
		}
		e.JMP(operand.LabelRef(end))
	}
	// Each of the four copies, with or without the residual, of a whole
	// tile or the last, partial one.
	both := func(res reg.GPVirtual) {
		partial := e.label()
		e.CMPQ(left, operand.U32(len(out)))
		e.JL(operand.LabelRef(partial))
		rows(res, false)
		e.Label(partial)
		rows(res, true)
	}
	e.Comment("C = acc + bias (+ res) (ReLU), pixel by pixel.")
	plain := e.label()
	e.TESTQ(operand.U32(GEMMResidual), flags)
	e.JZ(operand.LabelRef(plain))
	both(pointer("res"))
	e.Label(plain)
	both(nil)
	e.Label(end)
	sum := e.label()
	e.TESTQ(operand.U32(GEMMSum), flags)
	e.JZ(operand.LabelRef(sum))
	p := pointer("sum")
	for j, v := range sums {
		e.VADDPS(mem(p, 4*L*j), v, v)
		e.store(v, mem(p, 4*L*j))
	}
	e.Label(sum)
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

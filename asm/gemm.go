package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// GEMMTile is the register tile of a GEMM micro-kernel: Rows rows of C
// (output pixels) by Vecs vectors of columns (output channels). Every
// accumulator is a register for the whole depth loop, so a tile costs
// Rows×Vecs accumulators plus Vecs registers of B and one broadcast of A.
type GEMMTile struct{ Rows, Vecs int }

// Cols returns the tile's width in float32 columns on isa.
func (t GEMMTile) Cols(isa ISA) int { return t.Vecs * isa.Lanes }

// Flags of a GEMM micro-kernel's write-back, in the order applied.
const (
	GEMMBias       = 1 << iota // add bias[0:cols] to every row (the first depth block)
	GEMMAccumulate             // add what C holds (every later depth block)
	GEMMResidual               // add res, laid out like C (the last depth block)
	GEMMReLU                   // max(v, 0), NaN kept (the last depth block)
	GEMMSum                    // add each column's sum over the rows written to sum[0:cols]
)

// GEMMSignature is the Go signature of every GEMM micro-kernel. Strides are
// in float32 elements.
const GEMMSignature = "func(kc int, a *float32, lda int, b *float32, c *float32, ldc int, rows int, bias *float32, res *float32, sum *float32, flags int, next *float32, nextLen int)"

// gemmPrefetchLines is how many cache lines of the next B panel each
// iteration of the depth loop prefetches: two, so that a panel run down as
// few as two tiles still brings in the next one (kc lines of 64 bytes for a
// 16-column AVX2 panel, 2·kc for a 32-column AVX-512 one).
const gemmPrefetchLines = 2

// gemmUnroll is the number of depth steps per iteration of the main loop.
const gemmUnroll = 4

// GEMM emits a micro-kernel that computes rows 0…rows-1 of the product of
// A and one packed B micro-panel, t.Rows × t.Cols(isa) tiles at a time:
//
//	acc[i][j] = Σ_k a[i·lda + k] · b[k·cols + j],  k < kc
//
// from A read in place, row-major with stride lda (the NHWC activation of a
// 1×1 convolution, or a packed im2col block), and B as kc rows of cols
// contiguous values. It writes each tile to C (stride ldc): c = acc, plus
// bias when GEMMBias, plus C when GEMMAccumulate, plus res when
// GEMMResidual, then ReLU when GEMMReLU; with GEMMSum it also adds the
// columns' sums of the rows written to sum — the SE squeeze of the
// convolution's output, taken while the tile is in registers instead of in
// another pass over memory. The flags are tested once per row after the
// depth loop, never inside it. The loop over tiles is here rather than in
// the caller: one call per row block and panel instead of one per tile
// (the Go side checks lengths once per call, and that was ~5 % of a
// forward pass when it ran per tile).
//
// A is broadcast one value at a time (VBROADCASTSS) into a single register
// that feeds the row's Vecs FMAs: one load per row and depth step, and the
// register file left to the accumulators. Rows are addressed as base + a
// multiple of lda through SIB scales (1, 2, 4 and the registers 3·lda and
// 5·lda), seven rows per base pointer, so reading A in place costs no
// packing and only two pointer increments per step.
//
// While it computes, it prefetches the nextLen floats at next (the B
// micro-panel the caller runs next, which the hardware prefetchers do not
// guess: a panel is read once from memory and then again from L1 for every
// further tile, so the first tile of each panel waited for memory and small
// M — 49 rows at 7×7, 16 rows of Winograd tiles at 14×14 — paid it on a large
// share of the work). Prefetches never fault, but they stay inside next.
//
// The caller guarantees rows ≥ 1, that a holds (tiles·Rows-1)·lda + kc
// values (tiles = ⌈rows/Rows⌉: the last tile reads whole rows), b kc·cols,
// c and res (rows-1)·ldc + cols, and bias and sum cols when used.
func (f *File) GEMM(name string, isa ISA, t GEMMTile) {
	f.gemm(name, isa, t, false)
}

// GEMMSegmentedSignature is GEMMSignature and the segments of
// GEMMSegmented: segs runs of kc depth steps, the rows of A moving on by
// gap floats between runs.
const GEMMSegmentedSignature = "func(kc int, a *float32, lda int, b *float32, c *float32, ldc int, rows int, bias *float32, res *float32, sum *float32, flags int, next *float32, nextLen int, segs int, gap int)"

// GEMMSegmented emits GEMM's micro-kernel over a depth of segs runs of kc
// steps: row i of A reads a[i·lda + s·(kc+gap) + k] at step k of run s,
// and B is segs·kc contiguous rows. That is the im2col matrix of a
// convolution read in place from a zero-padded NHWC input: a kernel row's
// KW·InC values are contiguous, the next kernel row one padded input row
// further, and the pixels of one output row Stride·InC apart — so a stem's
// 7×7 windows over 3 channels need no packing, which cost a third of its
// time. The caller guarantees what GEMM's does with a holding (tiles·Rows
// -1)·lda + (segs-1)·(kc+gap) + kc values and b segs·kc·cols, segs ≥ 1.
func (f *File) GEMMSegmented(name string, isa ISA, t GEMMTile) {
	f.gemm(name, isa, t, true)
}

func (f *File) gemm(name string, isa ISA, t GEMMTile, segmented bool) {
	cols := t.Cols(isa)
	if t.Rows < 1 || t.Vecs < 1 || t.Rows*t.Vecs+t.Vecs+1 > isa.Regs {
		panic(fmt.Sprintf("asm: GEMM tile %d×%d does not fit %s's %d registers", t.Rows, t.Vecs, isa, isa.Regs))
	}
	signature, doc := GEMMSignature, fmt.Sprintf("%s computes a %d×%d GEMM tile over kc depth steps and writes it to C with the flagged epilogue.", name, t.Rows, cols)
	if segmented {
		signature, doc = GEMMSegmentedSignature, fmt.Sprintf("%s computes a %d×%d GEMM tile over segs runs of kc depth steps, gap floats of A apart, and writes it to C with the flagged epilogue.", name, t.Rows, cols)
	}
	e := f.function(name, signature, isa, doc)

	tiles := e.label()
	e.Label(tiles)
	e.gemmPrefetchC(t, cols)
	acc := make([][]reg.VecVirtual, t.Rows)
	for i := range acc {
		acc[i] = make([]reg.VecVirtual, t.Vecs)
		for j := range acc[i] {
			acc[i][j] = e.zero()
		}
	}
	rowsA := e.rowAddressing("a", "lda", t.Rows)
	b := e.pointer("b")
	n := e.GP64() // depth steps left in the run
	if !segmented {
		e.Load(e.Param("kc"), n)
	}
	// Prefetch while pf < pfEnd, the end of next less the lines after the
	// first of an iteration, so every address prefetched is inside next.
	// The comparison is signed: with no next (nil, 0) pfEnd is −64, below
	// pf, where an unsigned one would prefetch from address 0 on.
	pf, pfEnd := e.pointer("next"), e.GP64()
	e.Load(e.Param("nextLen"), pfEnd)
	e.LEAQ(operand.Mem{Base: pf, Index: pfEnd, Scale: 4, Disp: -64 * (gemmPrefetchLines - 1)}, pfEnd)
	var segs reg.GPVirtual
	var segment string
	if segmented {
		segment, segs = e.label(), e.GP64()
		e.Load(e.Param("segs"), segs)
		e.Label(segment)
		e.Load(e.Param("kc"), n)
	}

	// step multiplies depth step k (relative to the pointers) into acc.
	step := func(k int) {
		bv := e.vecs(t.Vecs)
		for j, v := range bv {
			e.load(mem(b, 4*(k*cols+j*isa.Lanes)), v)
		}
		for i := range t.Rows {
			av := e.vec()
			e.VBROADCASTSS(rowsA.at(i, 4*k), av)
			for j := range t.Vecs {
				e.VFMADD231PS(bv[j], av, acc[i][j])
			}
		}
	}
	advance := func(steps int) {
		for _, p := range rowsA.bases {
			e.advance(p, 4*steps)
		}
		e.advance(b, 4*steps*cols)
	}

	e.Commentf("acc = A·B, %d depth steps per iteration, then one at a time.", gemmUnroll)
	main, rest, tail, done := e.label(), e.label(), e.label(), e.label()
	e.CMPQ(n, operand.U8(gemmUnroll))
	e.JL(operand.LabelRef(rest))
	e.Label(main)
	noPrefetch := e.label()
	e.CMPQ(pf, pfEnd)
	e.JGE(operand.LabelRef(noPrefetch))
	for l := range gemmPrefetchLines {
		e.PREFETCHT0(mem(pf, 64*l))
	}
	e.ADDQ(operand.U32(64*gemmPrefetchLines), pf)
	e.Label(noPrefetch)
	for k := range gemmUnroll {
		step(k)
	}
	advance(gemmUnroll)
	e.SUBQ(operand.U8(gemmUnroll), n)
	e.CMPQ(n, operand.U8(gemmUnroll))
	e.JGE(operand.LabelRef(main))
	e.Label(rest)
	e.TESTQ(n, n)
	e.JZ(operand.LabelRef(done))
	e.Label(tail)
	step(0)
	advance(1)
	e.DECQ(n)
	e.JNZ(operand.LabelRef(tail))
	e.Label(done)
	if segmented {
		e.Comment("The next run of depth steps: A's rows gap floats on.")
		last := e.label()
		e.DECQ(segs)
		e.JZ(operand.LabelRef(last))
		gap := e.GP64()
		e.Load(e.Param("gap"), gap)
		e.SHLQ(operand.U8(2), gap)
		for _, p := range rowsA.bases {
			e.ADDQ(gap, p)
		}
		e.JMP(operand.LabelRef(segment))
		e.Label(last)
	}

	// The next tile prefetches on from here: next = pf, nextLen = what is
	// left (negative once pf has passed pfEnd, which stops it).
	e.SUBQ(pf, pfEnd)
	e.SARQ(operand.U8(2), pfEnd)
	e.ADDQ(operand.U32(16*(gemmPrefetchLines-1)), pfEnd)
	e.Store(pf, e.Param("next"))
	e.Store(pfEnd, e.Param("nextLen"))
	e.gemmWriteBack(t, acc)
	e.gemmNextTile(t, tiles)
	e.ret()
}

// gemmPrefetchC prefetches the tile's rows of C, which the write-back
// stores after the depth loop: they are usually in no cache by then (the
// layer wrote another buffer last), and the loop hides their fetch. Only
// rows below the parameter rows: the prefetches stay inside c.
func (e *emitter) gemmPrefetchC(t GEMMTile, cols int) {
	c, ldc, rows := e.pointer("c"), e.GP64(), e.GP64()
	e.Load(e.Param("ldc"), ldc)
	e.SHLQ(operand.U8(2), ldc)
	e.Load(e.Param("rows"), rows)
	done := e.label()
	for i := range t.Rows {
		if i > 0 {
			e.CMPQ(rows, operand.U32(i))
			e.JLE(operand.LabelRef(done))
			e.ADDQ(ldc, c)
		}
		for off := 0; off < 4*cols; off += 64 {
			e.PREFETCHT0(mem(c, off))
		}
	}
	e.Label(done)
}

// gemmNextTile moves the parameters a, c and res (when GEMMResidual) on by
// one tile of rows and jumps to tiles while rows remain. The cursors live
// in the parameters' slots, so the depth loop keeps every register.
func (e *emitter) gemmNextTile(t GEMMTile, tiles string) {
	rows := e.GP64()
	e.Load(e.Param("rows"), rows)
	e.SUBQ(operand.U32(t.Rows), rows)
	last := e.label()
	e.JLE(operand.LabelRef(last))
	e.Store(rows, e.Param("rows"))
	// step moves the pointer parameter p by a tile of rows of stride.
	step := func(p, stride string) {
		ptr, by := e.pointer(p), e.GP64()
		e.Load(e.Param(stride), by)
		e.IMUL3Q(operand.U32(4*t.Rows), by, by)
		e.ADDQ(by, ptr)
		e.Store(ptr, e.Param(p))
	}
	step("a", "lda")
	step("c", "ldc")
	flags := e.GP64()
	e.Load(e.Param("flags"), flags)
	noRes := e.label()
	e.TESTQ(operand.U32(GEMMResidual), flags)
	e.JZ(operand.LabelRef(noRes))
	step("res", "ldc")
	e.Label(noRes)
	e.JMP(operand.LabelRef(tiles))
	e.Label(last)
}

// gemmWriteBack stores the accumulators to C row by row with the epilogue
// the flags ask for, stopping after the parameter rows.
func (e *emitter) gemmWriteBack(t GEMMTile, acc [][]reg.VecVirtual) {
	L := e.isa.Lanes
	c, res, bias := e.pointer("c"), e.pointer("res"), e.pointer("bias")
	ldc := e.GP64()
	e.Load(e.Param("ldc"), ldc)
	e.SHLQ(operand.U8(2), ldc)
	rows, flags := e.GP64(), e.GP64()
	e.Load(e.Param("rows"), rows)
	e.Load(e.Param("flags"), flags)
	zero := e.zero()
	// The column sums take the registers B held in the depth loop.
	sums := make([]reg.VecVirtual, t.Vecs)
	for j := range sums {
		sums[j] = e.zero()
	}

	end := e.label()
	// whenFlag emits body guarded by a test of flag.
	whenFlag := func(flag int, body func()) {
		skip := e.label()
		e.TESTQ(operand.U32(flag), flags)
		e.JZ(operand.LabelRef(skip))
		body()
		e.Label(skip)
	}
	e.Comment("C = acc (+ bias | + C) (+ res) (ReLU), row by row.")
	for i, row := range acc {
		if i > 0 {
			e.CMPQ(rows, operand.U32(i))
			e.JLE(operand.LabelRef(end))
			e.ADDQ(ldc, c)
			e.ADDQ(ldc, res)
		}
		whenFlag(GEMMBias, func() {
			for j, v := range row {
				e.VADDPS(mem(bias, 4*L*j), v, v)
			}
		})
		whenFlag(GEMMAccumulate, func() {
			for j, v := range row {
				e.VADDPS(mem(c, 4*L*j), v, v)
			}
		})
		whenFlag(GEMMResidual, func() {
			for j, v := range row {
				e.VADDPS(mem(res, 4*L*j), v, v)
			}
		})
		whenFlag(GEMMReLU, func() {
			for _, v := range row {
				e.relu(v, zero)
			}
		})
		for j, v := range row {
			e.store(v, mem(c, 4*L*j))
			e.VADDPS(v, sums[j], sums[j])
		}
	}
	e.Label(end)
	whenFlag(GEMMSum, func() {
		sum := e.pointer("sum")
		for j, v := range sums {
			e.VADDPS(mem(sum, 4*L*j), v, v)
			e.store(v, mem(sum, 4*L*j))
		}
	})
}

// rowAddressing addresses rows of a matrix with a row stride held in a
// register: row i is bases[i/7] + (i%7)·stride, the multiple taken from an
// SIB scale of stride, 3·stride or 5·stride.
type rowAddressing struct {
	bases                 []reg.GPVirtual
	stride, stride3, str5 reg.GPVirtual
}

// rowAddressing loads the pointer parameter ptr and the element stride
// parameter stride and prepares the registers to address rows rows.
func (e *emitter) rowAddressing(ptr, stride string, rows int) *rowAddressing {
	s := e.GP64()
	e.Load(e.Param(stride), s)
	e.SHLQ(operand.U8(2), s)
	return e.rowsFrom(e.pointer(ptr), s, rows)
}

// rowsFrom prepares the registers to address rows rows from base, stride
// bytes apart; it takes ownership of both registers.
func (e *emitter) rowsFrom(base, stride reg.GPVirtual, rows int) *rowAddressing {
	r := &rowAddressing{bases: []reg.GPVirtual{base}, stride: stride}
	if rows > 3 {
		r.stride3 = e.GP64()
		e.LEAQ(operand.Mem{Base: r.stride, Index: r.stride, Scale: 2}, r.stride3)
	}
	if rows > 5 {
		r.str5 = e.GP64()
		e.LEAQ(operand.Mem{Base: r.stride, Index: r.stride, Scale: 4}, r.str5)
	}
	for len(r.bases)*7 < rows {
		prev := r.bases[len(r.bases)-1]
		p := e.GP64()
		e.LEAQ(operand.Mem{Base: prev, Index: r.stride3, Scale: 2}, p) // prev + 6·stride
		e.ADDQ(r.stride, p)
		r.bases = append(r.bases, p)
	}
	return r
}

// at returns the address of row i plus disp bytes.
func (r *rowAddressing) at(i, disp int) operand.Mem {
	base := r.bases[i/7]
	switch i % 7 {
	case 0:
		return operand.Mem{Base: base, Disp: disp}
	case 1:
		return operand.Mem{Base: base, Index: r.stride, Scale: 1, Disp: disp}
	case 2:
		return operand.Mem{Base: base, Index: r.stride, Scale: 2, Disp: disp}
	case 3:
		return operand.Mem{Base: base, Index: r.stride3, Scale: 1, Disp: disp}
	case 4:
		return operand.Mem{Base: base, Index: r.stride, Scale: 4, Disp: disp}
	case 5:
		return operand.Mem{Base: base, Index: r.str5, Scale: 1, Disp: disp}
	}
	return operand.Mem{Base: base, Index: r.stride3, Scale: 2, Disp: disp}
}

// FMAPeakSignature is the Go signature of the FMA throughput loop.
const FMAPeakSignature = "func(n int) float32"

// fmaPeakAccs is the number of independent FMA chains: enough to cover the
// FMA latency (4–5 cycles) on two pipes three times over (12 chains ran
// ~8 % below the GEMM kernels here), so the loop is bound by FMA
// throughput alone; AVX2 has room for 14.
func fmaPeakAccs(isa ISA) int { return min(24, isa.Regs-2) }

// FMAPeak emits a loop of n iterations of fmaPeakAccs(isa) independent
// register-only FMAs (2·Lanes·fmaPeakAccs flops per iteration): the machine's
// FMA peak, the yardstick of the GEMM. It returns one lane of the sum so the
// work has a result.
func (f *File) FMAPeak(name string, isa ISA) {
	e := f.function(name, FMAPeakSignature, isa,
		fmt.Sprintf("%s runs n iterations of %d independent FMAs of %d lanes (%d flops each).", name, fmaPeakAccs(isa), isa.Lanes, 2*isa.Lanes*fmaPeakAccs(isa)))
	n := e.GP64()
	e.Load(e.Param("n"), n)
	acc := make([]reg.VecVirtual, fmaPeakAccs(isa))
	for i := range acc {
		acc[i] = e.zero()
	}
	x, y := e.broadcast(0.5), e.broadcast(1e-3)
	loop, done := e.label(), e.label()
	e.TESTQ(n, n)
	e.JZ(operand.LabelRef(done))
	e.Label(loop)
	for _, v := range acc {
		e.VFMADD231PS(x, y, v)
	}
	e.DECQ(n)
	e.JNZ(operand.LabelRef(loop))
	e.Label(done)
	for _, v := range acc[1:] {
		e.VADDPS(v, acc[0], acc[0])
	}
	e.Store(acc[0].AsX(), e.ReturnIndex(0))
	e.ret()
}

// FMAPeakFlops returns the flops of one iteration of FMAPeak's loop on isa.
func FMAPeakFlops(isa ISA) int { return 2 * isa.Lanes * fmaPeakAccs(isa) }

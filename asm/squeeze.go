package asm

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/segen/segen/se"
)

// Squeeze describes the squeeze of one sample of a fixed shape: z[c] is the
// average, the NaN-propagating maximum or the stochastic pool (Σx²/Σx, or 0
// where Σx ≤ 0) of channel c's Plane values.
type Squeeze struct {
	Layout   se.Layout
	C, Plane int
	Pool     se.Pool
}

// max reports whether the pool is a maximum; the average and the stochastic
// pool are sums.
func (k Squeeze) max() bool { return k.Pool == se.Max }

// Squeeze emits name(z *[C]float32, x *[C×Plane]float32).
func (f *File) Squeeze(name string, isa ISA, k Squeeze) {
	pool := map[se.Pool]string{se.Avg: "average", se.Max: "maximum", se.Stochastic: "stochastic pool (Σx²/Σx, or 0 where Σx ≤ 0)"}[k.Pool]
	e := f.function(name,
		signature(k.Params()), isa,
		fmt.Sprintf("%s sets z[c] to the %s of channel c of x, a %s sample of %d channels × %d positions.",
			name, pool, k.Layout, k.C, k.Plane))
	z, x := e.pointer("z"), e.pointer("x")
	if k.Layout == se.NCHW && isa.Lanes > AVX2.Lanes && k.Plane/isa.Lanes < smallPlaneMin && k.Plane/AVX2.Lanes >= smallPlaneMin {
		// Planes of two or three ZMM vectors (49 values at 7×7) are
		// squeezed fastest as YMM vectors, eight channels at a time: at
		// 512×7×7, 675 ns against 790 for the flat ZMM squeeze and 800
		// for four channels at a time.
		e.isa = AVX2
	}
	L := e.isa.Lanes
	nchw, sto := k.Layout == se.NCHW, k.Pool == se.Stochastic
	small := nchw && k.Plane/L >= smallPlaneMin && k.Plane/L <= smallPlaneMax
	long := nchw && k.Plane/L >= longPlane
	wide := !nchw && (k.C+L-1)/L > wideRow
	switch {
	case small && k.Pool == se.Avg && e.isa.opmask:
		e.squeezeFlat(z, x, k)
	case small && sto:
		e.squeezeSmallPlanesStochastic(z, x, k)
	case small:
		e.squeezeSmallPlanes(z, x, k)
	case long && sto:
		e.squeezeLongPlanesStochastic(z, x, k)
	case long:
		e.squeezeLongPlanes(z, x, k)
	case nchw:
		e.squeezeNCHW(z, x, k)
	case wide && sto:
		e.squeezeWideRowsStochastic(z, x, k)
	case wide:
		e.squeezeWideRows(z, x, k)
	default:
		e.squeezeNHWC(z, x, k)
	}
	e.ret()
}

// identity returns the pooling's starting value: 0 for a sum, −Inf for a max.
func (e *emitter) identity(max bool) reg.VecVirtual {
	if max {
		return e.broadcast(float32(math.Inf(-1)))
	}
	return e.zero()
}

// poolConstants returns the registers a squeeze needs besides its
// accumulators: for a max with a tail, −Inf to fill the lanes past it (nil
// otherwise: sums fill with zeros); for an average, the divisor Plane in
// every lane (nil for the others).
func (e *emitter) poolConstants(k Squeeze, t *tail) (fill, div reg.VecVirtual) {
	if k.max() && t != nil {
		fill = e.broadcast(float32(math.Inf(-1)))
	}
	if k.Pool == se.Avg {
		div = e.broadcast(float32(k.Plane))
	}
	return fill, div
}

// squares is the second accumulator of a stochastic squeeze: beside the sum
// Σx it keeps Σx², in the same pass over x.

// startSquares loads the vector at m into sum and sets sq to its square.
func (e *emitter) startSquares(sum, sq reg.VecVirtual, m operand.Mem) {
	e.load(m, sum)
	e.VMULPS(sum, sum, sq)
}

// accumulateSquares adds the vector at m to sum and its square to sq.
func (e *emitter) accumulateSquares(sum, sq reg.VecVirtual, m operand.Mem) {
	v := e.vecLike(sum)
	e.load(m, v)
	e.combineSquares(sum, sq, v)
}

// combineSquares adds v to sum and v² to sq (one FMA).
func (e *emitter) combineSquares(sum, sq, v reg.Register) {
	e.VADDPS(v, sum, sum)
	e.VFMADD231PS(v, v, sq)
}

// cmpNLEUQ is VCMPPS's predicate "not less than or equal, unordered true":
// true where a > b or either is NaN.
const cmpNLEUQ = 0x16

// probabilityWeighted sets sq to the stochastic pool of the lanes whose
// sums are sum = Σx and sq = Σx²: Σx²/Σx where !(Σx ≤ 0) and +0 elsewhere,
// so NaN stays NaN and −Inf gives 0, as se.ProbabilityWeighted. One compare
// makes the mask; the quotient of a lane with Σx ≤ 0 (0/0 included) is
// computed and discarded. sum and sq may be of any width.
func (e *emitter) probabilityWeighted(sum, sq reg.Register) {
	zero := e.vecLike(sum)
	e.VXORPS(zero, zero, zero)
	if e.isa.opmask {
		k := e.K()
		e.VCMPPS(operand.U8(cmpNLEUQ), zero, sum, k)
		e.VDIVPS_Z(sum, sq, k, sq)
		return
	}
	mask := e.vecLike(sum)
	e.VCMPPS(operand.U8(cmpNLEUQ), zero, sum, mask)
	e.VDIVPS(sum, sq, sq)
	e.VANDPS(mask, sq, sq)
}

// halves splits v into its low and high halves (YMM of a ZMM, XMM of a
// YMM); the low half is v itself, narrower.
func (e *emitter) halves(v reg.VecVirtual) (lo reg.Register, hi reg.VecVirtual) {
	if e.isa.Lanes == 16 {
		hi = e.YMM()
		e.VEXTRACTF64X4(operand.U8(1), v, hi)
		return v.AsY(), hi
	}
	hi = e.XMM()
	e.VEXTRACTF128(operand.U8(1), v, hi)
	return v.AsX(), hi
}

// accumulate folds the vector at m into acc.
func (e *emitter) accumulate(max bool, acc reg.VecVirtual, m operand.Mem) {
	if !max {
		e.VADDPS(m, acc, acc)
		return
	}
	v := e.vec()
	e.load(m, v)
	e.maxNaN(acc, v, acc)
}

// The planes, in whole vectors, that squeezeSmallPlanes takes: up to 12 the
// horizontal reduction costs as much as the loads, so sharing it pays
// (196-value planes: 25 % faster); below 4 the four-channel interleaving of
// squeezeNCHW measured faster (49-value planes as three ZMM vectors: 12 %),
// and faster still is to take such planes as YMM vectors (see Squeeze).
const (
	smallPlaneMin = 4
	smallPlaneMax = 12
)

// channelGroups is the pass over the channels of the NCHW squeezes that
// take group channels at a time: channels(group) for each whole group,
// advancing x past the group's planes and z past its results, then
// channels(r) for the r < group channels left, if any.
func (e *emitter) channelGroups(z, x reg.GPVirtual, k Squeeze, group int, channels func(r int)) {
	e.repeat(k.C/group, func() {
		channels(group)
		e.advance(x, group*4*k.Plane)
		e.advance(z, 4*group)
	})
	if r := k.C % group; r > 0 {
		e.Commentf("The last %d channels.", r)
		channels(r)
	}
}

// squeezeFlat averages small planes by reading the sample as one flat run
// of vectors, Lanes channels (exactly Plane vectors) at a time. A plane
// that is not a whole number of vectors makes every per-plane load straddle
// two cache lines, which halves what L1 delivers; here every load is whole
// (and aligned when x is), and a vector that holds the end of one plane and
// the start of the next is added to both channels' accumulators under the
// two halves of an opmask. reduceLanes then sums each accumulator.
func (e *emitter) squeezeFlat(z, x reg.GPVirtual, k Squeeze) {
	L, P := e.isa.Lanes, k.Plane
	div := e.broadcast(float32(P))
	all := uint32(1)<<L - 1
	group := func(r int) {
		out := e.newTail(r % L) // nil for a whole group
		acc := make([]reg.VecVirtual, L)
		for i := range acc {
			acc[i] = e.zero()
		}
		total := r * P
		t := e.newTail(total % L)
		for v := 0; v*L < total; v++ {
			lo, hi := v*L, min(v*L+L, total)
			c0, c1 := lo/P, (hi-1)/P
			val := e.vec()
			e.loadTail(mem(x, 4*lo), tailAt(t, v, (total+L-1)/L), val, nil)
			if c0 == c1 {
				e.VADDPS(val, acc[c0], acc[c0])
				continue
			}
			split := uint32(c1*P - lo) // lanes below go to c0, the rest to c1
			k0, k1 := e.K(), e.K()
			e.KMOVW(e.file.constant(1<<split-1), k0)
			e.KMOVW(e.file.constant(all&^(1<<split-1)), k1)
			e.VADDPS(val, acc[c0], k0, acc[c0])
			e.VADDPS(val, acc[c1], k1, acc[c1])
		}
		res := e.reduceLanes(false, acc)
		e.VDIVPS(div, res, res)
		e.storeTail(res, out, mem(z, 0))
	}
	e.Commentf("Average %d channels of %d positions, %d channels (%d whole vectors) at a time.", k.C, P, L, P)
	e.channelGroups(z, x, k, L, group)
}

// squeezeSmallPlanes reduces planes of a few vectors, Lanes channels at a
// time: one accumulator per channel, then reduceLanes turns the Lanes
// accumulators into one vector of Lanes results, stored at once.
func (e *emitter) squeezeSmallPlanes(z, x reg.GPVirtual, k Squeeze) {
	L := e.isa.Lanes
	full, t := k.Plane/L, e.newTail(k.Plane%L)
	fill, div := e.poolConstants(k, t)
	planeBytes := 4 * k.Plane
	channels := func(r int) {
		out := e.newTail(r % L) // nil for a whole group
		acc := e.vecs(r)
		for i, a := range acc {
			base := i * planeBytes // full ≥ smallPlaneMin: a whole vector first
			e.load(mem(x, base), a)
			for j := 1; j < full; j++ {
				e.accumulate(k.max(), a, mem(x, base+j*4*L))
			}
			if t != nil {
				v := e.vec()
				e.loadTail(mem(x, base+full*4*L), t, v, fill)
				e.combine(k.max(), a, v)
			}
		}
		for len(acc) < L {
			acc = append(acc, acc[0]) // lanes past r are computed and not stored
		}
		v := e.reduceLanes(k.max(), acc)
		if !k.max() {
			e.VDIVPS(div, v, v)
		}
		e.storeTail(v, out, mem(z, 0))
	}
	e.Commentf("Reduce %d channels of %d positions, %d at a time.", k.C, k.Plane, L)
	e.channelGroups(z, x, k, L, channels)
}

// squeezeSmallPlanesStochastic is squeezeSmallPlanes for the stochastic
// pool: Lanes/2 channels at a time, each with a sum and a sum of squares, so
// the same single reduceLanes yields [Σx of the Lanes/2 channels | Σx² of
// the same] in one vector, whose halves give the Lanes/2 results at once.
func (e *emitter) squeezeSmallPlanesStochastic(z, x reg.GPVirtual, k Squeeze) {
	L := e.isa.Lanes
	group := L / 2
	full, t := k.Plane/L, e.newTail(k.Plane%L)
	planeBytes := 4 * k.Plane
	channels := func(r int) {
		out := e.newTail(r % group) // nil for a whole group
		sums, sqs := e.vecs(r), e.vecs(r)
		for i := range sums {
			base := i * planeBytes // full ≥ smallPlaneMin: a whole vector first
			e.startSquares(sums[i], sqs[i], mem(x, base))
			for j := 1; j < full; j++ {
				e.accumulateSquares(sums[i], sqs[i], mem(x, base+j*4*L))
			}
			if t != nil {
				v := e.vec()
				e.loadTail(mem(x, base+full*4*L), t, v, nil)
				e.combineSquares(sums[i], sqs[i], v)
			}
		}
		for len(sums) < group {
			sums, sqs = append(sums, sums[0]), append(sqs, sqs[0]) // lanes past r are computed and not stored
		}
		sum, sq := e.halves(e.reduceLanes(false, append(sums, sqs...)))
		e.probabilityWeighted(sum, sq)
		e.storeTail(sq, out, mem(z, 0))
	}
	e.Commentf("Reduce %d channels of %d positions to Σx and Σx², %d at a time.", k.C, k.Plane, group)
	e.channelGroups(z, x, k, group, channels)
}

// longPlane is the plane, in vectors, from which squeezeLongPlanes takes
// over: the horizontal sum per channel is then noise.
const longPlane = 32

// longPlaneAccs is the accumulators, and vectors per loop step, of
// squeezeLongPlanes.
const longPlaneAccs = 8

// squeezeLongPlanes reduces one channel at a time, reading its plane as a
// single sequential stream into eight accumulators, the access pattern the
// hardware prefetchers serve best.
func (e *emitter) squeezeLongPlanes(z, x reg.GPVirtual, k Squeeze) {
	t := e.newTail(k.Plane % e.isa.Lanes)
	fill, div := e.poolConstants(k, t)
	e.Commentf("Reduce %d channels of %d positions, one at a time.", k.C, k.Plane)
	e.streamPlanes(z, x, k, t, fill, func() planeSteps {
		acc := e.vecs(longPlaneAccs)
		return planeSteps{
			first: func(i int, m operand.Mem) { e.load(m, acc[i]) },
			add:   func(i int, m operand.Mem) { e.accumulate(k.max(), acc[i], m) },
			tail:  func(v reg.VecVirtual) { e.combine(k.max(), acc[longPlaneAccs-1], v) },
			end: func() {
				r := e.reduce1(k.max(), e.fold(k.max(), acc))
				if !k.max() {
					e.VDIVSS(div.AsX(), r, r)
				}
				e.VMOVSS(r, mem(z, 0))
			},
		}
	})
}

// squeezeLongPlanesStochastic is squeezeLongPlanes for the stochastic
// pool: the same eight vectors per step, each added to a sum and its square
// to a sum of squares. Eight pairs of accumulators need 16 registers, more
// than AVX2 has besides the loads, so there vector i of a step goes to pair
// i mod 4 and each pair takes two per step.
func (e *emitter) squeezeLongPlanesStochastic(z, x reg.GPVirtual, k Squeeze) {
	pairs := longPlaneAccs
	if 2*pairs+2 > e.isa.Regs {
		pairs /= 2
	}
	t := e.newTail(k.Plane % e.isa.Lanes)
	e.Commentf("Reduce %d channels of %d positions to Σx and Σx², one at a time, in %d pairs of accumulators.", k.C, k.Plane, pairs)
	e.streamPlanes(z, x, k, t, nil, func() planeSteps {
		sums, sqs := e.vecs(pairs), e.vecs(pairs)
		add := func(i int, m operand.Mem) { e.accumulateSquares(sums[i%pairs], sqs[i%pairs], m) }
		return planeSteps{
			first: func(i int, m operand.Mem) {
				if i < pairs {
					e.startSquares(sums[i], sqs[i], m)
				} else {
					add(i, m)
				}
			},
			add:  add,
			tail: func(v reg.VecVirtual) { e.combineSquares(sums[pairs-1], sqs[pairs-1], v) },
			end: func() {
				sum, sq := e.reduce1(false, e.fold(false, sums)), e.reduce1(false, e.fold(false, sqs))
				e.probabilityWeighted(sum, sq)
				e.VMOVSS(sq, mem(z, 0))
			},
		}
	})
}

// planeSteps is what streamPlanes does with one channel's plane: first and
// add fold in vector i of the first step and of a later one (or of the
// rest, which has fewer), tail the partial vector at the end, and end
// reduces the accumulators and stores the channel's result at z.
type planeSteps struct {
	first, add func(i int, m operand.Mem)
	tail       func(v reg.VecVirtual)
	end        func()
}

// streamPlanes is the pass of squeezeLongPlanes and its stochastic twin:
// for each channel, steps of longPlaneAccs vectors through its plane, in
// memory order, into the accumulators channel makes; the rest, then the
// partial vector t covers, loaded with fill past it.
func (e *emitter) streamPlanes(z, x reg.GPVirtual, k Squeeze, t *tail, fill reg.VecVirtual, channel func() planeSteps) {
	L := e.isa.Lanes
	const unroll = longPlaneAccs
	full := k.Plane / L
	e.repeat(k.C, func() {
		s := channel()
		for i := range unroll {
			s.first(i, mem(x, i*4*L))
		}
		e.advance(x, unroll*4*L)
		e.repeat(full/unroll-1, func() {
			for i := range unroll {
				s.add(i, mem(x, i*4*L))
			}
			e.advance(x, unroll*4*L)
		})
		rest := full % unroll
		for i := range rest {
			s.add(i, mem(x, i*4*L))
		}
		if t != nil {
			v := e.vec()
			e.loadTail(mem(x, rest*4*L), t, v, fill)
			s.tail(v)
		}
		s.end()
		e.advance(x, 4*(k.Plane-full/unroll*unroll*L))
		e.advance(z, 4)
	})
}

// nchwUnrollMax is the chunks per channel that squeezeNCHW writes out
// without a loop.
const nchwUnrollMax = 8

// squeezeNCHW reduces each contiguous channel plane. Four channels are
// reduced together so their horizontal sums share one transpose; inside a
// channel two accumulators alternate so the adds overlap. The stochastic
// pool takes two channels, each with two alternating pairs of a sum and a
// sum of squares, so the transpose gives [Σx Σx | Σx² Σx²] of both.
func (e *emitter) squeezeNCHW(z, x reg.GPVirtual, k Squeeze) {
	L := e.isa.Lanes
	full, t := k.Plane/L, e.newTail(k.Plane%L)
	fill, div := e.poolConstants(k, t)
	planeBytes := 4 * k.Plane
	const unrollMax = nchwUnrollMax
	sto := k.Pool == se.Stochastic
	group, word := 4, "four"
	if sto {
		group, word = 2, "two"
	}

	channels := func(r int) {
		acc := make([][2]reg.VecVirtual, r)
		var sq [][2]reg.VecVirtual
		for i := range acc {
			acc[i] = [2]reg.VecVirtual{e.identity(k.max()), e.identity(k.max())}
			if sto {
				sq = append(sq, [2]reg.VecVirtual{e.zero(), e.zero()})
			}
		}
		add := func(i, j int, m operand.Mem) {
			if sto {
				e.accumulateSquares(acc[i][j], sq[i][j], m)
			} else {
				e.accumulate(k.max(), acc[i][j], m)
			}
		}
		p := x
		chunk := 0 // chunks of every channel already folded, relative to p
		if full > unrollMax {
			p = e.copyPointer(x)
			e.repeat(full/2, func() {
				for j := range 2 {
					for i := range r {
						add(i, j, mem(p, i*planeBytes+j*4*L))
					}
				}
				e.advance(p, 2*4*L)
			})
			full2 := full % 2
			for i := range r {
				for j := range full2 {
					add(i, j, mem(p, i*planeBytes+j*4*L))
				}
			}
			chunk = full2
		} else {
			for j := range full {
				for i := range r {
					add(i, j%2, mem(p, i*planeBytes+j*4*L))
				}
			}
			chunk = full
		}
		if t != nil {
			for i := range r {
				v := e.vec()
				e.loadTail(mem(p, i*planeBytes+chunk*4*L), t, v, fill)
				if sto {
					e.combineSquares(acc[i][1], sq[i][1], v)
				} else {
					e.combine(k.max(), acc[i][1], v)
				}
			}
		}
		if sto {
			for i := range r {
				e.combine(false, acc[i][0], acc[i][1])
				e.combine(false, sq[i][0], sq[i][1])
			}
			last := r - 1
			res := e.reduce4(false, [4]reg.VecVirtual{acc[0][0], acc[last][0], sq[0][0], sq[last][0]})
			sqs := e.XMM()
			e.VMOVHLPS(res, res, sqs) // Σx² of both channels in lanes 0 and 1
			e.probabilityWeighted(res, sqs)
			e.storeXTail(sqs, r, mem(z, 0))
			return
		}
		var vs [4]reg.VecVirtual
		for i := range vs {
			a := acc[min(i, r-1)]
			if i < r {
				e.combine(k.max(), a[0], a[1])
			}
			vs[i] = a[0]
		}
		res := e.reduce4(k.max(), vs)
		if !k.max() {
			e.VDIVPS(div.AsX(), res, res)
		}
		e.storeXTail(res, r, mem(z, 0))
	}

	e.Commentf("Reduce %d channels of %d positions, %s at a time.", k.C, k.Plane, word)
	e.channelGroups(z, x, k, group, channels)
}

// wideRow is the row width, in vectors, above which squeezeWideRows streams
// rows through z instead of holding columns in registers.
const wideRow = 24

// wideRowsStep is the rows squeezeWideRows folds into z per step.
const wideRowsStep = 4

// squeezeWideRows pools NHWC rows too wide for the registers. Taking blocks
// of columns down all rows would stride through memory a page at a time, so
// instead rows stream in order, four per step, folded into z, which stays
// in L1: per four input vectors, one load and one store of z.
func (e *emitter) squeezeWideRows(z, x reg.GPVirtual, k Squeeze) {
	L := e.isa.Lanes
	vectors, t := (k.C+L-1)/L, e.newTail(k.C%L)
	var fill reg.VecVirtual
	if k.max() && t != nil {
		fill = e.broadcast(float32(math.Inf(-1)))
	}
	rowBytes := 4 * k.C
	// fold folds rows [0, rows) at x into z, or sets z to them when first.
	fold := func(rows int, first bool) {
		for j := range vectors {
			tj := tailAt(t, j, vectors)
			var acc reg.VecVirtual
			for r := range rows {
				v := e.vec()
				e.loadTail(mem(x, r*rowBytes+j*4*L), tj, v, fill)
				if acc == nil {
					acc = v
				} else {
					e.combine(k.max(), acc, v)
				}
			}
			zm := mem(z, j*4*L)
			if !first {
				v := e.vec()
				e.loadTail(zm, tj, v, fill)
				e.combine(k.max(), acc, v)
			}
			e.storeTail(acc, tj, zm)
		}
	}
	e.streamRows(x, k, "z =", fold)
	if !k.max() {
		div := e.broadcast(float32(k.Plane))
		for j := range vectors {
			v, tj, zm := e.vec(), tailAt(t, j, vectors), mem(z, j*4*L)
			e.loadTail(zm, tj, v, nil)
			e.VDIVPS(div, v, v)
			e.storeTail(v, tj, zm)
		}
	}
}

// squeezeWideRowsStochastic is squeezeWideRows for the stochastic pool:
// rows stream in order as there, folded into z (Σx) and into Σx² on the
// stack, the two running rows staying in L1 side by side; a last pass turns
// them into z. The frame of 4·C bytes is too large for a NOSPLIT function,
// so this one lets the Go assembler insert its stack check.
func (e *emitter) squeezeWideRowsStochastic(z, x reg.GPVirtual, k Squeeze) {
	e.Attributes(0)
	L := e.isa.Lanes
	vectors, t := (k.C+L-1)/L, e.newTail(k.C%L)
	squares := e.AllocLocal(4 * L * vectors)
	rowBytes := 4 * k.C
	// fold folds rows [0, rows) at x into z and squares, or sets them when
	// first.
	fold := func(rows int, first bool) {
		for j := range vectors {
			tj := tailAt(t, j, vectors)
			sum, sq := e.vec(), e.vec()
			for r := range rows {
				m := mem(x, r*rowBytes+j*4*L)
				switch {
				case r > 0:
					v := e.vec()
					e.loadTail(m, tj, v, nil)
					e.combineSquares(sum, sq, v)
				case tj != nil:
					e.loadTail(m, tj, sum, nil)
					e.VMULPS(sum, sum, sq)
				default:
					e.startSquares(sum, sq, m)
				}
			}
			zm, qm := mem(z, j*4*L), squares.Offset(j*4*L)
			if !first {
				v := e.vec()
				e.loadTail(zm, tj, v, nil)
				e.VADDPS(v, sum, sum)
				e.VADDPS(qm, sq, sq) // the stack row is whole: C rounded up to vectors
			}
			e.storeTail(sum, tj, zm)
			e.store(sq, qm)
		}
	}
	e.streamRows(x, k, "z, squares = Σx, Σx² of", fold)
	e.Comment("z = squares/z where z > 0 (or NaN), else 0.")
	for j := range vectors {
		sum, sq, tj, zm := e.vec(), e.vec(), tailAt(t, j, vectors), mem(z, j*4*L)
		e.loadTail(zm, tj, sum, nil)
		e.load(squares.Offset(j*4*L), sq)
		e.probabilityWeighted(sum, sq)
		e.storeTail(sq, tj, zm)
	}
}

// streamRows is the pass over the rows of squeezeWideRows and its
// stochastic twin: fold(rows, first) folds the rows [0, rows) at x into the
// running rows (into names them in the comments: "z ="), setting them when
// first. The first wideRowsStep rows set them; the others are folded in,
// wideRowsStep per step, in memory order.
func (e *emitter) streamRows(x reg.GPVirtual, k Squeeze, into string, fold func(rows int, first bool)) {
	rowBytes := 4 * k.C
	const step = wideRowsStep
	first := min(step, k.Plane)
	e.Commentf("%s the first %d rows of %d channels.", into, first, k.C)
	fold(first, true)
	e.advance(x, first*rowBytes)
	rest := k.Plane - first
	e.Commentf("Fold in the other %d rows, %d per step.", rest, step)
	e.repeat(rest/step, func() {
		fold(step, false)
		e.advance(x, step*rowBytes)
	})
	if r := rest % step; r > 0 {
		fold(r, false)
	}
}

// rowsPerStep returns how many NHWC rows of the given width, in vectors, a
// loop step takes: enough for about eight independent vectors, at most
// maxRowsPerStep rows.
func rowsPerStep(width int) int { return min(max(8/width, 1), maxRowsPerStep) }

const maxRowsPerStep = 4

// squeezeColumns returns the column block, in vectors, of squeezeNHWC: half
// the registers, less two for the divisor and a loaded tail; half that for
// the stochastic pool, whose columns have two accumulators each.
func (isa ISA) squeezeColumns(pool se.Pool) int {
	if pool == se.Stochastic {
		return (isa.Regs/2 - 2) / 2
	}
	return isa.Regs/2 - 2
}

// rowsPerStepOf is rowsPerStep for a block of width vectors of the pool:
// the stochastic pool counts two accumulators per column.
func rowsPerStepOf(pool se.Pool, width int) int {
	if pool == se.Stochastic {
		return rowsPerStep(2 * width)
	}
	return rowsPerStep(width)
}

// squeezeNHWC sums rows of C values: every channel is a column, so the
// reduction is vertical and needs no shuffles. Columns are taken in blocks
// that fit the registers; narrow blocks take several rows per step so enough
// independent adds are in flight.
func (e *emitter) squeezeNHWC(z, x reg.GPVirtual, k Squeeze) {
	L := e.isa.Lanes
	vectors, t := (k.C+L-1)/L, e.newTail(k.C%L)
	fill, div := e.poolConstants(k, t)
	rowBytes := 4 * k.C
	block := e.isa.squeezeColumns(k.Pool)
	sto := k.Pool == se.Stochastic

	for b0 := 0; b0 < vectors; b0 += block {
		width := min(block, vectors-b0)
		rows := rowsPerStepOf(k.Pool, width)
		e.Commentf("Columns %d to %d, %d row(s) per step.", b0*L, min((b0+width)*L, k.C)-1, rows)
		acc := make([][]reg.VecVirtual, rows)
		sq := make([][]reg.VecVirtual, rows)
		for r := range acc {
			acc[r] = make([]reg.VecVirtual, width)
			for j := range acc[r] {
				acc[r][j] = e.identity(k.max())
			}
			if sto {
				sq[r] = make([]reg.VecVirtual, width)
				for j := range sq[r] {
					sq[r][j] = e.zero()
				}
			}
		}
		fold := func(p reg.GPVirtual, r, set int) {
			for j := range width {
				m := mem(p, r*rowBytes+(b0+j)*4*L)
				tj := tailAt(t, b0+j, vectors)
				switch {
				case sto:
					v := e.vec()
					e.loadTail(m, tj, v, nil)
					e.combineSquares(acc[set][j], sq[set][j], v)
				case tj != nil:
					v := e.vec()
					e.loadTail(m, tj, v, fill)
					e.combine(k.max(), acc[set][j], v)
				default:
					e.accumulate(k.max(), acc[set][j], m)
				}
			}
		}
		p := e.copyPointer(x)
		e.repeat(k.Plane/rows, func() {
			for r := range rows {
				fold(p, r, r)
			}
			e.advance(p, rows*rowBytes)
		})
		for r := range k.Plane % rows {
			fold(p, r, r)
		}
		for j := range width {
			for r := 1; r < rows; r++ {
				e.combine(k.max(), acc[0][j], acc[r][j])
				if sto {
					e.combine(false, sq[0][j], sq[r][j])
				}
			}
			v := acc[0][j]
			switch {
			case sto:
				e.probabilityWeighted(v, sq[0][j])
				v = sq[0][j]
			case !k.max():
				e.VDIVPS(div, v, v)
			}
			e.storeTail(v, tailAt(t, b0+j, vectors), mem(z, (b0+j)*4*L))
		}
	}
}

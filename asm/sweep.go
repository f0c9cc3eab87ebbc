package asm

import (
	"slices"

	"github.com/segen/segen/se"
)

// Sweep returns SE block shapes that together take every path the SE
// emitters have on isa: for each threshold an emitter decides by — plane and
// row widths, in vectors, at which squeeze, scale and the FC layers change
// algorithm, unroll or loop — the sizes one below, at and one above it, as
// whole vectors and with a tail; every tail width; both layouts; every
// pool; FC rows of every count of accumulators, with every remainder of the
// row grouping; with and without biases. The thresholds are the emitters'
// own constants, so the sweep moves with them; a branch that no threshold
// here names shows up as an uncovered line when the sweep is emitted with
// coverage on (.ci/run checks).
func Sweep(isa ISA) []se.Shape {
	var w sweep
	w.nchw(isa)
	w.nhwc(isa)
	w.fc(isa)
	return w.shapes
}

// sweep accumulates the shapes; its counters cycle tails, hidden sizes,
// pools and biases through the shapes so that each value turns up often.
type sweep struct {
	shapes []se.Shape
	seen   map[se.Shape]bool
	n      int // shapes offered so far
	tail   int // the last tail width handed out
}

// add records s, and its bias from the alternation, unless already there.
func (w *sweep) add(s se.Shape) {
	w.n++
	s.Bias = w.n%2 == 0
	if w.seen == nil {
		w.seen = map[se.Shape]bool{}
	}
	if !w.seen[s] {
		w.seen[s] = true
		w.shapes = append(w.shapes, s)
	}
}

// nextTail returns the next non-zero tail width of an isa-wide vector,
// cycling through all of them.
func (w *sweep) nextTail(isa ISA) int {
	w.tail = w.tail%(isa.Lanes-1) + 1
	return w.tail
}

// around returns each threshold (all at least 1) with its neighbours, sorted.
func around(thresholds ...int) []int {
	var out []int
	for _, t := range thresholds {
		out = append(out, t-1, t, t+1)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// pools is every squeeze reduction.
var pools = []se.Pool{se.Avg, se.Max, se.Stochastic}

// nchw adds planes around every threshold of the NCHW squeeze and scale.
// The channels cover one and several groups of Lanes (and of four) with a
// remainder; the hidden sizes stay small.
func (w *sweep) nchw(isa ISA) {
	L := isa.Lanes
	channels := []int{2*L + 3, L + 1, 4*3 + 1, 2 * L, 3, L - 1}
	vectors := around(1, smallPlaneMin, smallPlaneMax+1, 2*scaleUnroll+1, longPlane)
	vectors = append(vectors, longPlane+longPlaneAccs+1) // the long loop twice, with a rest
	for i, v := range vectors {
		c := channels[i%len(channels)]
		w.add(se.Shape{Layout: se.NCHW, C: c, H: 1, W: v*L + w.nextTail(isa), Hidden: 1 + i%c, Squeeze: pools[i%len(pools)]})
		if v > 0 {
			w.add(se.Shape{Layout: se.NCHW, C: c, H: 1, W: v * L, Hidden: min(c, 3), Squeeze: pools[(i+1)%len(pools)]})
		}
	}
}

// nhwc adds row widths around the NHWC squeeze's rows per step, column
// blocks and wide rows, and the scale's registers and chunks, over planes
// that leave every remainder of the rows per step.
func (w *sweep) nhwc(isa ISA) {
	L := isa.Lanes
	widths := around(3, 5, // where rowsPerStep changes
		isa.squeezeColumns(se.Avg)+1, 2*isa.squeezeColumns(se.Avg)+1, wideRow+1,
		isa.scaleRegsMax()+1, max(isa.scaleRegsMax()+1, 2*rowChunk+1))
	planes := []int{1, 2, 3, maxRowsPerStep + 1, 2*wideRowsStep + 3, 7}
	for i, v := range widths {
		plane := planes[i%len(planes)]
		c := v*L + w.nextTail(isa)
		w.add(se.Shape{Layout: se.NHWC, C: c, H: plane, W: 1, Hidden: min(c, 2+i%3), Squeeze: pools[i%len(pools)]})
		if v > 0 {
			w.add(se.Shape{Layout: se.NHWC, C: v * L, H: 1, W: plane, Hidden: min(v*L, 5), Squeeze: pools[(i+1)%len(pools)]})
		}
	}
	// The stochastic pool's column blocks are half as wide, and its rows
	// per step change at other widths (two accumulators per column).
	for i, v := range around(2, 3, isa.squeezeColumns(se.Stochastic)+1, 2*isa.squeezeColumns(se.Stochastic)+1) {
		c := v*L + w.nextTail(isa)
		w.add(se.Shape{Layout: se.NHWC, C: c, H: planes[(i+1)%len(planes)], W: 1, Hidden: min(c, 1+i%4), Squeeze: se.Stochastic})
	}
}

// fc adds one-pixel blocks for the FC layers. FC2 has C rows of hidden
// values: rows of every count of accumulators up to fcAccs, around the
// unrolled limit, and looping with a rest, each first with a remainder of
// one row after the groups (where a single row sums all its accumulators),
// then with the other remainders. Rows of at most one vector (hidden ≤
// Lanes) go through the transpose for C around Lanes and twice Lanes,
// including the eight-value rows AVX-512 takes as YMM vectors.
func (w *sweep) fc(isa ISA) {
	L := isa.Lanes
	chunks := around(1, 3, 5, 7) // 0 to fcAccs
	chunks = append(chunks, fcUnrollMax, fcUnrollMax+1, fcUnrollMax+fcAccs+2)
	for i, v := range chunks {
		hidden := v * L
		if v == 0 || i%2 == 1 {
			hidden += w.nextTail(isa)
		}
		rest := 1
		if v > fcAccs {
			rest = i % fcGroup
		}
		c := (hidden+fcGroup-1)/fcGroup*fcGroup + fcGroup + rest
		w.add(se.Shape{Layout: se.NHWC, C: c, H: 1, W: 1, Hidden: hidden, Squeeze: pools[i%len(pools)]})
	}
	for _, c := range around(L, 2*L) {
		for _, h := range []int{L, AVX2.Lanes, 1 + w.nextTail(isa)%L} {
			w.add(se.Shape{Layout: se.NHWC, C: c, H: 1, W: 1, Hidden: min(c, h), Squeeze: se.Avg})
		}
	}
}

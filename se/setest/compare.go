package setest

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/segen/segen/se"
)

// The loops in this file walk every value of every buffer after every call.
// They only read the checker's own buffers from one goroutine, so they are
// marked //go:norace: under -race an instrumented loop is ~10× slower and
// would dominate a generated package's test time while checking nothing.

// compare returns "" if got matches want within the op's tolerance (atol < 0
// means exactly), else a description of the first few mismatches.
func (c *checker) compare(op se.Op, got, want []float32, atol float64) string {
	bad, count := mismatches(got, want, atol, 3)
	if count == 0 {
		return ""
	}
	rule := " (must be exact)"
	if atol >= 0 {
		rule = fmt.Sprintf(" (tolerance %.3g + %g·|want|)", atol, rtol)
	}
	return c.describe(op, got, want, bad, count, rule, nil)
}

// compareSpans is compare for a stochastic Squeeze: got[i] must be in
// spans[i] (see stochastic.go).
func (c *checker) compareSpans(got, want []float32, spans []span) string {
	var bad []int
	count := 0
	for i, g := range got {
		if !spans[i].admits(g, want[i]) {
			if count < 3 {
				bad = append(bad, i)
			}
			count++
		}
	}
	if count == 0 {
		return ""
	}
	return c.describe(se.Squeeze, got, want, bad, count, " (bounds from the condition of each channel's Σx)", spans)
}

// describe reports count mismatches of op under rule, naming the first ones
// (bad) with the value got, the reference's want and, for a stochastic
// Squeeze, the span allowed.
func (c *checker) describe(op se.Op, got, want []float32, bad []int, count int, rule string, spans []span) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d values differ%s", count, len(got), rule)
	for i, j := range bad {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " [%d] (%s) = %v, want %v", j, c.coords(op, j), got[j], want[j])
		if spans != nil {
			b.WriteString(spans[j].String())
		}
		if math.IsNaN(float64(want[j])) && math.IsInf(float64(got[j]), 0) && (op == se.Forward || op == se.ForwardAddReLU) {
			b.WriteString(" (Inf × gate 0: is sigmoid(−Inf) exactly 0?)")
		}
	}
	return b.String()
}

// coords names the sample, channel and pixel of index i of op's output.
func (c *checker) coords(op se.Op, i int) string {
	s := c.s
	if op == se.Squeeze || op == se.Excite {
		return fmt.Sprintf("sample %d, channel %d", i/s.C, i%s.C)
	}
	n, j := i/s.Size(), i%s.Size()
	ch, px := channel(s, j), j%s.Plane()
	if s.Layout == se.NHWC {
		px = j / s.C
	}
	return fmt.Sprintf("sample %d, channel %d, h %d, w %d", n, ch, px/s.W, px%s.W)
}

// mismatches returns the indices of the first limit values of got that do not
// match want, and how many do not. NaN matches only NaN and ±Inf only
// itself; otherwise |got−want| ≤ atol + rtol·|want|, or got == want if
// atol < 0.
//
//go:norace
func mismatches(got, want []float32, atol float64, limit int) (first []int, count int) {
	for i, g := range got {
		w := want[i]
		if g == w || (g != g && w != w) {
			continue
		}
		finite := -math.MaxFloat32 <= w && w <= math.MaxFloat32 // math.IsInf is checked under -race
		if atol >= 0 && finite {
			d, tol := abs(float64(g)-float64(w)), atol+rtol*abs(float64(w))
			if d <= tol { // false for NaN or Inf got
				continue
			}
		}
		if count < limit {
			first = append(first, i)
		}
		count++
	}
	return first, count
}

// bits returns v's memory as bit patterns. Comparing bits rather than
// floats tells −0 from +0 and one NaN from another, and converting the slice
// once rather than each value (math.Float32bits) keeps -race's pointer
// checks out of the loops.
func bits(v []float32) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
}

// fillBits sets every value of v to the float with bits b.
//
//go:norace
func fillBits(v []float32, b uint32) {
	u := bits(v)
	for i := range u {
		u[i] = b
	}
}

// firstDiff returns the first index of v whose bits are not b, or -1.
//
//go:norace
func firstDiff(v []float32, b uint32) int {
	for i, u := range bits(v) {
		if u != b {
			return i
		}
	}
	return -1
}

// lastDiff returns the last index of v whose bits are not b, or -1.
//
//go:norace
func lastDiff(v []float32, b uint32) int {
	u := bits(v)
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] != b {
			return i
		}
	}
	return -1
}

// firstChange returns the first index where the bits of v and was differ,
// or -1.
//
//go:norace
func firstChange(v, was []float32) int {
	a, b := bits(v), bits(was)
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// abs is math.Abs without its unsafe conversions, which -race checks on
// every call.
func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

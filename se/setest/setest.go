// Package setest is the conformance suite and benchmark helpers for
// se.Kernel implementations. Every generated kernel package runs Check on
// each block and instruction set, and Benchmark for `go test -bench`, so the
// rules a kernel must follow are written (and tested) once, here.
package setest

import (
	"fmt"
	"runtime/debug"
	"testing"

	"github.com/segen/segen/se"
)

// Check tests every method of k against se.Generic(k.Shape()):
//
//   - batches 1 to 4 (1 and 2 for samples above 2¹⁸ floats);
//   - every slice (x, z, s, res, dst and the params' W1, B1, W2, B2) placed
//     directly against an inaccessible page after its end, or before its
//     start, and 1–3 floats past a 64-byte boundary, so over-reads and
//     over-writes fault and misaligned loads are exercised; sentinels fill
//     the rest of each mapping, and outputs are poisoned before each call,
//     so stray writes and unwritten outputs show up too;
//   - in place: dst = x for se.Scale, se.ScaleAddReLU, se.Forward and se.ForwardAddReLU,
//     dst = res for the AddReLU variants, and s = z for se.Excite;
//   - NaN, +Inf and −Inf in x, res, z and s: a NaN must come out where the
//     reference has one and nowhere else, and ±Inf exactly where it has them
//     (so the sigmoid must map ±Inf to exactly 1 and 0: Inf × 0 = NaN);
//   - inputs left unchanged, and no writes outside the outputs;
//   - length mismatches and partial overlaps panic before any write;
//   - two goroutines running the kernel at once (run with -race to catch
//     shared scratch in Go code).
//
// Results may differ from the generic code's by summation order, FMA and a
// polynomial sigmoid: a value passes if |got−want| ≤ atol + 1e-4·|want|, where
// atol is 1e-5 times the largest magnitude the op's result can have (max|x|
// for se.Squeeze, 1 for the gates, max|x|·max|s| + max|res| for se.ScaleAddReLU…).
// A max squeeze has no rounding, so it must be exact. A stochastic squeeze
// (Σx²/Σx) is held to the interval its definition, evaluated in float64 from
// the input, allows each channel given that condition number (stochastic.go).
//
// A failure names the kernel's Impl and Shape, the op, the batch, the
// placement, and the first few mismatching indices with got and want; each
// op reports at most a few failures. Memory faults are recovered (Check
// turns on debug.SetPanicOnFault) and reported with the slice they hit.
func Check(t *testing.T, k se.Kernel) {
	t.Helper()
	check(t, k)
}

// reporter is the part of *testing.T that check needs, so this package's
// tests can run check on broken kernels and inspect what it reports.
type reporter interface {
	Errorf(format string, args ...any)
}

// Tolerances of the comparison with the generic kernel.
const (
	rtol = 1e-4
	atol = 1e-5 // times the op's scale
)

// maxReports bounds the failures each op reports, so a broken kernel gives
// a readable error instead of thousands of lines. An op that used up its
// budget is not called again.
const maxReports = 3

// Sample sizes (floats per sample) above which Check runs fewer
// combinations, to keep a generated package's test well under a minute on
// two cores, even under -race where plain Go is ~10× slower. Every case still
// runs at every size; only batch × placement repetitions are cut.
const (
	smallSize = 1 << 14 // up to here: every batch with every placement
	largeSize = 1 << 18 // above: batches 1 and 2, one case of each placement
)

func check(r reporter, k se.Kernel) {
	s := k.Shape()
	if err := s.Validate(); err != nil {
		r.Errorf("%s: Shape() is invalid: %v", k.Impl(), err)
		return
	}
	// Faults against guard pages become panics that call can recover and
	// report, instead of killing the test binary.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))

	c := &checker{r: r, k: k, s: s, budget: map[se.Op]int{}}
	for _, op := range se.Ops() {
		c.budget[op] = maxReports
	}
	trials := plan(s.Size())
	normal, special := datasets(s, trials)
	for _, t := range trials {
		d := normal
		if t.special {
			d = special
		}
		c.trial(d, t)
	}
	c.lengths(normal)
	c.concurrent(normal)
}

// checker holds one Check's state.
type checker struct {
	r      reporter
	k      se.Kernel
	s      se.Shape
	budget map[se.Op]int // failures each op may still report
}

func (c *checker) errorf(op se.Op, format string, args ...any) {
	if c.budget[op] <= 0 {
		return
	}
	c.budget[op]--
	msg := fmt.Sprintf(format, args...)
	if c.budget[op] == 0 {
		msg += fmt.Sprintf(" [%s: further failures not reported]", op)
	}
	c.r.Errorf("%s %v: %s %s", c.k.Impl(), c.s, op, msg)
}

// trial is one run of every method: the batch size, where the slices sit,
// and whether the inputs hold NaN and ±Inf.
type trial struct {
	n       int
	pl      placement
	special bool
}

// placement says where each slice of a trial sits in its guarded mapping.
type placement struct {
	atEnd bool // every slice ends at a guard page
	off   int  // else x starts off floats after a guard page; each further slice one float more, mod 4
}

func (p placement) String() string {
	switch {
	case p.atEnd:
		return "slices ending at a guard page"
	case p.off == 0:
		return "slices starting at a guard page"
	}
	return fmt.Sprintf("unaligned slices (x %d float(s) after a page boundary, the others 0–3)", p.off)
}

// plan returns the trials for a sample of size floats. Small shapes get the
// full battery; larger ones keep every placement and batch size at least
// once but fewer of their combinations. The NaN/Inf trials cover batch 1
// (NaN, +Inf and −Inf in one sample) and, where affordable, batch 4 (one
// sample each with NaN and both Infs, a clean one, +Inf only and −Inf only).
func plan(size int) []trial {
	start, end := placement{}, placement{atEnd: true}
	off := func(k int) placement { return placement{off: k} }
	switch {
	case size <= smallSize:
		var ts []trial
		for n := 1; n <= 4; n++ {
			for _, pl := range []placement{start, end, off(1), off(2), off(3)} {
				ts = append(ts, trial{n, pl, false})
			}
			ts = append(ts, trial{n, []placement{end, off(1), start, off(3)}[n-1], true})
		}
		return ts
	case size <= largeSize:
		return []trial{
			{1, start, false}, {1, end, false}, {2, off(1), false}, {3, off(2), false}, {4, off(3), false},
			{1, off(1), true}, {4, end, true},
		}
	}
	return []trial{{1, end, false}, {1, off(1), false}, {2, start, false}, {1, off(3), true}}
}

package setest

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/segen/segen/se"
)

// lengths checks that arguments that do not fit the shape panic, and that
// the kernel panics before writing anything: kernels must check lengths in
// Go before entering assembly, which has no bounds checks.
func (c *checker) lengths(d *dataset) {
	s, k := c.s, c.k
	size, C := s.Size(), s.C
	in := func(n int) []float32 { return make([]float32, n) }
	out := func(n int) []float32 {
		v := make([]float32, n)
		fillBits(v, math.Float32bits(poison))
		return v
	}
	p := cloneParams(d.p)
	short := cloneParams(d.p)
	short.W2 = short.W2[:len(short.W2)-1]
	wrongBias := cloneParams(d.p) // biases missing, or present on a shape without them
	if s.Bias {
		wrongBias.B1 = nil
	} else {
		wrongBias.B1 = make([]float32, s.Hidden)
	}

	type lcase struct {
		op   se.Op
		what string
		outs [][]float32 // must still hold poison after the panic
		f    func()
	}
	var cases []lcase
	add := func(op se.Op, what string, f func(), outs ...[]float32) {
		cases = append(cases, lcase{op, what, outs, f})
	}
	{
		z := out(C)
		add(se.Squeeze, "len(x) = C×H×W+1", func() { k.Squeeze(z, in(size+1)) }, z)
	}
	{
		z := out(2 * C)
		add(se.Squeeze, "len(z) = 2·C for one sample", func() { k.Squeeze(z, in(size)) }, z)
	}
	{
		sc := out(2 * C)
		add(se.Excite, "len(s) = 2·C, len(z) = C", func() { k.Excite(sc, in(C), p) }, sc)
	}
	{
		sc := out(C)
		add(se.Excite, "len(W2) one short", func() { k.Excite(sc, in(C), short) }, sc)
	}
	{
		dst := out(2 * size)
		add(se.Scale, "len(dst) = 2·C×H×W for one sample", func() { k.Scale(dst, in(size), in(C)) }, dst)
	}
	{
		dst := out(size)
		add(se.Scale, "len(s) = 2·C for one sample", func() { k.Scale(dst, in(size), in(2*C)) }, dst)
	}
	{
		dst := out(size)
		add(se.ScaleAddReLU, "len(res) one short", func() { k.ScaleAddReLU(dst, in(size), in(C), in(size-1)) }, dst)
	}
	{
		dst := out(size)
		add(se.ScaleAddReLU, "len(dst) one sample, the rest two", func() { k.ScaleAddReLU(dst, in(2*size), in(2*C), in(2*size)) }, dst)
	}
	add(se.Forward, "empty x and dst", func() { k.Forward(out(0), in(0), p) })
	{
		dst := out(size)
		add(se.Forward, "nil params", func() { k.Forward(dst, in(size), nil) }, dst)
	}
	{
		dst := out(size)
		add(se.ForwardAddReLU, "len(res) = 2·C×H×W for one sample", func() { k.ForwardAddReLU(dst, in(size), in(2*size), p) }, dst)
	}
	{
		dst := out(size)
		what := "params without B1 on a shape with biases"
		if !s.Bias {
			what = "params with B1 on a shape without biases"
		}
		add(se.ForwardAddReLU, what, func() { k.ForwardAddReLU(dst, in(size), in(size), wrongBias) }, dst)
	}
	// Partial overlaps; slices of one value cannot overlap partially.
	if size >= 2 {
		b1, b2, b3, b4 := out(size+1), out(size+1), out(size+1), out(2*size)
		add(se.Scale, "dst overlapping x one float apart", func() { k.Scale(b1[:size], b1[1:], in(C)) }, b1)
		add(se.ScaleAddReLU, "dst overlapping res one float apart", func() { k.ScaleAddReLU(b2[1:], in(size), in(C), b2[:size]) }, b2)
		add(se.Forward, "dst overlapping x one float apart", func() { k.Forward(b3[1:], b3[:size], p) }, b3)
		add(se.ForwardAddReLU, "dst sharing its last float with res", func() { k.ForwardAddReLU(b4[:size], in(size), b4[size-1:2*size-1], p) }, b4)
	}
	if C >= 2 {
		b := out(C + 1)
		add(se.Excite, "s overlapping z one float apart", func() { k.Excite(b[:C], b[1:], p) }, b)
	}

	for _, lc := range cases {
		if c.budget[lc.op] <= 0 {
			continue
		}
		r, panicked := catch(lc.f)
		switch _, isRuntime := r.(runtime.Error); {
		case !panicked:
			c.errorf(lc.op, "with %s did not panic", lc.what)
			continue
		case isRuntime:
			c.errorf(lc.op, "with %s panicked with a runtime error, want se's length check first: %v", lc.what, r)
			continue
		}
		for _, o := range lc.outs {
			if i := firstDiff(o, math.Float32bits(poison)); i >= 0 {
				c.errorf(lc.op, "with %s wrote [%d] = %v before panicking", lc.what, i, o[i])
				break
			}
		}
	}
}

// catch runs f and returns what it panicked with, if it did.
func catch(f func()) (r any, panicked bool) {
	defer func() {
		if r = recover(); r != nil {
			panicked = true
		}
	}()
	f()
	return nil, false
}

func cloneParams(p *se.Params) *se.Params {
	return &se.Params{W1: slices.Clone(p.W1), B1: slices.Clone(p.B1), W2: slices.Clone(p.W2), B2: slices.Clone(p.B2)}
}

// concurrent runs se.Forward, se.ForwardAddReLU and se.Excite from two goroutines at
// once, on their own buffers: kernels must be safe for concurrent use, and
// scratch shared between calls in Go code is a data race that -race reports
// (and that may corrupt results without it).
//
// It is skipped once any of those ops failed: the failure is already
// reported, and a kernel that writes out of bounds would do so here on
// unguarded memory.
func (c *checker) concurrent(d *dataset) {
	for _, op := range []se.Op{se.Forward, se.ForwardAddReLU, se.Excite} {
		if c.budget[op] < maxReports {
			return
		}
	}
	const workers = 2
	type failure struct {
		op  se.Op
		msg string
	}
	fails := make([]failure, workers)
	var wg sync.WaitGroup
	for w := range fails {
		wg.Go(func() { fails[w].op, fails[w].msg = c.hammer(d) })
	}
	wg.Wait()
	for _, f := range fails {
		if f.msg != "" {
			c.errorf(f.op, "(batch 1, two goroutines at once): %s", f.msg)
			return
		}
	}
}

// hammer runs a few ops twice on its own copies of sample 0 of d.
func (c *checker) hammer(d *dataset) (op se.Op, msg string) {
	s, k := c.s, c.k
	size, C := s.Size(), s.C
	x, res, z := slices.Clone(d.x[:size]), slices.Clone(d.res[:size]), slices.Clone(d.z[:C])
	p := cloneParams(d.p)
	dst, sc := make([]float32, size), make([]float32, C)
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("panicked: %v", r)
		}
	}()
	for range 2 {
		op = se.Forward
		k.Forward(dst, x, p)
		if msg = c.compare(op, dst, d.want[op][:size], d.atol[op]); msg != "" {
			return op, msg
		}
		op = se.ForwardAddReLU
		k.ForwardAddReLU(dst, x, res, p)
		if msg = c.compare(op, dst, d.want[op][:size], d.atol[op]); msg != "" {
			return op, msg
		}
		op = se.Excite
		k.Excite(sc, z, p)
		if msg = c.compare(op, sc, d.want[op][:C], d.atol[op]); msg != "" {
			return op, msg
		}
	}
	return "", ""
}

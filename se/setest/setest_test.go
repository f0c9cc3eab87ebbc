package setest

import (
	"flag"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"testing"
	"unsafe"

	"github.com/segen/segen/se"
)

// awkward returns shapes that stress the edges of vector loops: C and H×W
// of 1, 7, 8, 9, 15, 17, 49 (below, at and around 8- and 16-lane
// multiples), hidden from 1 to C, in both layouts, with every pool, with and
// without biases; plus one shape of each larger tier of Check's plan.
func awkward() []se.Shape {
	dims := []struct{ c, h, w, hidden int }{
		{1, 1, 1, 1}, {7, 1, 1, 3}, {8, 1, 1, 8}, {9, 7, 7, 1}, {15, 1, 7, 4},
		{17, 3, 3, 17}, {49, 1, 8, 5}, {1, 7, 7, 1}, {8, 9, 1, 2}, {7, 15, 1, 7},
		{9, 17, 1, 2}, {15, 3, 5, 15}, {17, 7, 7, 8}, {49, 1, 1, 49}, {8, 1, 49, 3},
		{16, 4, 4, 1}, {33, 5, 3, 16}, {96, 13, 11, 6},
	}
	var shapes []se.Shape
	for _, d := range dims {
		for v := range 12 { // every layout × pool × bias
			shapes = append(shapes, se.Shape{
				Layout: se.Layout(v % 2), Squeeze: se.Pool(v / 2 % 3), Bias: v >= 6,
				C: d.c, H: d.h, W: d.w, Hidden: d.hidden,
			})
		}
	}
	return append(shapes,
		se.Shape{Layout: se.NHWC, C: 72, H: 25, W: 25, Hidden: 8, Squeeze: se.Avg, Bias: true},   // 45000 floats: medium tier
		se.Shape{Layout: se.NCHW, C: 40, H: 81, W: 81, Hidden: 16, Squeeze: se.Max, Bias: false}, // 262440 floats: large tier
		se.Shape{Layout: se.NHWC, C: 40, H: 81, W: 81, Hidden: 16, Squeeze: se.Stochastic, Bias: true},
	)
}

// TestGeneric checks that se.Generic passes: the suite must accept the
// oracle itself on every awkward shape. The shapes run in parallel, which
// also checks that concurrent Checks of different shapes do not interfere.
func TestGeneric(t *testing.T) {
	for _, s := range awkward() {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			Check(t, se.Generic(s))
		})
	}
}

// recorder is a reporter that keeps what check reports.
type recorder struct{ msgs []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// mutant is a kernel with some methods replaced.
type mutant struct {
	se.Kernel
	squeeze        func(z, x []float32)
	excite         func(s, z []float32, p *se.Params)
	scale          func(dst, x, s []float32)
	scaleAddReLU   func(dst, x, s, res []float32)
	forward        func(dst, x []float32, p *se.Params)
	forwardAddReLU func(dst, x, res []float32, p *se.Params)
}

func (m mutant) Squeeze(z, x []float32) {
	if m.squeeze == nil {
		m.Kernel.Squeeze(z, x)
		return
	}
	m.squeeze(z, x)
}

func (m mutant) Excite(s, z []float32, p *se.Params) {
	if m.excite == nil {
		m.Kernel.Excite(s, z, p)
		return
	}
	m.excite(s, z, p)
}

func (m mutant) Scale(dst, x, s []float32) {
	if m.scale == nil {
		m.Kernel.Scale(dst, x, s)
		return
	}
	m.scale(dst, x, s)
}

func (m mutant) ScaleAddReLU(dst, x, s, res []float32) {
	if m.scaleAddReLU == nil {
		m.Kernel.ScaleAddReLU(dst, x, s, res)
		return
	}
	m.scaleAddReLU(dst, x, s, res)
}

func (m mutant) Forward(dst, x []float32, p *se.Params) {
	if m.forward == nil {
		m.Kernel.Forward(dst, x, p)
		return
	}
	m.forward(dst, x, p)
}

func (m mutant) ForwardAddReLU(dst, x, res []float32, p *se.Params) {
	if m.forwardAddReLU == nil {
		m.Kernel.ForwardAddReLU(dst, x, res, p)
		return
	}
	m.forwardAddReLU(dst, x, res, p)
}

// at returns a pointer to v[i] without bounds checks, for kernels that
// misbehave on purpose. The mutants only do so after the generic kernel has
// accepted the lengths, so i is always just outside a guarded mapping's
// slice, inside the mapping or its guard page.
func at(v []float32, i int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(v)), i*4))
}

// TestCheckCatches runs check on kernels broken in one way each and checks
// that it reports them, and on one that is off by less than the tolerance
// and checks that it does not.
func TestCheckCatches(t *testing.T) {
	avg := se.Shape{Layout: se.NCHW, C: 9, H: 3, W: 5, Hidden: 3, Squeeze: se.Avg, Bias: true}
	maxNHWC := se.Shape{Layout: se.NHWC, C: 9, H: 3, W: 5, Hidden: 3, Squeeze: se.Max, Bias: false}
	sto := se.Shape{Layout: se.NCHW, C: 9, H: 7, W: 5, Hidden: 3, Squeeze: se.Stochastic, Bias: true}
	// zeroNaN is Caffe's rule, sum > 0 ? Σx²/Σx : 0, which turns NaN into 0.
	zeroNaN := func(z, x []float32) {
		se.Generic(sto).Squeeze(z, x)
		for i, v := range z {
			if v != v {
				z[i] = 0
			}
		}
	}
	for _, c := range []struct {
		name  string
		shape se.Shape
		make  func(g se.Kernel) mutant
		want  []string // in one message; none if the kernel must pass
	}{
		{"within tolerance", avg, func(g se.Kernel) mutant {
			nudge := func(v []float32) {
				for i := range v {
					v[i] *= 1 + 3e-5
				}
			}
			return mutant{Kernel: g,
				squeeze:        func(z, x []float32) { g.Squeeze(z, x); nudge(z) },
				excite:         func(s, z []float32, p *se.Params) { g.Excite(s, z, p); nudge(s) },
				scale:          func(dst, x, s []float32) { g.Scale(dst, x, s); nudge(dst) },
				scaleAddReLU:   func(dst, x, s, res []float32) { g.ScaleAddReLU(dst, x, s, res); nudge(dst) },
				forward:        func(dst, x []float32, p *se.Params) { g.Forward(dst, x, p); nudge(dst) },
				forwardAddReLU: func(dst, x, res []float32, p *se.Params) { g.ForwardAddReLU(dst, x, res, p); nudge(dst) },
			}
		}, nil},
		{"stochastic Squeeze within its bounds", sto, func(g se.Kernel) mutant {
			return mutant{Kernel: g, squeeze: func(z, x []float32) {
				g.Squeeze(z, x)
				for i := range z {
					z[i] *= 1 + 3e-5
				}
			}}
		}, nil},
		{"stochastic Squeeze as an average", sto, func(g se.Kernel) mutant {
			wrong := sto
			wrong.Squeeze = se.Avg
			return mutant{Kernel: g, squeeze: se.Generic(wrong).Squeeze}
		}, []string{"Squeeze", "bounds from the condition", "(in ["}},
		{"stochastic Squeeze off by 1e-3", sto, func(g se.Kernel) mutant {
			return mutant{Kernel: g, squeeze: func(z, x []float32) {
				g.Squeeze(z, x)
				for i := range z {
					z[i] *= 1 + 1e-3
				}
			}}
		}, []string{"Squeeze", "values differ", "(in ["}},
		{"stochastic Squeeze not 0 where Σx < 0", sto, func(g se.Kernel) mutant {
			return mutant{Kernel: g, squeeze: func(z, x []float32) {
				g.Squeeze(z, x)
				for i := range z {
					if z[i] == 0 {
						z[i] = math.SmallestNonzeroFloat32
					}
				}
			}}
		}, []string{"Squeeze", "(0 exactly)"}},
		{"stochastic Squeeze with Caffe's NaN → 0", sto, func(g se.Kernel) mutant {
			return mutant{Kernel: g, squeeze: zeroNaN}
		}, []string{"Squeeze", "NaN/Inf inputs", "= 0, want NaN exactly"}},
		{"Scale off by 1e-3 in one value", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, scale: func(dst, x, s []float32) {
				g.Scale(dst, x, s)
				dst[len(dst)-1] *= 1.001
			}}
		}, []string{"generic", avg.String(), "Scale", "batch 1", "values differ", "sample 0, channel 8, h 2, w 4"}},
		{"max se.Squeeze one ulp off", maxNHWC, func(g se.Kernel) mutant {
			return mutant{Kernel: g, squeeze: func(z, x []float32) {
				g.Squeeze(z, x)
				z[0] = math.Nextafter32(z[0], float32(math.Inf(1)))
			}}
		}, []string{"Squeeze", "must be exact", "sample 0, channel 0"}},
		{"Squeeze of the wrong layout", maxNHWC, func(g se.Kernel) mutant {
			wrong := maxNHWC
			wrong.Layout = se.NCHW
			return mutant{Kernel: g, squeeze: se.Generic(wrong).Squeeze}
		}, []string{"Squeeze", "values differ"}},
		{"Excite ignores B2", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, excite: func(s, z []float32, p *se.Params) {
				q := *p
				q.B2 = make([]float32, len(p.B2))
				g.Excite(s, z, &q)
			}}
		}, []string{"Excite", "values differ"}},
		{"Scale does only the first sample", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, scale: func(dst, x, s []float32) {
				avg.CheckScale(dst, x, s)
				g.Scale(dst[:avg.Size()], x[:avg.Size()], s[:avg.C])
			}}
		}, []string{"Scale", "batch 2", "= -1234.5", "sample 1"}},
		{"ScaleAddReLU turns NaN into 0", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, scaleAddReLU: func(dst, x, s, res []float32) {
				g.ScaleAddReLU(dst, x, s, res)
				for i, v := range dst {
					if v != v {
						dst[i] = 0
					}
				}
			}}
		}, []string{"ScaleAddReLU", "NaN/Inf inputs", "= 0, want NaN"}},
		{"Squeeze reads one past the end", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, squeeze: func(z, x []float32) {
				g.Squeeze(z, x)
				z[0] += 0 * *at(x, len(x))
			}}
		}, []string{"Squeeze", "after the end of x"}},
		{"Forward writes one past the end", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, forward: func(dst, x []float32, p *se.Params) {
				g.Forward(dst, x, p)
				*at(dst, len(dst)) = 1
			}}
		}, []string{"Forward", "past the end of dst"}},
		{"Excite writes one before the start", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, excite: func(s, z []float32, p *se.Params) {
				g.Excite(s, z, p)
				*at(s, -1) = 1
			}}
		}, []string{"Excite", "before the start of s (output)"}},
		{"Forward changes x", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, forward: func(dst, x []float32, p *se.Params) {
				g.Forward(dst, x, p)
				if &dst[0] != &x[0] {
					x[0] = 42
				}
			}}
		}, []string{"Forward", "changed its input x"}},
		{"Scale writes into s", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, scale: func(dst, x, s []float32) {
				g.Scale(dst, x, s)
				s[0] = 0.5
			}}
		}, []string{"Scale", "changed its input s"}},
		{"Scale without length checks", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, scale: func(dst, x, s []float32) {
				defer func() { recover() }()
				g.Scale(dst, x, s)
			}}
		}, []string{"Scale", "did not panic"}},
		{"Forward writes before checking lengths", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, forward: func(dst, x []float32, p *se.Params) {
				if p == nil && len(dst) > 0 { // a length check that runs too late
					dst[0] = 0
				}
				g.Forward(dst, x, p)
			}}
		}, []string{"Forward", "before panicking"}},
		{"ForwardAddReLU wrong when dst is res", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, forwardAddReLU: func(dst, x, res []float32, p *se.Params) {
				avg.CheckForwardAddReLU(dst, x, res, p)
				g.Forward(dst, x, p)
				for i := range dst {
					dst[i] = max(dst[i]+res[i], 0)
				}
			}}
		}, []string{"ForwardAddReLU", "dst = res", "values differ"}},
		{"Excite wrong when s is z", avg, func(g se.Kernel) mutant {
			return mutant{Kernel: g, excite: func(s, z []float32, p *se.Params) {
				avg.CheckExcite(s, z, p)
				C := avg.C
				tmp, hidden := make([]float32, C), make([]float32, avg.Hidden)
				for i := 0; i < len(z); i += C {
					for c := range C { // recomputes from z after writing s[c-1]
						se.ExciteSample(avg, tmp, z[i:i+C], hidden, p)
						s[i+c] = tmp[c]
					}
				}
			}}
		}, []string{"Excite", "s = z", "values differ"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r recorder
			check(&r, c.make(se.Generic(c.shape)))
			if c.want == nil {
				for _, m := range r.msgs {
					t.Error(m)
				}
				return
			}
			if len(r.msgs) == 0 {
				t.Fatal("check reported nothing")
			}
			for _, m := range r.msgs {
				if containsAll(m, c.want) {
					t.Logf("reported (%d messages): %s", len(r.msgs), m)
					return
				}
			}
			t.Errorf("no message contains all of %q; got:\n%s", c.want, strings.Join(r.msgs, "\n"))
		})
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestGuarded checks the placement promises: the slice ends (or starts) at
// a page boundary, and touching the next value faults.
func TestGuarded(t *testing.T) {
	if !mapGuarded(1, 0, true).guards {
		t.Skip("no guard pages on this system")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	for _, n := range []int{1, 7, 1024, 1025} {
		for _, atEnd := range []bool{false, true} {
			s, free := Guarded(n, atEnd)
			if len(s) != n || cap(s) != n {
				t.Errorf("Guarded(%d, %v): len %d cap %d", n, atEnd, len(s), cap(s))
			}
			for i := range s {
				s[i] = float32(i)
			}
			edge, beyond := unsafe.Pointer(&s[0]), at(s, -1)
			if atEnd {
				edge, beyond = unsafe.Add(unsafe.Pointer(&s[n-1]), 4), at(s, n)
			}
			if uintptr(edge)%4096 != 0 {
				t.Errorf("Guarded(%d, %v): edge %p is not page-aligned", n, atEnd, edge)
			}
			if _, faulted := catch(func() { _ = *beyond }); !faulted {
				t.Errorf("Guarded(%d, %v): reading past the guarded edge did not fault", n, atEnd)
			}
			free()
		}
	}
}

// TestPlainMapping checks the fallback's alignment: lead floats past a
// 64-byte boundary, like a page.
func TestPlainMapping(t *testing.T) {
	for lead := range 4 {
		for _, n := range []int{1, 5, 100} {
			m := plainMapping(n, lead)
			if got := uintptr(unsafe.Pointer(&m.data()[0])) % 64; got != uintptr(4*lead) || len(m.data()) != n {
				t.Errorf("plainMapping(%d, %d): slice at %d bytes past 64-byte alignment, len %d", n, lead, got, len(m.data()))
			}
		}
	}
}

// TestBenchmark runs Benchmark for a few iterations of every op and checks
// the bytes it reports and that its loop does not allocate (the generic
// kernel allocates only in se.Excite and the se.Forward ops).
func TestBenchmark(t *testing.T) {
	f := flag.Lookup("test.benchtime")
	old := f.Value.String()
	if err := f.Value.Set("5x"); err != nil {
		t.Fatal(err)
	}
	defer f.Value.Set(old)
	s := se.Shape{Layout: se.NHWC, C: 17, H: 7, W: 7, Hidden: 8, Squeeze: se.Avg, Bias: true}
	k := se.Generic(s)
	for _, op := range se.Ops() {
		r := testing.Benchmark(func(b *testing.B) { Benchmark(b, k, op) })
		if r.N == 0 || r.Bytes != se.BytesPerOp(s, op, 1) {
			t.Errorf("%s: N = %d, bytes = %d, want > 0 and %d", op, r.N, r.Bytes, se.BytesPerOp(s, op, 1))
		}
		if a := r.AllocsPerOp(); a != 0 && (op == se.Squeeze || op == se.Scale || op == se.ScaleAddReLU) {
			t.Errorf("%s: %d allocations per op", op, a)
		}
	}
}

// BenchmarkGeneric shows Benchmark's output for the generic kernel.
func BenchmarkGeneric(b *testing.B) {
	s := se.Shape{Layout: se.NCHW, C: 256, H: 14, W: 14, Hidden: 16, Squeeze: se.Avg, Bias: true}
	for _, op := range se.Ops() {
		b.Run(string(op), func(b *testing.B) { Benchmark(b, se.Generic(s), op) })
	}
}

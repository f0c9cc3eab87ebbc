package setail

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	_ "github.com/segen/segen/generated/sekernels" // the specialised SE kernels, registered with se
	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/se"
	"github.com/segen/segen/se/simd"
)

// TestForward checks the tail against the generic kernel's whole SE block
// (which squeezes x itself) for batches smaller than, equal to and larger
// than the thread count, planes that split into parts of every size (a
// short last part too), with and without the residual add, and in place;
// on the generic kernels and on se/simd's, with excitations large enough
// to split by rows (with and without bias, rows not whole blocks).
func TestForward(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int, scale float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = scale * float32(r.NormFloat64())
		}
		return v
	}
	small := se.Shape{Layout: se.NHWC, C: 24, Hidden: 6, Squeeze: se.Avg, Bias: true}
	large := se.Shape{Layout: se.NHWC, C: 520, Hidden: 130, Squeeze: se.Avg}
	largeBias := large
	largeBias.Bias = true
	cases := []struct {
		shape  se.Shape
		hw     [][2]int
		kernel func(se.Shape) se.Kernel
	}{
		{small, [][2]int{{1, 1}, {3, 5}, {7, 7}, {14, 13}}, se.Generic},
		{large, [][2]int{{2, 3}}, simd.New},
		{largeBias, [][2]int{{1, 1}, {7, 7}}, simd.New},
	}
	for _, c := range cases {
		for _, hw := range c.hw {
			for _, n := range []int{1, 2, 3} {
				for _, threads := range []int{1, 2, 3} {
					for _, residual := range []bool{false, true} {
						s := c.shape
						s.H, s.W = hw[0], hw[1]
						name := fmt.Sprintf("C%d/bias=%v/%dx%d/n%d/threads%d/residual=%v", s.C, s.Bias, s.H, s.W, n, threads, residual)
						t.Run(name, func(t *testing.T) {
							testForward(t, fill, s, n, threads, residual, c.kernel)
						})
					}
				}
			}
		}
	}
}

func testForward(t *testing.T, fill func(int, float32) []float32, s se.Shape, n, threads int, residual bool, kernel func(se.Shape) se.Kernel) {
	p := &se.Params{W1: fill(s.Hidden*s.C, 0.3), W2: fill(s.C*s.Hidden, 0.3)}
	if s.Bias {
		p.B1, p.B2 = fill(s.Hidden, 0.1), fill(s.C, 0.1)
	}
	size := s.H * s.W * s.C
	x := fill(n*size, 1)
	var shortcut []float32
	want := make([]float32, len(x))
	if residual {
		shortcut = fill(len(x), 1)
		se.Generic(s).ForwardAddReLU(want, x, shortcut, p)
	} else {
		se.Generic(s).Forward(want, x, p)
	}
	sums := make([]float32, n*s.C)
	for i, v := range x {
		sums[i/size*s.C+i%s.C] += v
	}
	tail := New(s, n, threads, kernel)
	if threads > n && len(tail.parts) < 2 && s.H*s.W > 8 {
		t.Fatalf("%d parts for %d pixels on %d threads", len(tail.parts), s.H*s.W, threads)
	}
	rows := s.C*s.Hidden >= splitWeights && tail.kernel.Impl() != "generic"
	if rows != (tail.excite.hidden != nil) {
		t.Fatalf("excitation on the row kernels: %v, want %v", tail.excite.hidden != nil, rows)
	}
	gate, z := make([]float32, n*s.C), make([]float32, n*s.C)
	out := make([]float32, len(x))
	if !residual {
		out = x // in place, as Inception scales its modules' outputs
	}
	tail.Forward(nn.NewWorkspace(threads), gate, z, sums, p, out, x, shortcut)
	for i := range want {
		if d := math.Abs(float64(out[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("out[%d] = %v, want %v", i, out[i], want[i])
		}
	}
}

// TestExcite checks the squeeze and gate Excite leaves.
func TestExcite(t *testing.T) {
	s := se.Shape{Layout: se.NHWC, C: 8, H: 2, W: 2, Hidden: 2, Squeeze: se.Avg}
	p := &se.Params{W1: make([]float32, 16), W2: make([]float32, 16)}
	sums := []float32{4, 8, -4, 0, 2, 6, 10, 12, 1, 1, 1, 1, 1, 1, 1, 1}
	z, gate := make([]float32, 16), make([]float32, 16)
	New(s, 2, 1, se.Generic).Excite(nn.NewWorkspace(1), gate, z, sums, p)
	for i, v := range sums {
		if z[i] != v/4 {
			t.Errorf("z[%d] = %v, want %v", i, z[i], v/4)
		}
		if gate[i] != 0.5 { // sigmoid(0): all weights are zero
			t.Errorf("gate[%d] = %v, want 0.5", i, gate[i])
		}
	}
}

// TestThreadsAgree checks that an excitation on the row kernels gives each
// sample the same bits whatever the thread count and batch: split by rows
// across threads, by samples, or not at all — at SE-ResNet-50's stage-3
// shape, whose specialised kernel sums in another order than the row
// kernels do.
func TestThreadsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64()) / 4
		}
		return v
	}
	s := se.Shape{Layout: se.NHWC, C: 1024, H: 14, W: 14, Hidden: 64, Squeeze: se.Avg, Bias: true}
	if impl := se.Lookup(s).Impl(); impl == "generic" || impl == "generic-simd" {
		t.Fatalf("%v: %s kernel, want the specialised one", s, impl)
	}
	p := &se.Params{W1: fill(s.Hidden * s.C), B1: fill(s.Hidden), W2: fill(s.C * s.Hidden), B2: fill(s.C)}
	const n = 3
	sums := fill(n * s.C)
	var want []float32
	for _, batch := range []int{1, n} {
		for _, threads := range []int{1, 2, 3} {
			tail := New(s, batch, threads, se.Lookup)
			gate, z := make([]float32, batch*s.C), make([]float32, batch*s.C)
			tail.Excite(nn.NewWorkspace(threads), gate, z, sums[:batch*s.C], p)
			if want == nil {
				want = gate
			}
			for i := range min(len(gate), len(want)) {
				if gate[i] != want[i] {
					t.Fatalf("batch %d, %d threads: gate[%d] = %v, want %v (batch 1, one thread)", batch, threads, i, gate[i], want[i])
				}
			}
			if batch == n {
				want = gate
			}
		}
	}
}

// TestLongPlane: a plane of more pixels than 8 parts of se.MaxSide each
// (a 1024×1024 input's first stage at batch 1) splits into parts a kernel
// takes, each at most se.MaxSide pixels, and still gives the whole block's
// result.
func TestLongPlane(t *testing.T) {
	s := se.Shape{Layout: se.NHWC, C: 2, H: 256, W: 256, Hidden: 1, Squeeze: se.Avg, Bias: true}
	p := &se.Params{W1: []float32{0.5, -0.25}, B1: []float32{0.1}, W2: []float32{0.3, -0.7}, B2: []float32{0.2, 0}}
	x := make([]float32, s.H*s.W*s.C)
	sums := make([]float32, s.C)
	for i := range x {
		x[i] = float32(i%7) - 3
		sums[i%s.C] += x[i]
	}
	want := make([]float32, len(x))
	se.Generic(s).Forward(want, x, p)
	tail := New(s, 1, 2, se.Generic)
	for _, part := range tail.parts {
		if part.pixels > se.MaxSide {
			t.Fatalf("a part of %d pixels, more than se.MaxSide (%d)", part.pixels, se.MaxSide)
		}
	}
	out := make([]float32, len(x))
	tail.Forward(nn.NewWorkspace(2), make([]float32, s.C), make([]float32, s.C), sums, p, out, x, nil)
	for i := range want {
		if d := math.Abs(float64(out[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("out[%d] = %v, want %v", i, out[i], want[i])
		}
	}
}

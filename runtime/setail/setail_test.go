package setail

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/se"
)

// TestForward checks the tail against the generic kernel's whole SE block
// (which squeezes x itself) for batches smaller than, equal to and larger
// than the thread count, planes that split into parts of every size (a
// short last part too), with and without the residual add, and in place.
func TestForward(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int, scale float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = scale * float32(r.NormFloat64())
		}
		return v
	}
	for _, hw := range [][2]int{{1, 1}, {3, 5}, {7, 7}, {14, 13}} {
		for _, n := range []int{1, 2, 3} {
			for _, threads := range []int{1, 2, 3} {
				for _, residual := range []bool{false, true} {
					s := se.Shape{Layout: se.NHWC, C: 24, H: hw[0], W: hw[1], Hidden: 6, Squeeze: se.Avg, Bias: true}
					name := fmt.Sprintf("%dx%d/n%d/threads%d/residual=%v", s.H, s.W, n, threads, residual)
					t.Run(name, func(t *testing.T) {
						p := &se.Params{W1: fill(s.Hidden*s.C, 0.3), B1: fill(s.Hidden, 0.1), W2: fill(s.C*s.Hidden, 0.3), B2: fill(s.C, 0.1)}
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
						tail := New(s, n, threads, se.Generic)
						if threads > n && len(tail.parts) < 2 && s.H*s.W > 8 {
							t.Fatalf("%d parts for %d pixels on %d threads", len(tail.parts), s.H*s.W, threads)
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
					})
				}
			}
		}
	}
}

// TestExcite checks the squeeze and gate Excite leaves.
func TestExcite(t *testing.T) {
	s := se.Shape{Layout: se.NHWC, C: 8, H: 2, W: 2, Hidden: 2, Squeeze: se.Avg}
	p := &se.Params{W1: make([]float32, 16), W2: make([]float32, 16)}
	sums := []float32{4, 8, -4, 0, 2, 6, 10, 12, 1, 1, 1, 1, 1, 1, 1, 1}
	z, gate := make([]float32, 16), make([]float32, 16)
	New(s, 2, 1, se.Generic).Excite(gate, z, sums, p)
	for i, v := range sums {
		if z[i] != v/4 {
			t.Errorf("z[%d] = %v, want %v", i, z[i], v/4)
		}
		if gate[i] != 0.5 { // sigmoid(0): all weights are zero
			t.Errorf("gate[%d] = %v, want 0.5", i, gate[i])
		}
	}
}

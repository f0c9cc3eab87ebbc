package setest

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestStochasticSpan checks the bounds of a stochastic squeeze on channels
// of every condition, ill-conditioned ones included (Σx within a hair of
// 0, of either sign): float32 evaluations in three summation orders —
// forward, backward and eight interleaved accumulators, as the kernels'
// lanes sum — must all be admitted, and, where κ ≤ 10, values 1e-3 off the
// definition must not.
func TestStochasticSpan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	orders := map[string]func(v []float32) (sum, squares float32){
		"forward": func(v []float32) (sum, squares float32) {
			for _, x := range v {
				sum, squares = sum+x, squares+x*x
			}
			return sum, squares
		},
		"backward": func(v []float32) (sum, squares float32) {
			for i := len(v) - 1; i >= 0; i-- {
				sum, squares = sum+v[i], squares+v[i]*v[i]
			}
			return sum, squares
		},
		"eight lanes": func(v []float32) (sum, squares float32) {
			var s, q [8]float32
			for i, x := range v {
				s[i%8], q[i%8] = s[i%8]+x, q[i%8]+x*x
			}
			for i := range s {
				sum, squares = sum+s[i], squares+q[i]
			}
			return sum, squares
		},
	}
	zeros, quotients, rejected := 0, 0, 0
	for trial := range 2000 {
		n := 1 + r.IntN(700)
		mean := r.NormFloat64()
		switch trial % 3 {
		case 1:
			mean *= 1e-3
		case 2:
			mean = 0
		}
		v := make([]float32, n)
		var sum, abs, squares float64
		for i := range v {
			v[i] = float32(r.NormFloat64() + mean)
		}
		if trial%3 == 2 {
			// Make the exact Σx tiny: move the float32 sum's residue
			// into the last value.
			var rest float64
			for _, x := range v[:n-1] {
				rest += float64(x)
			}
			v[n-1] = float32(-rest)
		}
		for _, x := range v {
			f := float64(x)
			sum, abs, squares = sum+f, abs+math.Abs(f), squares+f*f
		}
		sp := stochasticSpan(sum, abs, squares, true)
		for name, order := range orders {
			s, q := order(v)
			got := float32(0)
			if s > 0 {
				got = q / s
			}
			if got == 0 {
				zeros++
			} else {
				quotients++
			}
			if !sp.admits(got, got) {
				t.Errorf("%d values, Σx = %g, Σ|x| = %g, Σx² = %g: %s order gives %v, not admitted by%v", n, sum, abs, squares, name, got, sp)
			}
		}
		if sum > 0 && !sp.zero && abs <= 10*sum { // κ ≤ 10: the bounds stay tight
			rejected++
			want := squares / sum
			for _, off := range []float64{1e-3, -1e-3} {
				if bad := float32(want * (1 + off)); sp.admits(bad, bad) {
					t.Errorf("%d values, Σx = %g: %v (%+g relative) admitted by%v", n, sum, bad, off, sp)
				}
			}
		}
	}
	if zeros == 0 || quotients == 0 || rejected < 100 {
		t.Errorf("%d zeros, %d quotients, %d well-conditioned channels: the data does not reach every case", zeros, quotients, rejected)
	}
	for _, c := range []struct {
		sum, abs, squares float64
		finite            bool
		got, want         float32
		ok                bool
	}{
		{-3, 5, 7, true, 0, 0, true},
		{-3, 5, 7, true, 1e-30, 0, false},
		{0, 0, 0, true, 0, 0, true},
		{0, 0, 0, true, float32(math.NaN()), 0, false},
		{1, 1, 1, false, float32(math.NaN()), float32(math.NaN()), true},
		{1, 1, 1, false, 0, float32(math.NaN()), false},
		{2, 2, 4, true, 2, 2, true},
		{2, 2, 4, true, float32(math.Inf(1)), 2, false},
	} {
		sp := stochasticSpan(c.sum, c.abs, c.squares, c.finite)
		if sp.admits(c.got, c.want) != c.ok {
			t.Errorf("span%v of Σx = %g, Σ|x| = %g, Σx² = %g (finite %v): admits(%v, want %v) = %v, want %v",
				sp, c.sum, c.abs, c.squares, c.finite, c.got, c.want, !c.ok, c.ok)
		}
	}
}

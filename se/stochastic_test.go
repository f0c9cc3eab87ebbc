package se

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestStochasticSqueeze checks the generic stochastic squeeze against the
// definition evaluated in float64, z = Σx²/Σx or 0 where Σx ≤ 0, on
// non-negative data (post-ReLU activations, where z lies between the mean
// and the maximum) and on data of both signs whose channel means are
// positive, negative or near 0, in both layouts. The float32 sums may be off
// by at most γₙ·Σ|x| and γₙ·Σx² (n values, one rounding each, and one per
// square), so z by at most (e₂ + z·e₁)/(Σx − e₁) plus the division's
// rounding: a bound, not an estimate, so the test cannot fail by chance.
// Channels whose Σx is within e₁ of 0 may come out 0 or as a quotient.
func TestStochasticSqueeze(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, layout := range []Layout{NCHW, NHWC} {
		for _, data := range []string{"non-negative", "mixed"} {
			s := Shape{Layout: layout, C: 37, H: 9, W: 11, Hidden: 1, Squeeze: Stochastic}
			x := make([]float32, s.Size())
			means := make([]float64, s.C)
			for c := range means {
				means[c] = 2*r.Float64() - 1
				if c%5 == 0 {
					means[c] = 1e-3 * means[c] // Σx about 0: ill-conditioned
				}
			}
			for c := range s.C {
				for p := range s.Plane() {
					v := r.NormFloat64() + means[c]
					if data == "non-negative" {
						v = max(v, 0)
					}
					x[index(s, c, p)] = float32(v)
				}
			}
			z := make([]float32, s.C)
			Generic(s).Squeeze(z, x)
			quotients := 0
			for c := range s.C {
				var sum, abs, squares float64
				for p := range s.Plane() {
					v := float64(x[index(s, c, p)])
					sum, abs, squares = sum+v, abs+math.Abs(v), squares+v*v
				}
				u, n := 0x1p-24, float64(s.Plane())
				gamma := (n + 1) * u / (1 - (n+1)*u)
				e1, e2 := gamma*abs, gamma*squares
				got := float64(z[c])
				where := fmt.Sprintf("%v, %s data, channel %d (Σx = %g, Σ|x| = %g, Σx² = %g)", s, data, c, sum, abs, squares)
				switch {
				case math.Abs(sum) <= e1:
					if got != 0 && got < squares/(math.Abs(sum)+e1) {
						t.Errorf("%s: z = %g, want 0 or at least %g", where, got, squares/(math.Abs(sum)+e1))
					}
				case sum < 0:
					if got != 0 {
						t.Errorf("%s: z = %g, want 0", where, got)
					}
				default:
					quotients++
					want := squares / sum
					tol := (e2+want*e1)/(sum-e1) + 2*u*want
					if math.Abs(got-want) > tol {
						t.Errorf("%s: z = %g, want %g ± %.3g", where, got, want, tol)
					}
					if data == "non-negative" && (got < sum/n*(1-1e-6) || got > maxOf(x, s, c)) {
						t.Errorf("%s: z = %g is not between the mean %g and the maximum", where, got, sum/n)
					}
				}
			}
			if quotients < s.C/4 {
				t.Errorf("%v, %s data: only %d channels with Σx > 0; the data does not test the quotient", s, data, quotients)
			}
		}
	}
}

func maxOf(x []float32, s Shape, c int) float64 {
	m := math.Inf(-1)
	for p := range s.Plane() {
		m = max(m, float64(x[index(s, c, p)]))
	}
	return m
}

// TestStochasticSpecialValues pins down the stochastic squeeze of NaN and
// ±Inf, with IEEE arithmetic: NaN anywhere gives NaN (NaN is not ≤ 0), +Inf
// gives Inf/Inf = NaN, −Inf gives Σx = −Inf ≤ 0 and so 0, both Infs give
// Σx = NaN and so NaN; a plane summing to exactly 0, or to −0, gives +0.
// Each value goes at the first, a middle and the last position of one
// channel; its neighbours must not change.
func TestStochasticSpecialValues(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		name string
		put  []float32
		want float32 // NaN means NaN
	}{
		{"NaN", []float32{nan}, nan},
		{"+Inf", []float32{inf}, nan},
		{"−Inf", []float32{-inf}, 0},
		{"+Inf and −Inf", []float32{inf, -inf}, nan},
		{"NaN and −Inf", []float32{nan, -inf}, nan},
	} {
		for _, layout := range []Layout{NCHW, NHWC} {
			s := Shape{Layout: layout, C: 3, H: 3, W: 3, Hidden: 1, Squeeze: Stochastic}
			for _, pos := range []int{0, s.Plane() / 2, s.Plane() - 1} {
				x := make([]float32, s.Size())
				for i := range x {
					x[i] = 0.5
				}
				for j, v := range c.put {
					x[index(s, 1, (pos+j)%s.Plane())] = v
				}
				z := make([]float32, s.C)
				Generic(s).Squeeze(z, x)
				ok := math.Float32bits(z[1]) == math.Float32bits(c.want) || (c.want != c.want && z[1] != z[1])
				if !ok || z[0] != 0.5 || z[2] != 0.5 {
					t.Errorf("%v: %s at position %d: z = %v, want [0.5 %v 0.5]", s, c.name, pos, z, c.want)
				}
			}
		}
	}
	for _, c := range []struct {
		name  string
		plane []float32
	}{
		{"zeros", []float32{0, 0, 0, 0}},
		{"negative", []float32{-1, -2, -0.5, -3}},
		{"sum exactly 0", []float32{1.5, -1, 0.5, -1}},
		{"−0", []float32{-0.0, 0, float32(math.Copysign(0, -1)), 0}},
	} {
		z := []float32{-1}
		Generic(Shape{Layout: NCHW, C: 1, H: 2, W: 2, Hidden: 1, Squeeze: Stochastic}).Squeeze(z, c.plane)
		if math.Float32bits(z[0]) != 0 {
			t.Errorf("%s %v: z = %v, want +0", c.name, c.plane, z[0])
		}
	}
}

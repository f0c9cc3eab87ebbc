package se

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/segen/segen/runtime/safetensors"
)

// TestStochasticSqueeze checks the generic stochastic squeeze against the
// definition evaluated in float64, z = Σx²/Σx or 0 where Σx ≤ 0, on
// non-negative data (post-ReLU activations, where z lies between the mean
// and the maximum) and on data of both signs whose channel means are
// positive, negative or near 0, in both layouts, within checkStochastic's
// bound.
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
				plane := channelOf(s, x, c)
				where := fmt.Sprintf("%v, %s data, channel %d", s, data, c)
				if msg, quotient := checkStochastic(float64(z[c]), plane); msg != "" {
					t.Errorf("%s: %s", where, msg)
				} else if quotient {
					quotients++
					if data == "non-negative" && (z[c] < mean(plane)*(1-1e-6) || z[c] > slices.Max(plane)) {
						t.Errorf("%s: z = %g is not between the mean %g and the maximum", where, z[c], mean(plane))
					}
				}
			}
			if quotients < s.C/4 {
				t.Errorf("%v, %s data: only %d channels with Σx > 0; the data does not test the quotient", s, data, quotients)
			}
		}
	}
}

// checkStochastic returns "" if got is a float32 evaluation of the
// stochastic squeeze of plane: the float32 sums may be off by at most
// γ·Σ|x| and γ·Σx² (n values, one rounding each and one per square, γ =
// (n+1)u/(1−(n+1)u)), so z by at most (e₂ + z·e₁)/(Σx − e₁) plus the
// division's rounding — a bound, not an estimate. Where |Σx| ≤ e₁, z may be
// 0 or a quotient. quotient reports whether z must be one.
func checkStochastic(got float64, plane []float32) (msg string, quotient bool) {
	var sum, abs, squares float64
	for _, v := range plane {
		f := float64(v)
		sum, abs, squares = sum+f, abs+math.Abs(f), squares+f*f
	}
	u, n := 0x1p-24, float64(len(plane))
	gamma := (n + 1) * u / (1 - (n+1)*u)
	e1, e2 := gamma*abs, gamma*squares
	sums := fmt.Sprintf("Σx = %g, Σ|x| = %g, Σx² = %g", sum, abs, squares)
	switch {
	case abs > 0 && math.Abs(sum) <= e1:
		if lo := squares / (math.Abs(sum) + e1); got != 0 && got < lo {
			return fmt.Sprintf("z = %g, want 0 or at least %g (%s)", got, lo, sums), false
		}
	case sum <= 0:
		if got != 0 {
			return fmt.Sprintf("z = %g, want 0 (%s)", got, sums), false
		}
	default:
		want := squares / sum
		if tol := (e2+want*e1)/(sum-e1) + 2*u*want; math.Abs(got-want) > tol {
			return fmt.Sprintf("z = %g, want %g ± %.3g (%s)", got, want, tol, sums), true
		}
		return "", true
	}
	return "", false
}

// channelOf returns the values of channel c of the sample x.
func channelOf(s Shape, x []float32, c int) []float32 {
	v := make([]float32, s.Plane())
	for p := range v {
		v[p] = x[index(s, c, p)]
	}
	return v
}

func mean(v []float32) float32 {
	var sum float64
	for _, f := range v {
		sum += float64(f)
	}
	return float32(sum / float64(len(v)))
}

// TestTorchStochastic checks the generic stochastic squeeze against the
// definition evaluated in float64 by PyTorch (tools/stochastic_fixtures.py),
// within the bound of checkStochastic, and checks that the fixtures' data
// reach both results, 0 and the quotient.
func TestTorchStochastic(t *testing.T) {
	paths, err := filepath.Glob("../testdata/se/stochastic/*.safetensors")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/se/stochastic (run /usr/bin/python3 tools/stochastic_fixtures.py): %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := safetensors.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			meta := func(key string) int {
				v, err := strconv.Atoi(f.Metadata[key])
				if err != nil {
					t.Fatalf("metadata %q: %v", key, err)
				}
				return v
			}
			s := Shape{C: meta("channels"), H: meta("height"), W: meta("width"), Hidden: 1, Squeeze: Stochastic}
			if f.Metadata["layout"] == "nhwc" {
				s.Layout = NHWC
			}
			n := meta("batch")
			get := func(name string, size int) []float32 {
				tt, ok := f.Lookup(name)
				if !ok {
					t.Fatalf("no tensor %q", name)
				}
				v, err := tt.Float32s()
				if err != nil || len(v) != size {
					t.Fatalf("tensor %q: %d values (%v), want %d", name, len(v), err, size)
				}
				return v
			}
			x, want := get("x", n*s.Size()), get("z", n*s.C)
			got := make([]float32, n*s.C)
			Generic(s).Squeeze(got, x)
			results := map[bool]int{}
			for i := range got {
				plane := channelOf(s, x[i/s.C*s.Size():], i%s.C)
				if msg, _ := checkStochastic(float64(want[i]), plane); msg != "" {
					t.Fatalf("sample %d, channel %d: the fixture's %s", i/s.C, i%s.C, msg)
				}
				if msg, _ := checkStochastic(float64(got[i]), plane); msg != "" {
					t.Errorf("sample %d, channel %d: %s; PyTorch in float64: %v", i/s.C, i%s.C, msg, want[i])
				}
				results[want[i] == 0]++
			}
			if results[true] == 0 || results[false] == 0 {
				t.Errorf("%d zeros and %d quotients: the fixture does not reach both results", results[true], results[false])
			}
		})
	}
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

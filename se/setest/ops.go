package setest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segen/segen/se"
	"github.com/segen/segen/se/random"
)

// Ops are one shape's per-sample kernels on plain slices, each exactly as
// long as the sample, for kernels reached without an se.Kernel: assembly
// run on an interpreter of its instructions (internal/asmsim).
type Ops struct {
	Squeeze      func(z, x []float32)
	Scale        func(dst, x, s []float32)
	ScaleAddReLU func(dst, x, s, res []float32)
	FC1          func(h, w1, z, b1 []float32) // ReLU(W1·z + b1); b1 nil without bias
	FC2          func(s, w2, h, b2 []float32) // Sigmoid(W2·h + b2)
}

// CheckOps runs each of ops on one random sample of s against
// se.Generic(s), the two FCs together against its Excite on Check's
// parameters (random.Params), with Check's
// tolerances (a max squeeze exact). A stochastic squeeze gets positive
// input, where Σx²/Σx is well conditioned.
func CheckOps(t *testing.T, s se.Shape, ops Ops) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(s.C), uint64(s.Size())))
	randn := func(n int, positive bool) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
			if positive {
				v[i] = float32(math.Abs(float64(v[i])) + 0.1)
			}
		}
		return v
	}
	g := se.Generic(s)
	x := randn(s.Size(), s.Squeeze == se.Stochastic)
	sc, res := randn(s.C, false), randn(s.Size(), false)
	p := random.Params(s, 1)
	// same fails unless got is want within atol·scale + rtol·|want|.
	same := func(op string, got, want []float32, scale float64) {
		t.Helper()
		for i, v := range got {
			d := math.Abs(float64(v) - float64(want[i]))
			if !(d <= atol*scale+rtol*math.Abs(float64(want[i]))) && !(v != v && want[i] != want[i]) {
				t.Fatalf("%v: %s: index %d = %v, want %v", s, op, i, v, want[i])
			}
		}
	}
	maxX, maxS, maxR := maxAbs(x), maxAbs(sc), maxAbs(res)

	z, wantZ := make([]float32, s.C), make([]float32, s.C)
	ops.Squeeze(z, x)
	g.Squeeze(wantZ, x)
	scale := maxX
	if s.Squeeze == se.Max {
		scale = 0
	}
	same("squeeze", z, wantZ, scale)

	dst, want := make([]float32, s.Size()), make([]float32, s.Size())
	ops.Scale(dst, x, sc)
	g.Scale(want, x, sc)
	same("scale", dst, want, maxX*maxS)
	ops.ScaleAddReLU(dst, x, sc, res)
	g.ScaleAddReLU(want, x, sc, res)
	same("scale-add-relu", dst, want, maxX*maxS+maxR)

	h, gate, wantGate := make([]float32, s.Hidden), make([]float32, s.C), make([]float32, s.C)
	ops.FC1(h, p.W1, wantZ, p.B1)
	ops.FC2(gate, p.W2, h, p.B2)
	g.Excite(wantGate, wantZ, p)
	same("excite", gate, wantGate, 1)
}

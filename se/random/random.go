// Package random makes the deterministic inputs that se/setest checks
// kernels on and segen bench times them with: order-1 activations, He-scaled
// weights and gates in the sigmoid's range, the same on every Go version and
// platform. Inputs gathers one shape's for every op, and Loop calls an op on
// them, so the tests' benchmarks and segen bench time the very same calls.
package random

import (
	"fmt"
	"math"

	"github.com/segen/segen/se"
)

// rng is SplitMix64: tiny, fast and fully specified, so the data (and with it
// every reference result and benchmark input) is the same on every Go
// version and platform.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// uniform returns a value uniform in [-1, 1): a multiple of 2⁻²³, so never
// denormal and, except with probability 2⁻²⁴, never zero.
func (r *rng) uniform() float32 {
	return float32(r.next()>>40)*(1.0/(1<<23)) - 1
}

// fill sets v to values uniform in [-scale, scale). It is not instrumented
// under -race: it only writes fresh, unshared memory.
//
//go:norace
func (r *rng) fill(v []float32, scale float32) {
	for i := range v {
		v[i] = r.uniform() * scale
	}
}

// Data returns n deterministic values uniform in [-1, 1): order-1
// activations, far from the denormal range where x86 slows down 10–100×.
func Data(n int, seed uint64) []float32 {
	v := make([]float32, n)
	r := rng(seed)
	r.fill(v, 1)
	return v
}

// Params returns deterministic params for s, scaled as He (Kaiming)
// uniform initialisation scales trained weights: W1 ~ U(±√(6/C)) and
// W2 ~ U(±√(6/Hidden)), so each FC keeps its input's magnitude and the gates
// of order-1 inputs spread over (0, 1) instead of saturating at 0 or 1 (where
// a wrong gate would hide) or sitting at exactly ½. Biases, present iff
// s.Bias, follow PyTorch's default U(±1/√fan_in).
func Params(s se.Shape, seed uint64) *se.Params {
	r := rng(seed)
	p := &se.Params{
		W1: make([]float32, s.Hidden*s.C),
		W2: make([]float32, s.C*s.Hidden),
	}
	r.fill(p.W1, float32(math.Sqrt(6/float64(s.C))))
	r.fill(p.W2, float32(math.Sqrt(6/float64(s.Hidden))))
	if s.Bias {
		p.B1 = make([]float32, s.Hidden)
		p.B2 = make([]float32, s.C)
		r.fill(p.B1, float32(1/math.Sqrt(float64(s.C))))
		r.fill(p.B2, float32(1/math.Sqrt(float64(s.Hidden))))
	}
	return p
}

// Gates returns n deterministic gates uniform in [0, 1), the range of the
// sigmoid, for testing and benchmarking Scale on its own.
func Gates(n int, seed uint64) []float32 {
	v := Data(n, seed)
	for i := range v {
		v[i] = v[i]/2 + 0.5
	}
	return v
}

// Inputs are one sample's inputs and outputs of every op of a shape (batch
// 1, the inference case the project optimises for): what setest.Benchmark
// and segen bench time kernels on, so both measure the same thing. Outputs
// are buffers of their own, never the inputs, so repeated calls cannot shrink
// the data towards denormals.
type Inputs struct {
	X, Res []float32  // activations; Res is the AddReLU ops' residual
	Z      []float32  // Excite's input
	Gates  []float32  // Scale's gates, in [0, 1)
	Params *se.Params // Excite's and Forward's weights
	Dst    []float32  // the activation-sized output
	Out    []float32  // Squeeze's and Excite's C outputs
}

// NewInputs returns the inputs of shape s, each from its own seed.
func NewInputs(s se.Shape) *Inputs {
	return &Inputs{
		Params: Params(s, 1),
		X:      Data(s.Size(), 2),
		Res:    Data(s.Size(), 3),
		Z:      Data(s.C, 4),
		Gates:  Gates(s.C, 5),
		Dst:    make([]float32, s.Size()),
		Out:    make([]float32, s.C),
	}
}

// Loop returns a function that calls op of k on in n times. The loop sits
// inside each case, so a timed loop holds nothing but the kernel calls and
// allocates nothing. It panics on an unknown op, as se.BytesPerOp does.
func (in *Inputs) Loop(k se.Kernel, op se.Op) func(n int) {
	switch op {
	case se.Squeeze:
		return func(n int) {
			for range n {
				k.Squeeze(in.Out, in.X)
			}
		}
	case se.Excite:
		return func(n int) {
			for range n {
				k.Excite(in.Out, in.Z, in.Params)
			}
		}
	case se.Scale:
		return func(n int) {
			for range n {
				k.Scale(in.Dst, in.X, in.Gates)
			}
		}
	case se.ScaleAddReLU:
		return func(n int) {
			for range n {
				k.ScaleAddReLU(in.Dst, in.X, in.Gates, in.Res)
			}
		}
	case se.Forward:
		return func(n int) {
			for range n {
				k.Forward(in.Dst, in.X, in.Params)
			}
		}
	case se.ForwardAddReLU:
		return func(n int) {
			for range n {
				k.ForwardAddReLU(in.Dst, in.X, in.Res, in.Params)
			}
		}
	}
	panic(fmt.Sprintf("random: unknown op %q", op))
}

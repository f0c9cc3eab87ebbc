package setest

import (
	"testing"

	"github.com/segen/segen/se"
	"github.com/segen/segen/se/random"
)

// Benchmark measures op of k on one sample (batch 1, the inference case
// the project optimises for), with b.SetBytes(se.BytesPerOp(…)) so the result
// reads as GB/s. Inputs are order-1 random values from random.Data and
// random.Params: tiny or denormal activations would make x86 10–100× slower
// and measure the wrong thing. Outputs go to separate buffers, never in
// place, so repeated calls cannot shrink the data towards denormals. All
// allocation happens before the timer starts; b.ReportAllocs shows whether
// the kernel itself allocates.
func Benchmark(b *testing.B, k se.Kernel, op se.Op) {
	s := k.Shape()
	p := random.Params(s, 1)
	x := random.Data(s.Size(), 2)
	res := random.Data(s.Size(), 3)
	z := random.Data(s.C, 4)
	g := random.Gates(s.C, 5)
	dst := make([]float32, s.Size())
	out := make([]float32, s.C)

	b.SetBytes(se.BytesPerOp(s, op, 1))
	b.ReportAllocs()
	b.ResetTimer()
	switch op {
	case se.Squeeze:
		for b.Loop() {
			k.Squeeze(out, x)
		}
	case se.Excite:
		for b.Loop() {
			k.Excite(out, z, p)
		}
	case se.Scale:
		for b.Loop() {
			k.Scale(dst, x, g)
		}
	case se.ScaleAddReLU:
		for b.Loop() {
			k.ScaleAddReLU(dst, x, g, res)
		}
	case se.Forward:
		for b.Loop() {
			k.Forward(dst, x, p)
		}
	case se.ForwardAddReLU:
		for b.Loop() {
			k.ForwardAddReLU(dst, x, res, p)
		}
	default:
		b.Fatalf("setest: unknown op %q", op)
	}
}

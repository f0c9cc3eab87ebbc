package setest

import (
	"slices"
	"testing"

	"github.com/segen/segen/se"
	"github.com/segen/segen/se/random"
)

// Benchmark measures op of k on one sample (batch 1, the inference case
// the project optimises for), with b.SetBytes(se.BytesPerOp(…)) so the result
// reads as GB/s. It times the calls segen bench times: random.Inputs' Loop,
// order-1 inputs (tiny or denormal activations would make x86 10–100× slower
// and measure the wrong thing) and outputs in buffers of their own. All
// allocation happens before the timer starts; b.ReportAllocs shows whether
// the kernel itself allocates.
func Benchmark(b *testing.B, k se.Kernel, op se.Op) {
	if !slices.Contains(se.Ops(), op) {
		b.Fatalf("setest: unknown op %q", op)
	}
	loop := random.NewInputs(k.Shape()).Loop(k, op)
	b.SetBytes(se.BytesPerOp(k.Shape(), op, 1))
	b.ReportAllocs()
	b.ResetTimer()
	loop(b.N)
}

package bench

import (
	"testing"
	"time"

	"github.com/segen/segen/internal/membw"
	"github.com/segen/segen/se"

	_ "github.com/segen/segen/generated/sekernels" // the default spec's blocks, which the tests measure
)

// block returns the registered block called name.
func block(t *testing.T, name string) Block {
	t.Helper()
	for _, b := range Registered() {
		if b.Name == name {
			return b
		}
	}
	t.Fatalf("no registered block %s", name)
	return Block{}
}

// synthetic returns a result with known figures: basic4_nchw's Squeeze,
// three runs of specialised (110 ns/op in the median run) and generic
// (1,000 ns/op), against a reference loop of 500 GB/s.
func synthetic(t *testing.T) *KernelResult {
	b := block(t, "basic4_nchw")
	s := b.Kernel.Shape()
	r := &KernelResult{
		KernelOptions: KernelOptions{Blocks: []Block{b}, Ops: []se.Op{se.Squeeze}, Count: 3, Target: 5 * time.Millisecond, Quick: true},
		Machine:       Machine{GOOS: "linux", GOARCH: "amd64", CPU: "Test CPU", CPUs: 2, GoVersion: "go1.x"},
		Bandwidth: []membw.Bandwidth{
			{Level: membw.Level{Name: "L1", Bytes: 16 << 10, Limit: 32 << 10}, Read: 100, Copy: 90},
			{Level: membw.Level{Name: "DRAM", Bytes: 64 << 20}, Read: 20, Copy: 18},
		},
		Elapsed: 1500 * time.Millisecond,
	}
	runs := [][2]float64{{100, 1000}, {300, 900}, {110, 5000}} // specialised, generic ns/op per run
	for run, ns := range runs {
		for i, impl := range []string{"specialised", "generic"} {
			r.Records = append(r.Records, &Measurement{
				Block: b, Op: se.Squeeze, Impl: impl, ISA: []string{"avx2", "go"}[i], Run: run + 1,
				Iterations: 10, Chunks: []time.Duration{time.Duration(10 * ns[i])},
				NsPerOp: ns[i], Bytes: se.BytesPerOp(s, se.Squeeze, 1), WorkingSet: workingSet(s, se.Squeeze),
				BWKind: "read", BWLevel: "DRAM", BWGBPerS: 500, Speedup: ns[1] / ns[i],
			})
		}
	}
	return r
}

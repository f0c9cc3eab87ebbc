package resnet

import (
	"slices"
	"sync"
	"testing"

	"github.com/segen/segen/runtime/safetensors"
)

// heavyTest skips t in -short mode and under the race detector, which slows
// weight generation and the GEMM loops about tenfold. What the race
// detector is for (the goroutines of a forward pass, the plan pool) the
// remaining tests cover.
func heavyTest(t *testing.T) {
	t.Helper()
	if testing.Short() || raceEnabled {
		t.Skip("heavy: skipped in -short mode and under the race detector")
	}
}

var weightCache sync.Map // [3]any{arch, classes, seed} → []safetensors.Tensor

// randomWeights is RandomWeights, generated once per test binary for each
// (arch, classes, seed). The result is a fresh slice whose tensors share
// their Data with the cache: replace tensors, do not write into Data.
func randomWeights(t testing.TB, arch string, classes int, seed uint64) []safetensors.Tensor {
	t.Helper()
	key := [3]any{arch, classes, seed}
	if ts, ok := weightCache.Load(key); ok {
		return slices.Clone(ts.([]safetensors.Tensor))
	}
	ts, err := RandomWeights(arch, classes, seed)
	if err != nil {
		t.Fatal(err)
	}
	weightCache.Store(key, ts)
	return slices.Clone(ts)
}

// randomModel builds arch from randomWeights.
func randomModel(t testing.TB, arch string, classes int, seed uint64, opts Options) *Model {
	t.Helper()
	m, err := New(arch, &safetensors.File{Tensors: sortTensors(randomWeights(t, arch, classes, seed))}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

package inception

import (
	"math"
	"slices"
	"strings"

	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/seeded"
)

// Deterministic random weights, for benchmarks, tests and demos, from the
// generator of package seeded, which tools/inception_fixtures.py (through
// tools/resnet_fixtures.py) implements identically, so the parity tests
// regenerate the exact weights PyTorch ran with.
//
// The ranges keep activations of order 1 through all ten modules and
// logits of order 1–10: He-uniform convolutions; batch norms with gain
// near 1 and statistics that do not match the activations, so folding is
// really exercised; and SE up-projection biases drawn from [2, 3), which
// keep most gates open as in trained networks — around 0 every module would
// halve the activations and the last ones would be tiny.

// initRange returns the range tensor name of the given shape is drawn from.
func initRange(name string, shape []int) (lo, hi float64) {
	last := name[strings.LastIndexByte(name, '.')+1:]
	switch {
	case name == "classifier.weight":
		a := math.Sqrt(3.0 / float64(shape[1]))
		return -a, a
	case len(shape) == 4:
		a := math.Sqrt(6.0 / float64(shape[1]*shape[2]*shape[3]))
		return -a, a
	case strings.HasSuffix(name, "_1x1_up.bias"):
		return 2, 3
	case name == "classifier.bias" || strings.HasSuffix(name, "_1x1_down.bias"):
		return -0.1, 0.1
	case last == "weight":
		return 0.7, 1.3
	case last == "bias", last == "running_mean":
		return -0.2, 0.2
	case last == "running_var":
		return 0.6, 1.6
	}
	panic("inception: no initial range for " + name)
}

// RandomWeights returns the weights of arch with classes outputs, filled
// deterministically from seed, as F32 tensors sorted by name. New loads
// them like any weights file.
func RandomWeights(arch string, classes int, seed uint64) ([]safetensors.Tensor, error) {
	a, err := LookupArch(arch)
	if err != nil {
		return nil, err
	}
	var out []safetensors.Tensor
	for _, p := range a.Params(classes) {
		n := 1
		for _, d := range p.Shape {
			n *= d
		}
		v := make([]float32, n)
		lo, hi := initRange(p.Name, p.Shape)
		seeded.Uniform(v, seed, p.Name, lo, hi)
		out = append(out, safetensors.F32(p.Name, p.Shape, v))
	}
	slices.SortFunc(out, func(a, b safetensors.Tensor) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// NewRandom returns arch with classes outputs and the random weights of
// RandomWeights(arch, classes, seed).
func NewRandom(arch string, classes int, seed uint64, opts Options) (*Model, error) {
	ts, err := RandomWeights(arch, classes, seed)
	if err != nil {
		return nil, err
	}
	return New(arch, &safetensors.File{Tensors: ts}, opts)
}

// RandomInput returns n images of 3×Size×Size values from seed, uniform in
// [−2, 2): the input tools/inception_fixtures.py generates for a fixture.
func RandomInput(n int, seed uint64) []float32 {
	x := make([]float32, n*3*Size*Size)
	seeded.Uniform(x, seed, "input", -2, 2)
	return x
}

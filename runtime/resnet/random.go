package resnet

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/seeded"
)

// Deterministic random weights, for benchmarks, tests and demos, from the
// generator of package seeded, which tools/resnet_fixtures.py implements
// identically, so the parity tests regenerate the exact weights PyTorch ran
// with instead of committing hundreds of megabytes.
//
// The ranges keep activations of order 1 through the deepest network and
// logits of order 1–10: He-uniform convolutions, batch norms with gain near
// 1 and statistics that do not match the activations (so folding is really
// exercised), except the last batch norm of each residual branch, whose
// small weight keeps the residual stream from growing geometrically.
// Careless random weights let activations shrink into denormals, which x86
// processes 10–100× slower and would make benchmarks meaningless.

// initRange returns the range tensor name of the given shape is drawn from.
// lastBN names the last batch norm of a residual branch ("bn2" or "bn3"),
// fc the classifier ("fc" or "last_linear").
func initRange(name string, shape []int, lastBN, fc string) (lo, hi float64) {
	parts := strings.Split(name, ".")
	last := parts[len(parts)-1]
	switch {
	case name == fc+".weight":
		a := math.Sqrt(3.0 / float64(shape[1]))
		return -a, a
	case len(shape) == 4: // convolutions (grouped: shape[1] is a group's inputs) and SE's 1×1 fc1/fc2: He uniform
		a := math.Sqrt(6.0 / float64(shape[1]*shape[2]*shape[3]))
		return -a, a
	case name == fc+".bias" || strings.Contains(name, ".se.") || strings.Contains(name, ".se_module."):
		return -0.1, 0.1
	case last == "weight" && strings.HasPrefix(parts[0], "layer") && len(parts) > 2 && parts[2] == lastBN:
		return 0.1, 0.4
	case last == "weight":
		return 0.6, 1.2
	case last == "bias", last == "running_mean":
		return -0.2, 0.2
	case last == "running_var":
		return 0.6, 1.6
	}
	panic("resnet: no initial range for " + name)
}

// RandomWeights returns a timm state dict for arch with classes outputs,
// filled deterministically from seed (see the generator above), as F32
// tensors plus an I64 num_batches_tracked per batch norm as timm
// checkpoints carry. New loads it like any checkpoint.
func RandomWeights(arch string, classes int, seed uint64) ([]safetensors.Tensor, error) {
	a, err := LookupArch(arch)
	if err != nil {
		return nil, err
	}
	values := randomValues(a, classes, seed)
	var out []safetensors.Tensor
	for _, p := range a.Params(classes) {
		out = append(out, safetensors.F32(p.Name, p.Shape, values[p.Name]))
		if strings.HasSuffix(p.Name, ".running_var") {
			name := strings.TrimSuffix(p.Name, "running_var") + "num_batches_tracked"
			out = append(out, safetensors.Tensor{Name: name, DType: "I64", Shape: []int{}, Data: binary.LittleEndian.AppendUint64(nil, 0)})
		}
	}
	return out, nil
}

// randomValues returns a's parameters for classes outputs, generated from
// seed, by state-dict name.
func randomValues(a Arch, classes int, seed uint64) map[string][]float32 {
	lastBN := "bn2"
	if a.Block == Bottleneck {
		lastBN = "bn3"
	}
	values := map[string][]float32{}
	for _, p := range a.Params(classes) {
		v := make([]float32, count(p.Shape))
		lo, hi := initRange(p.Name, p.Shape, lastBN, a.classifier())
		seeded.Uniform(v, seed, p.Name, lo, hi)
		values[p.Name] = v
	}
	return values
}

// NewRandom returns arch with classes outputs and deterministic random
// weights from seed: the model RandomWeights describes, built without
// encoding them as a file.
func NewRandom(arch string, classes int, seed uint64, opts Options) (*Model, error) {
	a, err := LookupArch(arch)
	if err != nil {
		return nil, err
	}
	if classes < 1 {
		return nil, fmt.Errorf("resnet: %d classes", classes)
	}
	return build(a, classes, randomValues(a, classes, seed), opts)
}

func count(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

package inception

import (
	"fmt"
	"slices"
	"strings"

	"github.com/segen/segen/runtime/safetensors"
)

// WeightsError reports everything wrong with a weights file for an
// architecture: missing and unexpected keys, shape and dtype mismatches.
type WeightsError = safetensors.WeightsError

// Load reads a safetensors file of weights named as Arch.Params lists them
// and builds arch from it; see New.
func Load(arch, path string, opts Options) (*Model, error) {
	if _, err := LookupArch(arch); err != nil {
		return nil, err // before reading a possibly large file
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return New(arch, f, opts)
}

// New builds arch from the tensors of f, which must hold exactly the
// tensors Arch.Params lists (F32, F16 or BF16; half precision is widened on
// load; num_batches_tracked entries are ignored). The number of classes is
// classifier.weight's first dimension. Every batch norm (eps 1e-5, Caffe's
// default, which the prototxt keeps) is folded into its convolution.
func New(arch string, f *safetensors.File, opts Options) (*Model, error) {
	a, err := LookupArch(arch)
	if err != nil {
		return nil, err
	}
	classes := 0
	if t, ok := f.Lookup("classifier.weight"); ok && len(t.Shape) == 2 && t.Shape[0] > 0 {
		classes = t.Shape[0]
	}
	n := classes
	if t, ok := f.Lookup("classifier.bias"); ok && n == 0 && len(t.Shape) == 1 {
		n = t.Shape[0] // so a malformed classifier.weight is reported alone
	}
	want := a.Params(max(n, 1))
	if err := check(a, f, want, classes); err != nil {
		return nil, err
	}
	values := make(map[string][]float32, len(want))
	for _, p := range want {
		t, _ := f.Lookup(p.Name)
		v, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("inception: weights for %s: %w", a.Name, err)
		}
		values[p.Name] = v
	}
	return build(a, classes, values, opts)
}

// check compares the file's tensors with what a needs and returns a
// *WeightsError listing every difference, or nil.
func check(a Arch, f *safetensors.File, want []Param, classes int) error {
	var problems []string
	needed := make(map[string]bool, len(want))
	for _, p := range want {
		needed[p.Name] = true
		t, ok := f.Lookup(p.Name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing key %q (want shape %v)", p.Name, p.Shape))
		case p.Name == "classifier.weight" && classes == 0:
			problems = append(problems, fmt.Sprintf("key %q has shape %v, want [N %d] for N classes", p.Name, t.Shape, Features))
		case !slices.Equal(t.Shape, p.Shape):
			problems = append(problems, fmt.Sprintf("key %q has shape %v, want %v", p.Name, t.Shape, p.Shape))
		case t.DType != "F32" && t.DType != "F16" && t.DType != "BF16":
			problems = append(problems, fmt.Sprintf("key %q has dtype %s, want F32, F16 or BF16", p.Name, t.DType))
		}
	}
	for _, t := range f.Tensors {
		if !needed[t.Name] && !ignored(t.Name) {
			problems = append(problems, fmt.Sprintf("unexpected key %q (shape %v)", t.Name, t.Shape))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &WeightsError{Package: "inception", Arch: a.Name, Problems: problems, Hint: guess(a, f)}
}

// guess explains a file that does not fit a at all: the keys of the other
// architecture (SE weights given for bn_inception or the reverse), keys
// under a prefix ("module.conv1_7x7_s2.weight"), or no parameter of a at
// all.
func guess(a Arch, f *safetensors.File) string {
	names := map[string]bool{}
	for _, t := range f.Tensors {
		if !ignored(t.Name) {
			names[t.Name] = true
		}
	}
	for _, b := range archs {
		ps := b.Params(1)
		if b == a || len(ps) != len(names) {
			continue
		}
		all := true
		for _, p := range ps {
			all = all && names[p.Name]
		}
		if all {
			return "the file's keys are those of " + b.Name
		}
	}
	for _, p := range a.Params(1) {
		if names[p.Name] {
			return ""
		}
	}
	var sample []string
	for _, t := range f.Tensors {
		if prefix, ok := strings.CutSuffix(t.Name, "conv1_7x7_s2.weight"); ok && prefix != "" {
			return fmt.Sprintf("the keys carry the prefix %q (e.g. %q); save the weights without it", prefix, t.Name)
		}
		if len(sample) < 3 {
			sample = append(sample, t.Name)
		}
	}
	more := ""
	if len(f.Tensors) > 3 {
		more = ", …"
	}
	return fmt.Sprintf("the file holds no %s parameter (its %d tensors: %s%s)", a.Name, len(f.Tensors), strings.Join(sample, ", "), more)
}

// ignored reports whether an entry carries nothing inference needs: batch
// norms' num_batches_tracked counters, as PyTorch state dicts have them.
func ignored(name string) bool {
	return name == "num_batches_tracked" || strings.HasSuffix(name, ".num_batches_tracked")
}

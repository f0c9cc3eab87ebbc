package inception

import (
	"fmt"
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
	classes, values, err := a.schema().Load(f)
	if err != nil {
		return nil, err
	}
	return build(a, classes, values, opts)
}

// schema is what a needs of a weights file.
func (a Arch) schema() safetensors.Schema {
	return safetensors.Schema{
		Package: "inception", Arch: a.Name, Classifier: "classifier", Features: Features,
		Params: a.Params, Hint: func(f *safetensors.File) string { return guess(a, f) },
	}
}

// guess explains a file that does not fit a at all: the keys of the other
// architecture (SE weights given for bn_inception or the reverse), keys
// under a prefix ("module.conv1_7x7_s2.weight"), or no parameter of a at
// all.
func guess(a Arch, f *safetensors.File) string {
	names := map[string]bool{}
	for _, t := range f.Tensors {
		if !safetensors.Ignored(t.Name) {
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

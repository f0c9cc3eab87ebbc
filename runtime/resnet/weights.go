package resnet

import (
	"fmt"
	"slices"
	"strings"

	"github.com/segen/segen/runtime/safetensors"
)

// WeightsError reports everything wrong with a weights file for an
// architecture: missing and unexpected keys, shape and dtype mismatches.
type WeightsError = safetensors.WeightsError

// Load reads a safetensors file of timm weights (a state dict saved with
// timm's names) and builds arch from it; see New.
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

// New builds arch from the tensors of a timm state dict. The file must hold
// exactly the float tensors arch needs (F32, F16 or BF16; half precision is
// widened on load), with timm's names and shapes; num_batches_tracked
// entries are ignored. The number of classes is fc.weight's first
// dimension (last_linear.weight's in the legacy layout). Every batch norm is folded into the convolution before it.
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
		Package: "resnet", Arch: a.Name, Classifier: a.classifier(), Features: a.Features(),
		Params: a.Params, Hint: func(f *safetensors.File) string { return guess(a, f) },
	}
}

// guess explains a file that does not fit a at all: the keys of another
// architecture (the usual mistake is a wrong -arch), keys under a prefix
// (a checkpoint saved from a wrapper, "module.conv1.weight"), or no
// parameter of a at all.
func guess(a Arch, f *safetensors.File) string {
	var names []string
	for _, t := range f.Tensors {
		if !safetensors.Ignored(t.Name) {
			names = append(names, t.Name)
		}
	}
	var match []string
	for _, b := range archs {
		ps := b.Params(1)
		if len(ps) != len(names) {
			continue
		}
		ok := true
		for _, p := range ps {
			if _, found := slices.BinarySearch(names, p.Name); !found {
				ok = false
				break
			}
		}
		if ok {
			match = append(match, b.Name)
		}
	}
	if len(match) > 0 && !slices.Contains(match, a.Name) {
		return "the file's keys are those of " + strings.Join(match, " or ")
	}
	known := 0
	for _, p := range a.Params(1) {
		if _, found := slices.BinarySearch(names, p.Name); found {
			known++
		}
	}
	if known > 0 {
		if _, found := slices.BinarySearch(names, a.classifier()+".weight"); !found {
			return headless
		}
		return ""
	}
	if prefix, n := wrapperPrefix(names, []string{a.Params(1)[0].Name}); prefix != "" {
		return fmt.Sprintf("the keys carry the prefix %q (e.g. %q); save the state dict without it", prefix, n)
	}
	sample := names[:min(3, len(names))]
	more := ""
	if len(names) > 3 {
		more = ", …"
	}
	return fmt.Sprintf("the file holds no %s parameter (its %d tensors: %s%s)", a.Name, len(names), strings.Join(sample, ", "), more)
}

// sortTensors sorts ts by name, as safetensors.File requires, and returns it.
func sortTensors(ts []safetensors.Tensor) []safetensors.Tensor {
	slices.SortFunc(ts, func(a, b safetensors.Tensor) int { return strings.Compare(a.Name, b.Name) })
	return ts
}

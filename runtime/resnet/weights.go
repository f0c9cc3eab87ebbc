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
	classes := 0
	fc := a.classifier()
	if w, ok := f.Lookup(fc + ".weight"); ok && len(w.Shape) == 2 && w.Shape[0] > 0 {
		classes = w.Shape[0]
	}
	n := classes
	if fb, ok := f.Lookup(fc + ".bias"); ok && n == 0 && len(fb.Shape) == 1 {
		n = fb.Shape[0] // so a malformed fc.weight is reported alone
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
			return nil, fmt.Errorf("resnet: weights for %s: %w", a.Name, err)
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
		case p.Name == a.classifier()+".weight" && classes == 0:
			problems = append(problems, fmt.Sprintf("key %q has shape %v, want [N %d] for N classes", p.Name, t.Shape, a.Features()))
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
	return &WeightsError{Package: "resnet", Arch: a.Name, Problems: problems, Hint: guess(a, f)}
}

// guess explains a file that does not fit a at all: the keys of another
// architecture (the usual mistake is a wrong -arch), keys under a prefix
// (a checkpoint saved from a wrapper, "module.conv1.weight"), or no
// parameter of a at all.
func guess(a Arch, f *safetensors.File) string {
	var names []string
	for _, t := range f.Tensors {
		if !ignored(t.Name) {
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
		return ""
	}
	for _, n := range names {
		if prefix, ok := strings.CutSuffix(n, ".conv1.weight"); ok && !strings.Contains(prefix, "layer") && !strings.HasSuffix(prefix, "conv1") {
			return fmt.Sprintf("the keys carry the prefix %q (e.g. %q); save the state dict without it", prefix+".", n)
		}
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

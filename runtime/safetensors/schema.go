package safetensors

import (
	"fmt"
	"slices"
	"strings"
)

// Param is one tensor a model needs: its name and shape.
type Param struct {
	Name  string
	Shape []int
}

// Schema is what an architecture of a model package needs of a weights
// file: the float tensors Params lists, and nothing else but entries
// Ignored skips. The model packages (runtime/resnet, runtime/inception)
// load their files through it.
type Schema struct {
	Package string // the model package, which starts every error: "resnet"
	Arch    string // the architecture's name
	// Classifier names the final linear layer, whose weight
	// [classes, Features] gives the number of classes and whose bias is
	// [classes].
	Classifier string
	Features   int
	// Params returns the tensors the architecture needs for a classifier
	// of the given number of classes, in the order problems are listed.
	Params func(classes int) []Param
	// Hint guesses at the cause of a file that does not fit, for
	// WeightsError.Hint, or nil; it runs only when something is wrong.
	Hint func(f *File) string
}

// Load checks that f holds exactly the tensors s needs (F32, F16 or BF16;
// half precision is widened) and returns their values by name, with the
// number of classes read from the classifier's weight. A file that does
// not fit gives a *WeightsError listing every difference.
func (s Schema) Load(f *File) (classes int, values map[string][]float32, err error) {
	if t, ok := f.Lookup(s.Classifier + ".weight"); ok && len(t.Shape) == 2 && t.Shape[0] > 0 {
		classes = t.Shape[0]
	}
	n := classes
	if t, ok := f.Lookup(s.Classifier + ".bias"); ok && n == 0 && len(t.Shape) == 1 {
		n = t.Shape[0] // so a malformed classifier weight is reported alone
	}
	want := s.Params(max(n, 1))
	if err := s.check(f, want, classes); err != nil {
		return 0, nil, err
	}
	values = make(map[string][]float32, len(want))
	for _, p := range want {
		t, _ := f.Lookup(p.Name)
		v, err := t.Float32s()
		if err != nil {
			return 0, nil, fmt.Errorf("%s: weights for %s: %w", s.Package, s.Arch, err)
		}
		values[p.Name] = v
	}
	return classes, values, nil
}

// check compares f's tensors with want and returns a *WeightsError listing
// every difference, or nil. classes is 0 when the classifier's weight gives
// no number of classes.
func (s Schema) check(f *File, want []Param, classes int) error {
	var problems []string
	needed := make(map[string]bool, len(want))
	for _, p := range want {
		needed[p.Name] = true
		t, ok := f.Lookup(p.Name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing key %q (want shape %v)", p.Name, p.Shape))
		case p.Name == s.Classifier+".weight" && classes == 0:
			problems = append(problems, fmt.Sprintf("key %q has shape %v, want [N %d] for N classes", p.Name, t.Shape, s.Features))
		case !slices.Equal(t.Shape, p.Shape):
			problems = append(problems, fmt.Sprintf("key %q has shape %v, want %v", p.Name, t.Shape, p.Shape))
		case t.DType != "F32" && t.DType != "F16" && t.DType != "BF16":
			problems = append(problems, fmt.Sprintf("key %q has dtype %s, want F32, F16 or BF16", p.Name, t.DType))
		}
	}
	for _, t := range f.Tensors {
		if !needed[t.Name] && !Ignored(t.Name) {
			problems = append(problems, fmt.Sprintf("unexpected key %q (shape %v)", t.Name, t.Shape))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	e := &WeightsError{Package: s.Package, Arch: s.Arch, Problems: problems}
	if s.Hint != nil {
		e.Hint = s.Hint(f)
	}
	return e
}

// Ignored reports whether an entry carries nothing inference needs: batch
// norms' num_batches_tracked counters, as PyTorch state dicts have them.
func Ignored(name string) bool {
	return name == "num_batches_tracked" || strings.HasSuffix(name, ".num_batches_tracked")
}

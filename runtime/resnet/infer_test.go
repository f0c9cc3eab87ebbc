package resnet

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/safetensors"
)

// shapes returns a state dict with arch's names and shapes as
// RandomWeights lays it out (num_batches_tracked included) but without
// values, which is all Infer reads: filling the deepest networks would
// take gigabytes.
func shapes(t *testing.T, arch string, classes int) []safetensors.Tensor {
	t.Helper()
	a, err := LookupArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for _, p := range a.Params(classes) {
		ts = append(ts, safetensors.Tensor{Name: p.Name, DType: "F32", Shape: p.Shape})
		if name, ok := strings.CutSuffix(p.Name, ".running_var"); ok {
			ts = append(ts, safetensors.Tensor{Name: name + ".num_batches_tracked", DType: "I64", Shape: []int{}, Data: binary.LittleEndian.AppendUint64(nil, 0)})
		}
	}
	return ts
}

// TestInferEveryArch infers every architecture the package knows from
// its own state dict, for several class counts. Architectures whose state
// dicts are identical (they differ only in layers without parameters) must
// come back as an *AmbiguousError naming exactly the set of them.
func TestInferEveryArch(t *testing.T) {
	params := map[string][]Param{}
	for _, name := range Archs() {
		a, _ := LookupArch(name)
		params[name] = a.Params(1000)
	}
	for _, name := range Archs() {
		twins := []string{} // architectures with name's state dict, name included
		for _, other := range Archs() {
			if slices.EqualFunc(params[name], params[other], func(p, q Param) bool {
				return p.Name == q.Name && slices.Equal(p.Shape, q.Shape)
			}) {
				twins = append(twins, other)
			}
		}
		if len(twins) > 1 {
			t.Logf("%s: the same state dict as %v", name, twins)
		}
		for _, classes := range []int{1000, 7, 11821} {
			got, err := Infer(&safetensors.File{Tensors: sortTensors(shapes(t, name, classes))})
			var amb *AmbiguousError
			switch {
			case len(twins) == 1 && err != nil:
				t.Errorf("%s, %d classes: %v", name, classes, err)
			case len(twins) == 1 && got.Name != name:
				t.Errorf("%s, %d classes: inferred %s", name, classes, got.Name)
			case len(twins) > 1 && !errors.As(err, &amb):
				t.Errorf("%s, %d classes: got %v, %v; want the ambiguity between %v", name, classes, got.Name, err, twins)
			case len(twins) > 1 && !slices.Equal(amb.Archs, twins):
				t.Errorf("%s, %d classes: ambiguous between %v, want %v", name, classes, amb.Archs, twins)
			}
		}
	}
}

// TestInferRandomWeights infers from complete files, values and all.
func TestInferRandomWeights(t *testing.T) {
	for _, name := range []string{"resnet18", "seresnet18"} {
		got, err := Infer(&safetensors.File{Tensors: sortTensors(randomWeights(t, name, 3, 7))})
		if err != nil || got.Name != name {
			t.Errorf("%s: inferred %q, %v", name, got.Name, err)
		}
	}
}

func TestInferAmbiguous(t *testing.T) {
	a, _ := LookupArch("seresnet50")
	twin := a
	twin.Name = "seresnet50twin"
	_, err := inferAmong(&safetensors.File{Tensors: sortTensors(shapes(t, "seresnet50", 1000))}, []Arch{a, twin})
	var amb *AmbiguousError
	if !errors.As(err, &amb) || !slices.Equal(amb.Archs, []string{"seresnet50", "seresnet50twin"}) {
		t.Fatalf("got %v, want the ambiguity between seresnet50 and seresnet50twin", err)
	}
	for _, want := range []string{"fit 2 architectures", "seresnet50 and seresnet50twin", "without parameters"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}

// TestInferNoMatch checks that a file no architecture fits is reported
// with the nearest architecture and what differed.
func TestInferNoMatch(t *testing.T) {
	drop := func(sub string) func([]safetensors.Tensor) []safetensors.Tensor {
		return func(ts []safetensors.Tensor) []safetensors.Tensor {
			return slices.DeleteFunc(ts, func(t safetensors.Tensor) bool { return strings.HasPrefix(t.Name, sub) })
		}
	}
	rename := func(from, to string) func([]safetensors.Tensor) []safetensors.Tensor {
		return func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i := range ts {
				ts[i].Name = strings.ReplaceAll(ts[i].Name, from, to)
			}
			return ts
		}
	}
	reshape := func(suffix string, f func([]int) []int) func([]safetensors.Tensor) []safetensors.Tensor {
		return func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i := range ts {
				if strings.HasSuffix(ts[i].Name, suffix) {
					ts[i].Shape = f(slices.Clone(ts[i].Shape))
				}
			}
			return ts
		}
	}
	cases := []struct {
		name    string
		arch    string
		edit    func([]safetensors.Tensor) []safetensors.Tensor
		nearest string // "" for a file near no architecture
		wants   []string
	}{
		{"block missing", "seresnet101", drop("layer3.22."), "seresnet101",
			[]string{"nearest seresnet101 (19 tensors differ: layer3 has 22 blocks, seresnet101 has 23)", "then resnet101 (143 tensors differ: layer3 has 22 blocks, resnet101 has 23; 128 SE tensors unexpected"}},
		{"one SE missing", "seresnet50", drop("layer1.0.se."), "seresnet50",
			[]string{"nearest seresnet50 (4 tensors differ: 4 SE tensors missing (layer1.0.se.fc1.weight [16 256 1 1], …))"}},
		{"SE hidden size", "seresnet18", reshape("se.fc1.weight", func(s []int) []int { s[0] = s[1] / 16; return s }), "seresnet18",
			[]string{"nearest seresnet18 (2 tensors differ: 2 SE tensors of another shape (layer1.0.se.fc1.weight is [4 64 1 1], seresnet18 has [8 64 1 1], …))"}},
		{"grouped conv2", "seresnet50", reshape("conv2.weight", func(s []int) []int { s[1] /= 32; return s }), "seresnet50",
			[]string{"16 conv2 tensors of another shape (layer1.0.conv2.weight is [64 2 3 3], seresnet50 has [64 64 3 3], …)"}},
		{"renamed SE", "seresnet34", rename(".se.", ".attn."), "resnet34",
			[]string{"nearest resnet34 (64 tensors differ: 64 attn tensors unexpected (layer1.0.attn.fc1.bias [8], …))",
				"then seresnet34 (128 tensors differ: 64 SE tensors missing (layer1.0.se.fc1.weight [8 64 1 1], …); 64 attn tensors unexpected"}},
		{"legacy classifier", "resnet18", rename("fc.", "last_linear."), "resnet18",
			[]string{"nearest resnet18 (4 tensors differ: 2 fc tensors missing (fc.weight [", "2 last_linear tensors unexpected (last_linear.bias [1000], …))"}},
		{"wrapper prefix", "resnet50", func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i := range ts {
				ts[i].Name = "module." + ts[i].Name
			}
			return ts
		}, "",
			[]string{`the names carry the prefix "module." (module.conv1.weight); save the state dict without it`}},
		// A deep stem's conv1.0.weight: a block's conv1.weight must not pass for the stem.
		{"wrapper prefix, deep stem", "seresnext26t_32x4d", func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i := range ts {
				ts[i].Name = "module." + ts[i].Name
			}
			return ts
		}, "",
			[]string{`the names carry the prefix "module." (module.conv1.0.weight); save the state dict without it`}},
		{"headless", "seresnext26d_32x4d", drop("fc."), "seresnext26d_32x4d",
			[]string{"nearest seresnext26d_32x4d (2 tensors differ: 2 fc tensors missing", "; the file has no classifier (fc.weight, or last_linear.weight in the legacy layout): " +
				"a features-only network, as timm saves it with num_classes=0; segen runs classifiers"}},
		{"one tensor", "seresnet50", drop("layer1.0.se.fc1.weight"), "seresnet50",
			[]string{"nearest seresnet50 (1 tensor differs: 1 SE tensor missing (layer1.0.se.fc1.weight [16 256 1 1]))"}},
		{"foreign", "resnet18", func([]safetensors.Tensor) []safetensors.Tensor {
			return []safetensors.Tensor{{Name: "encoder.weight", DType: "F32", Shape: []int{2}}}
		}, "", []string{"no parameter of any known architecture (its only tensor: encoder.weight)"}},
		{"empty", "resnet18", func([]safetensors.Tensor) []safetensors.Tensor { return nil }, "", []string{"the file holds no tensors"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Infer(&safetensors.File{Tensors: sortTensors(c.edit(shapes(t, c.arch, 1000)))})
			var e *NoMatchError
			if !errors.As(err, &e) {
				t.Fatalf("inferred %q, %v; want a *NoMatchError", got.Name, err)
			}
			if c.nearest == "" && len(e.Nearest) != 0 || c.nearest != "" && (len(e.Nearest) == 0 || e.Nearest[0].Arch != c.nearest) {
				t.Errorf("nearest %v, want %q", e.Nearest, c.nearest)
			}
			for _, want := range c.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s\ndoes not say\n%s", err, want)
				}
			}
		})
	}
}

// TestDistance checks the counting distance Infer ranks by against the
// differences it reports, for every architecture on edited files.
func TestDistance(t *testing.T) {
	files := []map[string][]int{}
	for _, edit := range []func([]safetensors.Tensor) []safetensors.Tensor{
		func(ts []safetensors.Tensor) []safetensors.Tensor { return ts },
		func(ts []safetensors.Tensor) []safetensors.Tensor { return ts[5:] },
		func(ts []safetensors.Tensor) []safetensors.Tensor {
			ts[3].Shape = []int{1, 2, 3}
			ts[len(ts)-2].Shape = []int{5, 512} // the classifier, 5 classes
			return append(ts, safetensors.Tensor{Name: "extra", Shape: []int{1}})
		},
	} {
		f := map[string][]int{}
		for _, ts := range edit(shapes(t, "seresnet18", 10)) {
			if !safetensors.Ignored(ts.Name) {
				f[ts.Name] = ts.Shape
			}
		}
		files = append(files, f)
	}
	for _, name := range Archs() {
		a, _ := LookupArch(name)
		for i, f := range files {
			for _, n := range []int{1, 5, 10} {
				got, _ := templateOf(a).distance(f, n)
				if want := differ(f, a.Params(n)).distance(); got != want {
					t.Errorf("%s, file %d, %d classes: distance %d, differ %d", name, i, n, got, want)
				}
			}
		}
	}
}

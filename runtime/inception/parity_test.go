package inception

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "github.com/segen/segen/generated/sekernels" // the specialised SE kernels, registered with se
	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/tensor"
)

// fixtureDir holds what tools/inception_fixtures.py writes.
const fixtureDir = "../../testdata/inception"

// fixture is one PyTorch reference run of the prototxt: the architecture,
// the weight and input seeds, and PyTorch's logits.
type fixture struct {
	name            string
	arch            string
	seed, inputSeed uint64
	classes, batch  int
	logits          *tensor.Tensor
}

func fixtures(t *testing.T) []fixture {
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.safetensors"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s (run tools/inception_fixtures.py): %v", fixtureDir, err)
	}
	var out []fixture
	for _, path := range paths {
		f, err := safetensors.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		num := func(key string) uint64 {
			v, err := strconv.ParseUint(f.Metadata[key], 10, 64)
			if err != nil {
				t.Fatalf("%s: %s: %v", path, key, err)
			}
			return v
		}
		fx := fixture{name: strings.TrimSuffix(filepath.Base(path), ".safetensors"), arch: f.Metadata["arch"],
			seed: num("seed"), inputSeed: num("input_seed"), classes: int(num("classes")), batch: int(num("batch"))}
		if num("height") != Size || num("width") != Size {
			t.Fatalf("%s: a %s×%s input", path, f.Metadata["height"], f.Metadata["width"])
		}
		lt, ok := f.Lookup("logits")
		if !ok {
			t.Fatalf("%s: no logits", path)
		}
		v, err := lt.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		fx.logits = &tensor.Tensor{Shape: lt.Shape, Data: v}
		out = append(out, fx)
	}
	return out
}

// weightsFile returns random weights as a safetensors file, encoded and
// parsed again so the test goes through exactly what loading a file does.
func weightsFile(t testing.TB, arch string, classes int, seed uint64) *safetensors.File {
	t.Helper()
	ts, err := RandomWeights(arch, classes, seed)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, ts, nil); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// compare checks got against PyTorch's logits: max |Δ| ≤ 1e-4 × max |logit|
// and the same top-1 class for every sample. It returns max |Δ|.
func compare(t *testing.T, got, want *tensor.Tensor) float64 {
	t.Helper()
	if !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("logits shape %v, want %v", got.Shape, want.Shape)
	}
	var diff, peak float64
	for i, w := range want.Data {
		diff = max(diff, math.Abs(float64(got.Data[i])-float64(w)))
		peak = max(peak, math.Abs(float64(w)))
	}
	if !(diff <= 1e-4*peak) {
		t.Errorf("max |Δ| = %.3g > 1e-4 × max |logit| (%.3g)", diff, peak)
	}
	classes := want.Shape[1]
	for i := range want.Shape[0] {
		if g, w := argmax(got.Data[i*classes:(i+1)*classes]), argmax(want.Data[i*classes:(i+1)*classes]); g != w {
			t.Errorf("sample %d: top-1 class %d, PyTorch says %d", i, g, w)
		}
	}
	return diff
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// TestParity runs every fixture through the specialised SE kernels (what
// se.Lookup returns) and through the generic ones, on one to three
// threads, and compares the logits with PyTorch's execution of the prototxt.
func TestParity(t *testing.T) {
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			if testing.Short() || raceEnabled {
				t.Skip("a whole network at 224×224: skipped in -short mode and under the race detector")
			}
			m, err := New(fx.arch, weightsFile(t, fx.arch, fx.classes, fx.seed), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Classes() != fx.classes {
				t.Fatalf("Classes() = %d, want %d (from classifier.weight)", m.Classes(), fx.classes)
			}
			x := &tensor.Tensor{Shape: []int{fx.batch, 3, Size, Size}, Data: RandomInput(fx.batch, fx.inputSeed)}
			// One thread; fewer images than threads (each image's SE scale
			// split by pixels); and, for batch 2, one image per thread.
			for _, opts := range []Options{{Threads: 1}, {Threads: 3, UseGeneric: true}, {Threads: 2}} {
				got, err := m.WithOptions(opts).Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				path := map[bool]string{false: "specialised", true: "generic"}[opts.UseGeneric]
				t.Logf("%s, %d threads: max |Δ| = %.3g", path, opts.Threads, compare(t, got, fx.logits))
			}
		})
	}
}

// TestKernelsUsed checks that the specialised path runs generated kernels
// for every SE module at 224×224 (the spec has their shapes) and the
// generic path never does.
func TestKernelsUsed(t *testing.T) {
	m, err := NewRandom("se_bn_inception", 10, 1, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range m.NewPlan(1).Kernels() {
		if impl := k.Impl(); strings.HasPrefix(impl, "generic") {
			t.Errorf("module %s (%v): se.Lookup gave %s; is the shape missing from the spec?", modules[i].name, k.Shape(), impl)
		}
	}
	for i, k := range m.WithOptions(Options{UseGeneric: true}).NewPlan(1).Kernels() {
		if impl := k.Impl(); impl != "generic" {
			t.Errorf("module %d: UseGeneric ran %s", i, impl)
		}
	}
}

// TestKeysMatchPrototxt compares each architecture's parameters with the
// names and shapes tools/inception_fixtures.py derives from the prototxt.
func TestKeysMatchPrototxt(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtureDir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	var byArch map[string][][2]json.RawMessage
	if err := json.Unmarshal(data, &byArch); err != nil {
		t.Fatal(err)
	}
	for _, name := range Archs() {
		a, _ := LookupArch(name)
		var want, got []string
		for _, kv := range byArch[name] {
			var key string
			var shape []int
			if err := json.Unmarshal(kv[0], &key); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(kv[1], &shape); err != nil {
				t.Fatal(err)
			}
			want = append(want, fmt.Sprint(key, shape))
		}
		for _, p := range a.Params(1000) {
			got = append(got, fmt.Sprint(p.Name, p.Shape))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d parameters, the prototxt has %d; first difference: %s", name, len(got), len(want), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%q vs %q", a[i], b[i])
		}
	}
	return "one list is a prefix of the other"
}

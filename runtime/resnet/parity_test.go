package resnet

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "github.com/segen/segen/generated/sekernels" // the specialised SE kernels, registered with se
	"github.com/segen/segen/isa"
	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/tensor"
	"github.com/segen/segen/se"
)

// fixtureDir holds what tools/resnet_fixtures.py writes.
const fixtureDir = "../../testdata/resnet"

// fixture is one PyTorch reference run: the architecture and weight seed,
// the input and PyTorch's logits.
type fixture struct {
	name          string
	arch          string
	seed          uint64
	classes       int
	input, logits *tensor.Tensor
}

// loadFixture reads a logits fixture; ok is false for the directory's other
// files (preprocess.safetensors), which have no arch.
func loadFixture(t testing.TB, path string) (fx fixture, ok bool) {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["arch"] == "" {
		return fx, false
	}
	fx = fixture{name: strings.TrimSuffix(filepath.Base(path), ".safetensors"), arch: f.Metadata["arch"]}
	if fx.seed, err = strconv.ParseUint(f.Metadata["seed"], 10, 64); err != nil {
		t.Fatalf("%s: seed: %v", path, err)
	}
	if fx.classes, err = strconv.Atoi(f.Metadata["classes"]); err != nil {
		t.Fatalf("%s: classes: %v", path, err)
	}
	get := func(name string) *tensor.Tensor {
		tt, ok := f.Lookup(name)
		if !ok {
			t.Fatalf("%s: no tensor %q", path, name)
		}
		v, err := tt.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		return &tensor.Tensor{Shape: tt.Shape, Data: v}
	}
	fx.input, fx.logits = get("input"), get("logits")
	return fx, true
}

func fixtures(t testing.TB) []fixture {
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.safetensors"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s (run tools/resnet_fixtures.py): %v", fixtureDir, err)
	}
	var out []fixture
	for _, p := range paths {
		if fx, ok := loadFixture(t, p); ok {
			out = append(out, fx)
		}
	}
	return out
}

// weightsFile returns the fixture's weights as a safetensors file, encoded
// and parsed again so the test goes through exactly what loading a
// checkpoint does. The weights are not cached: each network is tested once.
func weightsFile(t testing.TB, arch string, classes int, seed uint64) *safetensors.File {
	t.Helper()
	ts, err := RandomWeights(arch, classes, seed)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fixtureModel builds the fixture's network: from a weights file, or for
// the heavy networks (hundreds of megabytes of weights) straight from the
// generated values, skipping the encoding that the others cover.
func fixtureModel(t *testing.T, fx fixture) *Model {
	t.Helper()
	if heavy(fx.arch) {
		m, err := NewRandom(fx.arch, fx.classes, fx.seed, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m, err := New(fx.arch, weightsFile(t, fx.arch, fx.classes, fx.seed), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
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

// TestParity runs every PyTorch fixture through the specialised SE kernels
// (what se.Lookup returns) and through the generic ones, and compares the
// logits with PyTorch's.
//
// The fixtures run two at a time: building the deep networks' weights
// dominates, and it is one goroutine's work each. Under the race detector
// only raceFixtures run.
func TestParity(t *testing.T) {
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			if heavy(fx.arch) || fx.input.Len() > 100_000 || (raceEnabled && !raceFixtures[fx.arch]) {
				heavyTest(t)
			}
			t.Parallel()
			m := fixtureModel(t, fx)
			if m.Classes() != fx.classes {
				t.Fatalf("Classes() = %d, want %d (from fc.weight)", m.Classes(), fx.classes)
			}
			for _, generic := range []bool{false, true} {
				got, err := m.WithOptions(Options{UseGeneric: generic}).Forward(fx.input)
				if err != nil {
					t.Fatal(err)
				}
				path := map[bool]string{false: "specialised", true: "generic"}[generic]
				t.Logf("%s: max |Δ| = %.3g (max |logit| %.3g)", path, compare(t, got, fx.logits), peakAbs(fx.logits.Data))
			}
		})
	}
}

// raceFixtures are the architectures TestParity runs under the race
// detector: a plain SE-ResNet, and an SE-ResNeXt whose grouped
// convolutions, tiered stem and pooled shortcuts have goroutines of their
// own.
var raceFixtures = map[string]bool{"seresnet18": true, "seresnext26t_32x4d": true}

// heavy reports whether arch has so many weights that generating them
// dominates a test's time.
func heavy(arch string) bool {
	a, _ := LookupArch(arch)
	return a.Layers[2] > 6
}

func peakAbs(v []float32) float64 {
	p := 0.0
	for _, x := range v {
		p = max(p, math.Abs(float64(x)))
	}
	return p
}

// TestKernelsUsed checks that the specialised path really runs the
// generated kernels where the spec has the shape (every SE block at
// 224×224 of SE-ResNet-18, of the original release's SE-ResNet-18, whose
// first stage has hidden 4, and of an SE-ResNeXt-D) — not the runtime-sized
// fallback, not the generic kernel — and the generic path never does.
func TestKernelsUsed(t *testing.T) {
	for _, arch := range []string{"seresnet18", "legacy_seresnet18", "seresnext26d_32x4d"} {
		if arch != "seresnet18" && (testing.Short() || raceEnabled) {
			continue // the lookups are the same under the race detector; the weights are slow
		}
		m := randomModel(t, arch, 10, 1, Options{})
		p, err := m.NewPlan(1, 224, 224)
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range p.Kernels() {
			if impl := k.Impl(); impl == "generic" || impl == "generic-simd" || se.Specialised(k.Shape(), isa.Go) == nil {
				t.Errorf("%s: block %d (%v): se.Lookup gave the %s kernel, not a generated one; is the spec shape missing?", arch, i, k.Shape(), impl)
			}
		}
		if p, err = m.WithOptions(Options{UseGeneric: true}).NewPlan(1, 224, 224); err != nil {
			t.Fatal(err)
		}
		for i, k := range p.Kernels() {
			if impl := k.Impl(); impl != "generic" {
				t.Errorf("%s: block %d: UseGeneric ran %s", arch, i, impl)
			}
		}
	}
}

// TestKeysMatchPyTorch compares the parameters each architecture expects
// with the state_dict keys and shapes of PyTorch: of tools/resnet_fixtures.py's
// modules, which carry timm's names (keys.json), and of the real timm's
// models (timm_keys.json.gz, from tools/timm_fixtures.py), which must list
// every architecture.
func TestKeysMatchPyTorch(t *testing.T) {
	plain, err := os.ReadFile(filepath.Join(fixtureDir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(fixtureDir, "timm_keys.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	timm, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []struct {
		file string
		data []byte
		all  bool
	}{{"keys.json", plain, false}, {"timm_keys.json.gz", timm, true}} {
		var byArch map[string][][2]json.RawMessage
		if err := json.Unmarshal(src.data, &byArch); err != nil {
			t.Fatal(err)
		}
		for _, name := range Archs() {
			keys, ok := byArch[name]
			if !ok {
				if src.all {
					t.Errorf("%s: no keys for %s", src.file, name)
				}
				continue
			}
			a, _ := LookupArch(name)
			var want []string
			for _, kv := range keys {
				var key string
				var shape []int
				if err := json.Unmarshal(kv[0], &key); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(kv[1], &shape); err != nil {
					t.Fatal(err)
				}
				if !safetensors.Ignored(key) {
					want = append(want, fmt.Sprint(key, shape))
				}
			}
			var got []string
			for _, p := range a.Params(1000) {
				got = append(got, fmt.Sprint(p.Name, p.Shape))
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s: %d parameters, PyTorch has %d; first difference: %s", src.file, name, len(got), len(want), firstDiff(got, want))
			}
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

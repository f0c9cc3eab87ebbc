package resnet

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	_ "github.com/segen/segen/generated/sekernels" // the specialised SE kernels, registered with se
	"github.com/segen/segen/internal/paritytest"
	"github.com/segen/segen/isa"
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

// fixtures reads the logits fixtures; the directory's other files
// (preprocess.safetensors) have no arch.
func fixtures(t testing.TB) []fixture {
	var out []fixture
	for _, f := range paritytest.Fixtures(t, fixtureDir, "tools/resnet_fixtures.py") {
		if f.Metadata["arch"] == "" {
			continue
		}
		out = append(out, fixture{
			name: f.Name, arch: f.Metadata["arch"], seed: f.Uint(t, "seed"), classes: int(f.Uint(t, "classes")),
			input: f.Tensor(t, "input"), logits: f.Tensor(t, "logits"),
		})
	}
	return out
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
	// The weights are not cached: each network is tested once.
	m, err := New(fx.arch, paritytest.WeightsFile(t, RandomWeights, fx.arch, fx.classes, fx.seed), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
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
				t.Logf("%s: max |Δ| = %.3g (max |logit| %.3g)", path, paritytest.Compare(t, got, fx.logits), paritytest.PeakAbs(fx.logits.Data))
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
		byArch := paritytest.Keys(t, src.data)
		for _, name := range Archs() {
			want, ok := byArch[name]
			if !ok {
				if src.all {
					t.Errorf("%s: no keys for %s", src.file, name)
				}
				continue
			}
			a, _ := LookupArch(name)
			got := paritytest.ParamKeys(a.Params(1000))
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s: %d parameters, PyTorch has %d; first difference: %s", src.file, name, len(got), len(want), paritytest.FirstDiff(got, want))
			}
		}
	}
}

package inception

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/segen/segen/generated/sekernels" // the specialised SE kernels, registered with se
	"github.com/segen/segen/internal/paritytest"
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
	var out []fixture
	for _, f := range paritytest.Fixtures(t, fixtureDir, "tools/inception_fixtures.py") {
		fx := fixture{name: f.Name, arch: f.Metadata["arch"],
			seed: f.Uint(t, "seed"), inputSeed: f.Uint(t, "input_seed"), classes: int(f.Uint(t, "classes")), batch: int(f.Uint(t, "batch"))}
		if f.Uint(t, "height") != Size || f.Uint(t, "width") != Size {
			t.Fatalf("%s: a %s×%s input", f.Path, f.Metadata["height"], f.Metadata["width"])
		}
		fx.logits = f.Tensor(t, "logits")
		out = append(out, fx)
	}
	return out
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
			m, err := New(fx.arch, paritytest.WeightsFile(t, RandomWeights, fx.arch, fx.classes, fx.seed), Options{})
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
				t.Logf("%s, %d threads: max |Δ| = %.3g", path, opts.Threads, paritytest.Compare(t, got, fx.logits))
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
	byArch := paritytest.Keys(t, data)
	for _, name := range Archs() {
		a, _ := LookupArch(name)
		want, got := byArch[name], paritytest.ParamKeys(a.Params(1000))
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d parameters, the prototxt has %d; first difference: %s", name, len(got), len(want), paritytest.FirstDiff(got, want))
		}
	}
}

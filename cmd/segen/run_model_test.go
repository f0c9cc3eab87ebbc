package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/segen/segen/runtime/resnet"
	"github.com/segen/segen/runtime/safetensors"
)

const hubConfigs = "../../testdata/hub"

var weightCache sync.Map // "arch/classes/seed" → []safetensors.Tensor

// randomWeights is RandomWeights, generated once per test binary for each
// (arch, classes, seed): under the race detector generating takes seconds.
func randomWeights(t *testing.T, arch string, classes int, seed uint64) []safetensors.Tensor {
	t.Helper()
	key := fmt.Sprintf("%s/%d/%d", arch, classes, seed)
	if ts, ok := weightCache.Load(key); ok {
		return slices.Clone(ts.([]safetensors.Tensor))
	}
	ts, err := resnet.RandomWeights(arch, classes, seed)
	if err != nil {
		t.Fatal(err)
	}
	weightCache.Store(key, ts)
	return slices.Clone(ts)
}

// writeWeights writes RandomWeights(arch, classes, seed) to path.
func writeWeights(t *testing.T, path, arch string, classes int, seed uint64) {
	t.Helper()
	if err := safetensors.WriteFile(path, randomWeights(t, arch, classes, seed), nil); err != nil {
		t.Fatal(err)
	}
}

// modelFolder lays out a model folder at dir: testdata/hub/config's
// config.json and random weights.
func modelFolder(t *testing.T, dir, config, arch string, classes int, seed uint64) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(hubConfigs, config, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	writeWeights(t, filepath.Join(dir, "model.safetensors"), arch, classes, seed)
	return dir
}

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// skipUnderRace skips t under the race detector, where generating and
// loading each network's weights takes seconds: these tests run whole
// networks for what the command does with them, which has no goroutines
// of its own; TestRunModelErrors still runs the same paths there.
func skipUnderRace(t *testing.T) {
	if raceDetector() {
		t.Skip("whole networks through the command: skipped under the race detector")
	}
}

// TestRunInfersArch runs a weights file without -arch and checks PyTorch's
// logits: the architecture came from the file's names and shapes.
func TestRunInfersArch(t *testing.T) {
	skipUnderRace(t)
	fixture := filepath.Join(fixtures, "seresnet18_2x64x80.safetensors")
	weights := filepath.Join(t.TempDir(), "w.safetensors")
	writeWeights(t, weights, "seresnet18", 10, 118) // the fixture's weights
	out := filepath.Join(t.TempDir(), "y.safetensors")
	code, _, stderr := runCmd("run", "-v", "-weights", weights, "-input", fixture, "-output", out)
	if code != 0 {
		t.Fatal(stderr)
	}
	if !strings.Contains(stderr, "architecture seresnet18 (inferred from the weights)") {
		t.Errorf("-v does not say the architecture was inferred:\n%s", stderr)
	}
	checkLogits(t, fixture, out)
}

// TestRunModel runs a model folder and checks that its config.json is
// applied: the same logits as the flags that spell its recipe out, the
// label descriptions printed, and flags given winning over the file; then
// the same folder found in a Hugging Face cache as timm/NAME.
func TestRunModel(t *testing.T) {
	skipUnderRace(t)
	dir := t.TempDir()
	model := modelFolder(t, filepath.Join(dir, "resnet18.labels"), "resnet18.labels", "resnet18", 3, 5)
	img := filepath.Join(dir, "pic.png")
	writePNG(t, img, 61, 47)
	logits := func(args ...string) []float32 {
		t.Helper()
		out := filepath.Join(t.TempDir(), "y.safetensors")
		code, _, stderr := runCmd(append(append([]string{"run", "-output", out}, args...), img)...)
		if code != 0 {
			t.Fatal(stderr)
		}
		_, v := readTensor(t, out, "logits")
		return v
	}
	weights := filepath.Join(model, "model.safetensors")
	// config.json: resnet18, 3 classes, 64, bicubic, crop_pct 0.95.
	got := logits("-model", model)
	if want := logits("-weights", weights, "-arch", "resnet18", "-size", "64", "-interp", "bicubic", "-crop-pct", "0.95"); !slices.Equal(got, want) {
		t.Errorf("-model %v, the recipe spelt out %v", got, want)
	}
	if plain := logits("-weights", weights, "-size", "64"); slices.Equal(got, plain) {
		t.Error("config.json's interpolation and crop changed nothing: the test does not tell")
	}
	if got, want := logits("-model", model, "-size", "48", "-crop-pct", "1", "-interp", "bilinear"), logits("-weights", weights, "-size", "48", "-crop-pct", "1"); !slices.Equal(got, want) {
		t.Errorf("flags over config.json %v, the flags alone %v", got, want)
	}
	// -labels wins over config.json's names.
	labels := filepath.Join(dir, "labels.txt")
	os.WriteFile(labels, []byte("x\ny\nz\n"), 0o644)
	if _, stdout, _ := runCmd("run", "-model", model, "-size", "32", "-labels", labels, img); strings.Contains(stdout, "tench") || !strings.Contains(stdout, "  y\n") {
		t.Errorf("-labels did not replace config.json's names:\n%s", stdout)
	}

	// The same folder in a Hugging Face cache, as timm/NAME.
	cache := filepath.Join(dir, "cache")
	repo := filepath.Join(cache, "models--timm--resnet18.labels")
	snap := filepath.Join(repo, "snapshots", "abc123")
	os.MkdirAll(filepath.Dir(snap), 0o755)
	if err := os.Rename(model, snap); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(repo, "refs"), 0o755)
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte("abc123"), 0o644)
	t.Setenv("HF_HUB_CACHE", cache)
	code, stdout, stderr := runCmd("run", "-v", "-model", "timm/resnet18.labels", img)
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, want := range []string{"tench, Tinca tinca", "goldfish, Carassius auratus", "great white shark"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not name %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{
		"model timm/resnet18.labels at " + snap + ": resnet18, 3 classes; input 64, bicubic, crop 0.95 (center)",
		"architecture resnet18 (" + filepath.Join(snap, "config.json") + ")",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("-v does not say %q:\n%s", want, stderr)
		}
	}
}

// TestRunModelCropModes runs the configs with timm's other crop modes.
func TestRunModelCropModes(t *testing.T) {
	skipUnderRace(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "pic.png")
	writePNG(t, img, 40, 70)
	for _, c := range []struct{ config, arch, want string }{
		{"seresnet18.squash", "seresnet18", "input 64, bilinear, crop 1 (squash), mean [0.5 0.5 0.5], std [0.5 0.5 0.5]"},
		{"resnet18.border", "resnet18", "input 32, bicubic, crop 0.9 (border)"},
	} {
		model := modelFolder(t, filepath.Join(dir, c.config), c.config, c.arch, 3, 2)
		code, stdout, stderr := runCmd("run", "-v", "-model", model, img)
		if code != 0 || !strings.Contains(stderr, c.want) || !strings.Contains(stdout, "pic.png:") {
			t.Errorf("%s: exit %d, want -v to say %q\n%s\n%s", c.config, code, c.want, stdout, stderr)
		}
	}
}

func TestRunModelErrors(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "pic.png")
	writePNG(t, img, 20, 20)
	// The weights of TestRunModel's folder throughout, under other configs.
	wrongArch := modelFolder(t, filepath.Join(dir, "a"), "seresnet50.a1_in1k", "resnet18", 3, 5)
	wrongClasses := modelFolder(t, filepath.Join(dir, "b"), "resnet18.labels", "resnet18", 3, 5)
	cfg, _ := os.ReadFile(filepath.Join(wrongClasses, "config.json"))
	os.WriteFile(filepath.Join(wrongClasses, "config.json"), []byte(strings.Replace(string(cfg), `"num_classes": 3`, `"num_classes": 4`, 1)), 0o644)
	unknown := modelFolder(t, filepath.Join(dir, "c"), "resnet18.labels", "resnet18", 3, 5)
	os.WriteFile(filepath.Join(unknown, "config.json"), []byte(`{"architecture": "convnext_tiny", "pretrained_cfg": {}}`), 0o644)
	noMatch := filepath.Join(dir, "nomatch.safetensors")
	ts := slices.DeleteFunc(randomWeights(t, "resnet18", 3, 5), func(t safetensors.Tensor) bool { return strings.HasPrefix(t.Name, "layer2.1.") })
	safetensors.WriteFile(noMatch, ts, nil)
	// The Inceptions' stem (under a prefix) and something else.
	caffe := filepath.Join(dir, "caffe.safetensors")
	safetensors.WriteFile(caffe, []safetensors.Tensor{
		safetensors.F32("module.conv1_7x7_s2.weight", []int{64, 3, 7, 7}, make([]float32, 64*3*7*7)),
		safetensors.F32("module.conv2_3x3.weight", []int{1}, make([]float32, 1)),
	}, nil)
	t.Setenv("HF_HUB_CACHE", filepath.Join(dir, "cache"))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-model", wrongArch, img}, "resnet: weights for seresnet50: key"},
		{[]string{"-model", wrongArch, img}, "the file's keys are those of resnet18"},
		{[]string{"-model", wrongClasses, img}, "config.json says 4 classes, but " + filepath.Join(wrongClasses, "model.safetensors") + " has a classifier of 3"},
		{[]string{"-model", unknown, img}, `config.json: resnet: unknown architecture "convnext_tiny"`},
		{[]string{"-weights", noMatch, img}, "nomatch.safetensors: resnet: no architecture matches the weights: nearest resnet18 (10 tensors differ: layer2 has 1 block, resnet18 has 2)"},
		{[]string{"-weights", caffe, img}, "module.conv1_7x7_s2.weight is a layer of the Inceptions, which are not inferred from weights: give -arch se_bn_inception or -arch bn_inception"},
		{[]string{"-model", "timm/seresnet50.a1_in1k", img}, "timm/seresnet50.a1_in1k is not in the Hugging Face cache: no " +
			filepath.Join(dir, "cache", "models--timm--seresnet50.a1_in1k") + " (the cache is " + filepath.Join(dir, "cache") +
			", from HF_HUB_CACHE); download it with: huggingface-cli download timm/seresnet50.a1_in1k"},
		{[]string{"-model", wrongArch, "-seed", "1", img}, "-model and -seed are exclusive"},
		{[]string{"-model", wrongArch, "-crop-mode", "random", img}, `unknown crop mode "random"`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runCmd(append([]string{"run"}, tc.args...)...)
			if code == 0 {
				t.Fatal("exit 0")
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.want)
			}
			if strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
		})
	}
}

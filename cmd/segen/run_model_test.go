package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/resnet"
	"github.com/segen/segen/runtime/safetensors"
)

const hubConfigs = "../../testdata/hub"

// writeWeights writes RandomWeights(arch, classes, seed) to path.
func writeWeights(t *testing.T, path, arch string, classes int, seed uint64) {
	t.Helper()
	ts, err := resnet.RandomWeights(arch, classes, seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := safetensors.WriteFile(path, ts, nil); err != nil {
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

// TestRunInfersArch runs a weights file without -arch and checks PyTorch's
// logits: the architecture came from the file's names and shapes.
func TestRunInfersArch(t *testing.T) {
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
// label descriptions printed, and flags given winning over the file.
func TestRunModel(t *testing.T) {
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
	// config.json: resnet18, 3 classes, 224, bicubic, crop_pct 0.95.
	if got, want := logits("-model", model), logits("-weights", weights, "-arch", "resnet18", "-interp", "bicubic", "-crop-pct", "0.95"); !slices.Equal(got, want) {
		t.Errorf("-model %v, the recipe spelt out %v", got, want)
	}
	if got, want := logits("-model", model), logits("-weights", weights); slices.Equal(got, want) {
		t.Error("config.json's recipe changed nothing: the test does not tell")
	}
	if got, want := logits("-model", model, "-size", "96", "-crop-pct", "1", "-interp", "bilinear"), logits("-weights", weights, "-size", "96", "-crop-pct", "1"); !slices.Equal(got, want) {
		t.Errorf("flags over config.json %v, the flags alone %v", got, want)
	}

	code, stdout, stderr := runCmd("run", "-v", "-model", model, img)
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, want := range []string{"tench, Tinca tinca", "goldfish, Carassius auratus", "great white shark"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not name %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{"model " + model + ": resnet18, 3 classes; input 224, bicubic, crop 0.95 (center)", "architecture resnet18 (" + filepath.Join(model, "config.json") + ")"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("-v does not say %q:\n%s", want, stderr)
		}
	}
	// -labels wins over config.json's names.
	labels := filepath.Join(dir, "labels.txt")
	os.WriteFile(labels, []byte("x\ny\nz\n"), 0o644)
	if _, stdout, _ := runCmd("run", "-model", model, "-labels", labels, img); strings.Contains(stdout, "tench") || !strings.Contains(stdout, "  y\n") {
		t.Errorf("-labels did not replace config.json's names:\n%s", stdout)
	}

	// The same folder in a Hugging Face cache, as timm/NAME.
	cache := filepath.Join(dir, "cache")
	snap := filepath.Join(cache, "models--timm--resnet18.labels", "snapshots", "abc123")
	os.MkdirAll(filepath.Dir(snap), 0o755)
	if err := os.Rename(model, snap); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(cache, "models--timm--resnet18.labels", "refs"), 0o755)
	os.WriteFile(filepath.Join(cache, "models--timm--resnet18.labels", "refs", "main"), []byte("abc123"), 0o644)
	t.Setenv("HF_HUB_CACHE", cache)
	code, stdout, stderr = runCmd("run", "-v", "-model", "timm/resnet18.labels", img)
	if code != 0 || !strings.Contains(stdout, "tench") || !strings.Contains(stderr, "model timm/resnet18.labels at "+snap) {
		t.Errorf("from the cache: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestRunModelCropModes runs the configs with timm's other crop modes.
func TestRunModelCropModes(t *testing.T) {
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
	wrongArch := modelFolder(t, filepath.Join(dir, "a"), "seresnet50.a1_in1k", "resnet18", 1000, 1)
	wrongClasses := modelFolder(t, filepath.Join(dir, "b"), "resnet18.labels", "resnet18", 5, 1)
	unknown := modelFolder(t, filepath.Join(dir, "c"), "resnet18.labels", "resnet18", 3, 1)
	os.WriteFile(filepath.Join(unknown, "config.json"), []byte(`{"architecture": "convnext_tiny", "pretrained_cfg": {}}`), 0o644)
	noMatch := filepath.Join(dir, "nomatch.safetensors")
	ts, _ := resnet.RandomWeights("seresnet34", 3, 1)
	ts = slices.DeleteFunc(ts, func(t safetensors.Tensor) bool { return strings.HasPrefix(t.Name, "layer3.5.") })
	safetensors.WriteFile(noMatch, ts, nil)
	t.Setenv("HF_HUB_CACHE", filepath.Join(dir, "cache"))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-model", wrongArch, img}, "resnet: weights for seresnet50: key"},
		{[]string{"-model", wrongArch, img}, "the file's keys are those of resnet18"},
		{[]string{"-model", wrongClasses, img}, "config.json says 3 classes, but " + filepath.Join(wrongClasses, "model.safetensors") + " has a classifier of 5"},
		{[]string{"-model", unknown, img}, `config.json: resnet: unknown architecture "convnext_tiny"`},
		{[]string{"-weights", noMatch, img}, "nomatch.safetensors: resnet: no architecture matches the weights: nearest seresnet34 (14 tensors differ: layer3 has 5 blocks, seresnet34 has 6)"},
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

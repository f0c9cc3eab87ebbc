package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/imagenet"
	"github.com/segen/segen/runtime/inception"
	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/tensor"
)

// TestRunInception runs tools/inception_fixtures.py's SE-BN-Inception
// fixture through the command from a weights file and an input file, and
// checks PyTorch's logits.
func TestRunInception(t *testing.T) {
	if testing.Short() || raceDetector() {
		t.Skip("SE-BN-Inception at 224×224: skipped in -short mode and under the race detector")
	}
	fixture := "../../testdata/inception/se_bn_inception_2x224x224.safetensors"
	f, err := safetensors.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	num := func(key string) uint64 {
		v, err := strconv.ParseUint(f.Metadata[key], 10, 64)
		if err != nil {
			t.Fatalf("%s: %s: %v", fixture, key, err)
		}
		return v
	}
	arch, batch := f.Metadata["arch"], int(num("batch"))
	ts, err := inception.RandomWeights(arch, int(num("classes")), num("seed"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	weights, input := filepath.Join(dir, "model.safetensors"), filepath.Join(dir, "input.safetensors")
	if err := safetensors.WriteFile(weights, ts, nil); err != nil {
		t.Fatal(err)
	}
	x := safetensors.F32("input", []int{batch, 3, inception.Size, inception.Size}, inception.RandomInput(batch, num("input_seed")))
	if err := safetensors.WriteFile(input, []safetensors.Tensor{x}, nil); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{{"-v"}, {"-generic"}} {
		out := filepath.Join(dir, "logits.safetensors")
		args := append([]string{"run", "-arch", arch, "-weights", weights, "-input", input, "-output", out}, extra...)
		code, stdout, stderr := runCmd(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", extra, code, stdout, stderr)
		}
		if extra[0] == "-v" && !strings.Contains(stderr, "×10") {
			t.Errorf("-v names no ten SE kernels: %s", stderr)
		}
		checkLogits(t, fixture, out)
	}
}

// TestRunInceptionImage classifies a PNG with bn_inception: the command's
// default recipe for it is Caffe's, as the library computes it in process.
func TestRunInceptionImage(t *testing.T) {
	if testing.Short() || raceDetector() {
		t.Skip("BN-Inception at 224×224: skipped in -short mode and under the race detector")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "a.png")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	img := testImage(300, 260)
	if err := png.Encode(fh, img); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	out := filepath.Join(dir, "logits.safetensors")
	if code, _, stderr := runCmd("run", "-arch", "bn_inception", "-seed", "5", "-classes", "7", "-output", out, path); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m, err := inception.NewRandom("bn_inception", 7, 5, inception.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(1, 3, 224, 224)
	if err := imagenet.Preprocess(x.Data, img, imagenet.Caffe()); err != nil {
		t.Fatal(err)
	}
	want, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	_, got := readTensor(t, out, "logits")
	for i, w := range want.Data {
		if got[i] != w {
			t.Fatalf("logit %d = %v, the library with imagenet.Caffe() gives %v", i, got[i], w)
		}
	}
}

func TestRunPreprocessErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-preprocess", "tf"}, `-preprocess: unknown recipe "tf" (known: imagenet, caffe)`},
		{[]string{"-mean", "1,2"}, "-mean 1,2: want three comma-separated numbers"},
		{[]string{"-std", "1,x,3"}, `-std 1,x,3: "x" is not a number`},
		{[]string{"-std", "1,0,3"}, "-std 1,0,3: values must be positive"},
		{[]string{"-size", "299"}, "-size 299: bn_inception takes 224×224 images only"},
	} {
		args := append([]string{"run", "-arch", "bn_inception", "-seed", "1"}, tc.args...)
		args = append(args, "x.png")
		code, _, stderr := runCmd(args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, stderr, tc.want)
		}
	}
	code, _, stderr := runCmd("run", "-arch", "se_bn_inception", "-seed", "1", "-input", "../../testdata/resnet/resnet18_2x64x80.safetensors")
	if code == 0 || !strings.Contains(stderr, "the network takes 224×224 images") {
		t.Errorf("a 64×80 input: exit %d, stderr %q", code, stderr)
	}
}

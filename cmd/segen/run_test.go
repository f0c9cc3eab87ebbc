package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/segen/segen/internal/paritytest"
	"github.com/segen/segen/runtime/imagenet"
	"github.com/segen/segen/runtime/resnet"
	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/tensor"
)

const fixtures = "../../testdata/resnet"

// runCmd runs "segen args..." and returns the exit status and output.
func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// readTensor reads one tensor of a safetensors file as float32.
func readTensor(t *testing.T, path, name string) ([]int, []float32) {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tt, ok := f.Lookup(name)
	if !ok {
		t.Fatalf("%s: no tensor %q", path, name)
	}
	v, err := tt.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return tt.Shape, v
}

// checkLogits compares got with the fixture's PyTorch logits: max |Δ| ≤
// 1e-4 × max |logit| and the same top-1 class per sample.
func checkLogits(t *testing.T, fixture, got string) {
	t.Helper()
	wshape, want := readTensor(t, fixture, "logits")
	gshape, g := readTensor(t, got, "logits")
	diff := paritytest.Compare(t, &tensor.Tensor{Shape: gshape, Data: g}, &tensor.Tensor{Shape: wshape, Data: want})
	t.Logf("max |Δ| = %.3g (max |logit| %.3g)", diff, paritytest.PeakAbs(want))
}

// fixtureMeta returns a fixture's arch, seed and classes.
func fixtureMeta(t *testing.T, path string) (arch, seed, classes string) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f.Metadata["arch"], f.Metadata["seed"], f.Metadata["classes"]
}

// TestRunTensor runs a small fixture end to end from a weights file, on the
// specialised and the generic SE kernels, and checks PyTorch's logits.
func TestRunTensor(t *testing.T) {
	fixture := filepath.Join(fixtures, "seresnet18_2x64x80.safetensors")
	arch, seedS, classesS := fixtureMeta(t, fixture)
	seed, _ := strconv.ParseUint(seedS, 10, 64)
	classes, _ := strconv.Atoi(classesS)
	ts, err := resnet.RandomWeights(arch, classes, seed)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	weights := filepath.Join(dir, "model.safetensors")
	if err := safetensors.WriteFile(weights, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{nil, {"-generic"}} {
		t.Run(strings.Join(append([]string{"default"}, extra...), ""), func(t *testing.T) {
			out := filepath.Join(dir, "logits.safetensors")
			args := append([]string{"run", "-arch", arch, "-weights", weights, "-input", fixture, "-output", out}, extra...)
			if code, stdout, stderr := runCmd(args...); code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			checkLogits(t, fixture, out)
		})
	}
	// Without -output it prints the top classes of each sample.
	code, stdout, stderr := runCmd("run", "-arch", arch, "-weights", weights, "-input", fixture, "-top", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := strings.Count(stdout, "\n"); got != 2*(1+3) {
		t.Errorf("printed %d lines for 2 samples × (header + 3), got:\n%s", got, stdout)
	}
}

// TestRunAcceptance runs the SE-ResNet-50 224×224 fixture through the
// command: PyTorch's logits within 1e-4 × max |logit|.
func TestRunAcceptance(t *testing.T) {
	if testing.Short() || raceDetector() {
		t.Skip("SE-ResNet-50 at 224×224: skipped in -short mode and under the race detector")
	}
	fixture := filepath.Join(fixtures, "seresnet50_1x224x224.safetensors")
	arch, seed, classes := fixtureMeta(t, fixture)
	out := filepath.Join(t.TempDir(), "logits.safetensors")
	code, stdout, stderr := runCmd("run", "-arch", arch, "-seed", seed, "-classes", classes, "-input", fixture, "-output", out, "-v")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	t.Log(strings.TrimSpace(stderr))
	checkLogits(t, fixture, out)
}

// raceDetector reports whether the test binary was built with -race, which
// slows the GEMM loops tenfold.
func raceDetector() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// testImage is a smooth synthetic picture.
func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) * 3), 255})
		}
	}
	return img
}

// TestRunImages classifies a PNG and a JPEG and checks the printed top
// classes against the library run in process.
func TestRunImages(t *testing.T) {
	dir := t.TempDir()
	img := testImage(50, 38)
	pngPath, jpgPath := filepath.Join(dir, "pic.png"), filepath.Join(dir, "pic.jpg")
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pngPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jpgPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("class-%c", 'a'+i)
	}
	labels := filepath.Join(dir, "labels.txt")
	if err := os.WriteFile(labels, []byte(strings.Join(names, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCmd("run", "-arch", "seresnet18", "-seed", "3", "-classes", "10",
		"-size", "32", "-crop-pct", "0.9", "-interp", "bicubic", "-labels", labels, "-batch", "1", pngPath, jpgPath)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	// The same in process, for the PNG.
	m, err := resnet.NewRandom("seresnet18", 10, 3, resnet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := imagenet.Default()
	cfg.Size, cfg.CropPct, cfg.Interp = 32, 0.9, imagenet.Bicubic
	x := tensor.New(1, 3, 32, 32)
	if err := imagenet.Preprocess(x.Data, img, cfg); err != nil {
		t.Fatal(err)
	}
	y, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	best := paritytest.Argmax(y.Data)

	blocks := strings.Split(strings.TrimSpace(stdout), "\n"+jpgPath+":")
	if len(blocks) != 2 || !strings.HasPrefix(blocks[0], pngPath+":") {
		t.Fatalf("output is not one block per image:\n%s", stdout)
	}
	lines := strings.Split(strings.TrimSpace(blocks[0]), "\n")[1:]
	if len(lines) != 5 {
		t.Fatalf("%d classes printed for the PNG, want 5:\n%s", len(lines), stdout)
	}
	var total float64
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("line %q is not index, probability, name", line)
		}
		c, _ := strconv.Atoi(f[0])
		p, err := strconv.ParseFloat(f[1], 64)
		if err != nil || f[2] != names[c] {
			t.Fatalf("line %q: bad probability or name", line)
		}
		if i == 0 && c != best {
			t.Errorf("top class %d, the library says %d", c, best)
		}
		total += p
	}
	if total > 1.0001 || total <= 0 {
		t.Errorf("top-5 probabilities sum to %v", total)
	}
}

// TestRunErrors checks that bad command lines and files fail with one
// clear line and a non-zero exit.
func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	fixture := filepath.Join(fixtures, "resnet18_2x64x80.safetensors")
	badInput := filepath.Join(dir, "bad.safetensors")
	if err := safetensors.WriteFile(badInput, []safetensors.Tensor{safetensors.F32("x", []int{1, 3, 4, 4}, make([]float32, 48))}, nil); err != nil {
		t.Fatal(err)
	}
	wrongShape := filepath.Join(dir, "shape.safetensors")
	if err := safetensors.WriteFile(wrongShape, []safetensors.Tensor{safetensors.F32("input", []int{1, 4, 4}, make([]float32, 16))}, nil); err != nil {
		t.Fatal(err)
	}
	labels := filepath.Join(dir, "labels.txt")
	if err := os.WriteFile(labels, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notImage := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(notImage, []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-arch", "resnet42", "-seed", "1", "-input", fixture}, `unknown architecture "resnet42"; known: resnet18, resnet34`},
		{[]string{"-seed", "1", "-input", fixture}, "-seed needs -arch"},
		{[]string{"-arch", "resnet18", "-input", fixture}, "-weights FILE is required"},
		{[]string{"-arch", "resnet18", "-seed", "1"}, "nothing to run"},
		{[]string{"-arch", "resnet18", "-seed", "1", "-input", fixture, "x.png"}, "either -input FILE or image files"},
		{[]string{"-arch", "resnet18", "-weights", filepath.Join(dir, "missing.safetensors"), "-input", fixture}, "missing.safetensors"},
		{[]string{"-arch", "resnet18", "-weights", fixture, "-input", fixture}, `missing key "conv1.weight"`},
		{[]string{"-arch", "resnet18", "-seed", "1", "-classes", "10", "-input", badInput}, `no tensor named "input"`},
		{[]string{"-arch", "resnet18", "-seed", "1", "-classes", "10", "-input", wrongShape}, "want [N 3 H W]"},
		{[]string{"-arch", "resnet18", "-seed", "1", "-classes", "10", "-labels", labels, "-input", fixture}, "2 names for a model of 10 classes"},
		{[]string{"-arch", "resnet18", "-seed", "1", "-interp", "nearest", "x.png"}, `unknown interpolation "nearest"`},
		{[]string{"-arch", "resnet18", "-seed", "1", "-crop-pct", "1.5", "x.png"}, "crop fraction 1.5"},
		{[]string{"-arch", "resnet18", "-seed", "1", "-size", "100000", "x.png"}, "crop size 100000 must be between 1 and 2048"},
		{[]string{"-arch", "resnet18", "-seed", "1", "-crop-pct", "1e-300", "x.png"}, "crop fraction 1e-300 resizes to more than 65536 pixels a side"},
		{[]string{"-arch", "resnet18", "-seed", "1", notImage, "-top", "3"}, "flag -top after the image files"},
		{[]string{"-arch", "resnet18", "-weights", fixture, "-classes", "10", "-input", fixture}, "-classes goes with -seed"},
		{[]string{"-arch", "resnet18", "-seed", "1", "-classes", "0", "-input", fixture}, "-classes 0 must be at least 1"},
		{[]string{"-arch", "resnet18", "-seed", "1", "-max-pixels", "0", notImage}, "-max-pixels 0 must be at least 1"},
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
			t.Log(strings.TrimSpace(stderr))
			if strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
		})
	}
}

// TestRunHelp checks that -h describes every flag and exits 0.
func TestRunHelp(t *testing.T) {
	code, _, stderr := runCmd("run", "-h")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, flag := range []string{"-arch", "-weights", "-seed", "-classes", "-input", "-output", "-labels", "-top",
		"-size", "-crop-pct", "-interp", "-max-pixels", "-antialias", "-threads", "-batch", "-generic", "-v"} {
		if !strings.Contains(stderr, "\n  "+flag+" ") && !strings.Contains(stderr, "\n  "+flag+"\n") && !strings.Contains(stderr, "\n  "+flag+"\t") {
			t.Errorf("help does not describe %s:\n%s", flag, stderr)
		}
	}
}

// bombPNG is an 8-bit gray PNG header declaring w×h pixels over the
// compressed pixels of one row: a decompression bomb of a few dozen bytes.
func bombPNG(w, h int) []byte {
	chunk := func(kind string, data []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		out = append(append(out, kind...), data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, min(w+1, 1<<16)))
	zw.Close()
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", append(ihdr, 8, 0, 0, 0, 0))...)
	out = append(out, chunk("IDAT", z.Bytes())...)
	return append(out, chunk("IEND", nil)...)
}

// encoded returns img as PNG and as JPEG.
func encoded(t *testing.T, img image.Image) (pngData, jpgData []byte) {
	var p, j bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return p.Bytes(), j.Bytes()
}

// TestRunBadImages classifies a batch in which most files are bad —
// decompression bombs (40000×40000 and 1000000×64 PNGs of a few dozen
// bytes), a truncated JPEG, a text file, a missing file: each is reported
// on one line naming it, the two good images are still classified, with
// the top classes they get on their own, and the exit status is 1.
func TestRunBadImages(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pngData, _ := encoded(t, testImage(50, 38))
	_, jpgData := encoded(t, testImage(61, 45)) // another picture, so that rows cannot swap unseen
	good1, good2 := write("good.png", pngData), write("good.jpg", jpgData)
	bomb := write("bomb.png", bombPNG(40000, 40000))
	wide := write("wide.png", bombPNG(1000000, 64))
	cut := write("cut.jpg", jpgData[:len(jpgData)/2])
	notes := write("notes.png", []byte("not a picture"))
	absent := filepath.Join(dir, "absent.jpg")
	bad := []struct{ path, why string }{
		{bomb, "40000×40000 pixels is above the pixel budget of 50000000 pixels (-max-pixels sets the budget)"},
		{wide, "1000000×64 pixels is above the pixel budget of 50000000 pixels"},
		{cut, "truncated JPEG file"},
		{notes, "not a JPEG or PNG file"},
		{absent, "no such file"},
	}
	model := []string{"run", "-arch", "seresnet18", "-seed", "3", "-classes", "10", "-size", "32", "-batch", "2", "-top", "10"}

	code, alone, stderr := runCmd(append(model, good1, good2)...)
	if code != 0 {
		t.Fatalf("good images alone: exit %d: %s", code, stderr)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, stdout, stderr := runCmd(append(model, good1, bomb, wide, cut, notes, absent, good2)...)
	runtime.ReadMemStats(&after)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	// The same classes and probabilities, to four digits, as on their own.
	if stdout != alone {
		t.Errorf("stdout:\n%s\nthe good images alone:\n%s", stdout, alone)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != len(bad)+1 || lines[len(bad)] != "segen run: 5 of 7 images failed" {
		t.Errorf("stderr is not one line per bad image and a count:\n%s", stderr)
	}
	for _, b := range bad {
		n := 0
		for _, line := range lines {
			if strings.Contains(line, b.path+":") {
				n++
				if !strings.Contains(line, b.why) {
					t.Errorf("%s: %q does not say %q", filepath.Base(b.path), line, b.why)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s named on %d lines of stderr:\n%s", filepath.Base(b.path), n, stderr)
		}
	}
	// The bombs were refused from their headers, not decoded.
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 512<<20 {
		t.Errorf("the run allocated %d MiB", grown>>20)
	}

	// When no image is left, the weights are not even read.
	code, stdout, stderr = runCmd("run", "-arch", "seresnet18", "-weights", filepath.Join(dir, "missing.safetensors"), notes, absent)
	if code != 1 || stdout != "" || !strings.HasSuffix(stderr, "\nsegen run: 2 of 2 images failed\n") || strings.Contains(stderr, "missing") {
		t.Errorf("all bad: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// TestRunMaxPixels checks -max-pixels at its edge: an image of exactly the
// budget is classified, one a column wider is refused, and -output holds
// the logits of the first.
func TestRunMaxPixels(t *testing.T) {
	dir := t.TempDir()
	at, over := filepath.Join(dir, "at.png"), filepath.Join(dir, "over.png")
	for path, w := range map[string]int{at: 50, over: 51} {
		data, _ := encoded(t, testImage(w, 38))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "logits.safetensors")
	code, stdout, stderr := runCmd("run", "-arch", "resnet18", "-seed", "1", "-classes", "10", "-size", "32", "-max-pixels", "1900", "-output", out, at, over)
	if code != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
	if shape, _ := readTensor(t, out, "logits"); fmt.Sprint(shape) != "[1 10]" {
		t.Errorf("logits of shape %v, want those of the one image classified", shape)
	}
	want := "segen run: imagenet: " + over + ": 51×38 pixels is above the pixel budget of 1900 pixels (-max-pixels sets the budget)\nsegen run: 1 of 2 images failed\n"
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

// TestRunPassPixels: images run in passes of at most maxPassPixels input
// pixels, whatever -batch says, so a large -size cannot exhaust memory.
func TestRunPassPixels(t *testing.T) {
	defer func(n int) { maxPassPixels = n }(maxPassPixels)
	maxPassPixels = 2 * 32 * 32
	dir := t.TempDir()
	var imgs []string
	for i := range 3 {
		img := filepath.Join(dir, fmt.Sprintf("%d.png", i))
		writePNG(t, img, 40, 30)
		imgs = append(imgs, img)
	}
	code, stdout, stderr := runCmd(append([]string{"run", "-v", "-arch", "resnet18", "-seed", "1", "-classes", "3", "-size", "32", "-batch", "8"}, imgs...)...)
	if code != 0 {
		t.Fatal(stderr)
	}
	if !strings.Contains(stderr, "forward 2×3×32×32") || !strings.Contains(stderr, "forward 1×3×32×32") || strings.Count(stdout, ".png:") != 3 {
		t.Errorf("want passes of 2 and 1 images:\n%s\n%s", stderr, stdout)
	}
}

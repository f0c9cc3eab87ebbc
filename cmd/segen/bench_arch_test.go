package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segen/segen/internal/bench"
)

// TestBenchArch runs "segen bench -arch" end to end on a small network and
// image: the table, the GEMM report, the layer profile and the JSON records.
func TestBenchArch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two networks")
	}
	jsonFile := filepath.Join(t.TempDir(), "arch.json")
	stdout, _ := benchRun(t, "-arch", "seresnet18,resnet18", "-batch", "1,2", "-threads", "1", "-size", "32", "-runs", "2", "-quick", "-json", jsonFile)
	for _, want := range []string{"convolution engine", "median ms", "min ms", "seresnet18     1     32×32", "resnet18       2     32×32",
		"seresnet18 / resnet18, batch 2, 1 thread(s): median", "GEMM (1×1 convolution", "3136    64   256", "49   512  2048",
		"Layers of seresnet18, batch 1, 1 thread", "stem 7×7/2", "stage 2 3×3/2", "stage 4 SE", "avgpool+fc"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var recs []bench.Latency
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 2 archs × 2 batches", len(recs))
	}
	for _, r := range recs {
		if r.Height != 32 || r.Width != 32 || r.Threads != 1 || r.Runs != 2 || len(r.RunsMS) != 2 || !(r.MinMS > 0) || r.MedianMS < r.MinMS || r.ISA == "" {
			t.Errorf("bad record %+v", r)
		}
	}
}

// TestBenchArchGrouped times an SE-ResNeXt against its plain twin: the SE
// overhead pairs them, and the grouped convolutions are reported layer by
// layer, one line per shape.
func TestBenchArchGrouped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two networks")
	}
	stdout, _ := benchRun(t, "-arch", "seresnext50_32x4d,resnext50_32x4d", "-threads", "1", "-size", "64", "-runs", "1", "-quick")
	for _, want := range []string{"seresnext50_32x4d / resnext50_32x4d, batch 1, 1 thread(s): median", "Grouped 3×3 convolutions",
		"layer1.0.conv2      128    128      32     16²", "layer2.0.conv2      256    256      32   16²/2", "layer4.1.conv2     1024   1024      32      2²"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "resnext50_32x4d        layer"); n != 0 {
		t.Errorf("the plain twin's grouped layers, the same shapes, were timed again (%d lines)", n)
	}
}

// TestBenchArchErrors checks the command line's complaints.
func TestBenchArchErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-arch", "resnet7"},
		{"-arch", "resnet18", "-batch", "0"},
		{"-arch", "resnet18", "-threads", "x"},
		{"-arch=resnet18", "extra"},
		{"-arch", "se_bn_inception", "-size", "64"},
	} {
		cfg, err := parseArchFlags(args, new(strings.Builder))
		if err == nil {
			t.Errorf("%q: parsed as %+v", args, cfg)
		}
	}
	if !isArchBench([]string{"-quick", "--arch=resnet18"}) || isArchBench([]string{"-blocks", "arch"}) {
		t.Error("isArchBench misreads the arguments")
	}
}

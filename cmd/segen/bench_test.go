package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/segen/segen/se"
)

// The bench tests run the real command with -quick on one or two small
// blocks: about a second each, most of it the bandwidth reference.

func benchRun(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(append([]string{"bench"}, args...), &out, &errOut); code != 0 {
		t.Fatalf("segen bench %s: exit status %d\nstderr:\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String(), errOut.String()
}

func TestBenchTableJSONPlot(t *testing.T) {
	tmp := t.TempDir()
	jsonFile, plotFile := filepath.Join(tmp, "b.json"), filepath.Join(tmp, "b.png")
	stdout, stderr := benchRun(t, "-quick", "-blocks", "basic4_nchw", "-json", jsonFile, "-plot", plotFile)

	// The table: machine line, bandwidth, header, the block, a row per op, summary.
	for _, want := range []string{"machine: ", "memory bandwidth", "read (sum)", "copy (read+write)",
		"block / op", "ns/op", "GB/s", "% of BW", "vs generic", "basic4_nchw", "nchw 512×7×7",
		"geometric-mean speedup over generic (1 block × 6 ops)", "Forward alone"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "basic4_nhwc") {
		t.Errorf("-blocks basic4_nchw measured basic4_nhwc too:\n%s", stdout)
	}
	row := regexp.MustCompile(`(?m)^  (\w+) +specialised +[\d,.]+ +[\d.]+ +\d+% +L\d (?:read|copy)`)
	var ops []string
	for _, m := range row.FindAllStringSubmatch(stdout, -1) {
		ops = append(ops, m[1])
	}
	if want := opNames(se.Ops()); strings.Join(ops, ",") != want {
		t.Errorf("specialised rows for ops %v, want %s:\n%s", ops, want, stdout)
	}
	if !strings.Contains(stderr, "[6/6] basic4_nchw ForwardAddReLU") {
		t.Errorf("progress on stderr lacks the last step:\n%s", stderr)
	}

	// The JSON: every record complete and positive.
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema  string `json:"schema"`
		Machine struct {
			GOARCH string `json:"goarch"`
			CPU    string `json:"cpu"`
		} `json:"machine"`
		Bandwidth struct {
			ISA    string `json:"isa"`
			Levels []struct {
				Level string  `json:"level"`
				Bytes int     `json:"bytes"`
				Read  float64 `json:"read_gb_per_s"`
				Copy  float64 `json:"copy_gb_per_s"`
			} `json:"levels"`
		} `json:"bandwidth"`
		Records []struct {
			Block      string    `json:"block"`
			Layout     string    `json:"layout"`
			Op         string    `json:"op"`
			Impl       string    `json:"impl"`
			ISA        string    `json:"isa"`
			NsPerOp    float64   `json:"ns_per_op"`
			ChunkNs    []float64 `json:"chunk_ns_per_op"`
			BytesPerOp int64     `json:"bytes_per_op"`
			GBPerS     float64   `json:"gb_per_s"`
			PctOfBW    float64   `json:"pct_of_bw"`
			WorkingSet int64     `json:"working_set_bytes"`
			BWLevel    string    `json:"bw_level"`
			BWKind     string    `json:"bw_kind"`
			BWGBPerS   float64   `json:"bw_gb_per_s"`
			Speedup    float64   `json:"speedup_vs_generic"`
		} `json:"records"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("decoding %s: %v", jsonFile, err)
	}
	if doc.Schema != "segen-bench/2" || doc.Machine.GOARCH == "" || doc.Machine.CPU == "" || doc.Bandwidth.ISA == "" {
		t.Errorf("JSON header: schema %q, goarch %q, cpu %q, bandwidth isa %q", doc.Schema, doc.Machine.GOARCH, doc.Machine.CPU, doc.Bandwidth.ISA)
	}
	if len(doc.Bandwidth.Levels) < 3 {
		t.Errorf("JSON has %d bandwidth levels, want L1, L2 and beyond", len(doc.Bandwidth.Levels))
	}
	for _, l := range doc.Bandwidth.Levels {
		if l.Level == "" || l.Bytes <= 0 || l.Read <= 0 || l.Copy <= 0 {
			t.Errorf("JSON bandwidth level %+v", l)
		}
	}
	impls := map[string]int{}
	refs := map[string]float64{} // op → its reference loop's GB/s
	for _, r := range doc.Records {
		impls[r.Impl]++
		if r.Block != "basic4_nchw" || r.Layout != "nchw" || r.Op == "" || r.ISA == "" || r.BWLevel == "" ||
			r.NsPerOp <= 0 || r.BytesPerOp <= 0 || r.GBPerS <= 0 || r.PctOfBW <= 0 || r.Speedup <= 0 || len(r.ChunkNs) == 0 ||
			r.WorkingSet <= 0 || r.BWGBPerS <= 0 {
			t.Errorf("JSON record %+v", r)
		}
		// Each op is compared with one reference loop, of the kind its traffic calls for.
		wantKind := "copy"
		if r.Op == "Squeeze" || r.Op == "Excite" {
			wantKind = "read"
		}
		if r.BWKind != wantKind {
			t.Errorf("%s/%s: bw_kind %q, want %q", r.Op, r.Impl, r.BWKind, wantKind)
		}
		if ref, ok := refs[r.Op]; ok && ref != r.BWGBPerS {
			t.Errorf("%s/%s: bw_gb_per_s %v, but another implementation of the op has %v", r.Op, r.Impl, r.BWGBPerS, ref)
		}
		refs[r.Op] = r.BWGBPerS
		if pct := 100 * r.GBPerS / r.BWGBPerS; pct < r.PctOfBW*0.999 || pct > r.PctOfBW*1.001 {
			t.Errorf("%s/%s: pct_of_bw %v, but gb_per_s / bw_gb_per_s = %v %%", r.Op, r.Impl, r.PctOfBW, pct)
		}
	}
	if impls["specialised"] != 6 || impls["generic"] != 6 {
		t.Errorf("JSON records per impl: %v, want 6 specialised and 6 generic", impls)
	}

	// The plot: a PNG of a sensible size.
	f, err := os.Open(plotFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", plotFile, err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 400 || b.Dx() > 4000 || b.Dy() > 3000 {
		t.Errorf("plot is %v pixels", b.Size())
	}
}

// -bench-format prints only config lines and benchmark lines benchstat reads,
// one per measurement and run.
func TestBenchFormat(t *testing.T) {
	stdout, _ := benchRun(t, "-quick", "-bench-format", "-count", "2", "-ops", "squeeze,Forward", "-blocks", "^basic4_nchw$")
	line := regexp.MustCompile(`^Benchmark(Squeeze|Forward)/basic4_nchw/([a-z0-9-]+)-\d+\t *\d+\t *[\d.]+ ns/op\t *[\d.]+ MB/s$`)
	config := regexp.MustCompile(`^(goos|goarch|pkg|cpu): .+$`)
	n := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if config.MatchString(l) {
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("not a benchmark line: %q", l)
			continue
		}
		n[m[1]+"/"+m[2]]++
	}
	for _, k := range []string{"Squeeze/specialised", "Squeeze/generic", "Forward/specialised", "Forward/generic"} {
		if n[k] != 2 {
			t.Errorf("%d lines for %s, want 2 (-count 2); all: %v", n[k], k, n)
		}
	}
}

// -spec measures the spec's blocks under the spec's names, and refuses a
// spec with blocks that are not compiled in, saying what to do.
func TestBenchSpec(t *testing.T) {
	tmp := t.TempDir()
	block := func(name string, c, hidden, hw int) string {
		return "  - name: " + name + "\n    channels: " + strconv.Itoa(c) + "\n    hidden: " + strconv.Itoa(hidden) +
			"\n    height: " + strconv.Itoa(hw) + "\n    width: " + strconv.Itoa(hw) + "\n    layout: nchw\n"
	}
	good := filepath.Join(tmp, "good.yaml")
	if err := os.WriteFile(good, []byte("package: p\nblocks:\n"+block("my_block", 512, 32, 7)), 0o666); err != nil {
		t.Fatal(err)
	}
	stdout, _ := benchRun(t, "-quick", "-spec", good, "-ops", "Excite")
	if !strings.Contains(stdout, "my_block") {
		t.Errorf("table does not use the spec's name my_block:\n%s", stdout)
	}

	bad := filepath.Join(tmp, "bad.yaml")
	if err := os.WriteFile(bad, []byte("package: p\nblocks:\n"+block("my_block", 512, 32, 7)+block("odd", 24, 8, 5)), 0o666); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"bench", "-spec", bad}, &out, &errOut); code == 0 {
		t.Fatalf("bench -spec with an unknown block succeeded")
	}
	for _, want := range []string{"odd", "nchw 24×5×5", "run segen generate", "import the package"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("error lacks %q: %s", want, errOut.String())
		}
	}
	if strings.Contains(errOut.String(), "my_block") {
		t.Errorf("error lists the compiled-in block my_block: %s", errOut.String())
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-nope"}, 2, "flag provided but not defined: -nope"},
		{[]string{"-count", "x"}, 2, "invalid value"},
		{[]string{"-count", "0"}, 1, "-count 0: must be at least 1"},
		{[]string{"-ops", "Squeeze,Blend"}, 1, `unknown op "Blend"; the ops are Squeeze,Excite,`},
		{[]string{"-blocks", "("}, 1, "-blocks: error parsing regexp"},
		{[]string{"-blocks", "no_such_block"}, 1, `matches no block; the blocks are basic1_nchw`},
		{[]string{"-plot", "x.png", "-ops", "Squeeze"}, 1, "-plot-op Forward is not among the ops measured"},
		{[]string{"-plot-op", "Sideways"}, 1, `-plot-op: unknown op "Sideways"`},
		{[]string{"-spec", "no/such/spec.yaml"}, 1, "no/such/spec.yaml"},
		{[]string{"extra"}, 1, `unexpected argument "extra"`},
	} {
		var out, errOut bytes.Buffer
		code := run(append([]string{"bench"}, tc.args...), &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("bench %v: status %d, stderr:\n%s\nwant status %d and %q", tc.args, code, errOut.String(), tc.code, tc.want)
		}
		if out.Len() > 0 {
			t.Errorf("bench %v wrote to stdout: %s", tc.args, out.String())
		}
	}
}

func TestBenchHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"help", "bench"}, &out, &errOut); code != 0 {
		t.Fatalf("help bench: status %d", code)
	}
	for _, flag := range []string{"-quick", "-count", "-bench-format", "-json", "-plot", "-plot-op", "-spec", "-ops", "-blocks", `"schema": "segen-bench/2"`} {
		if !strings.Contains(errOut.String(), flag) {
			t.Errorf("help lacks %s:\n%s", flag, errOut.String())
		}
	}
}

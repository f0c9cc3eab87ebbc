package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/segen/segen/internal/membw"
	"github.com/segen/segen/se"
)

// synthetic returns a result with known figures: basic4_nchw's Squeeze,
// three runs of specialised (110 ns/op in the median run) and generic
// (1,000 ns/op), against a reference loop of 500 GB/s.
func synthetic(t *testing.T) *KernelResult {
	b := block(t, "basic4_nchw")
	s := b.Kernel.Shape()
	r := &KernelResult{
		KernelOptions: KernelOptions{Blocks: []Block{b}, Ops: []se.Op{se.Squeeze}, Count: 3, Target: 5 * time.Millisecond, Quick: true},
		Machine:       Machine{GOOS: "linux", GOARCH: "amd64", CPU: "Test CPU", CPUs: 2, GoVersion: "go1.x"},
		Bandwidth: []membw.Bandwidth{
			{Level: membw.Level{Name: "L1", Bytes: 16 << 10, Limit: 32 << 10}, Read: 100, Copy: 90},
			{Level: membw.Level{Name: "DRAM", Bytes: 64 << 20}, Read: 20, Copy: 18},
		},
		Elapsed: 1500 * time.Millisecond,
	}
	runs := [][2]float64{{100, 1000}, {300, 900}, {110, 5000}} // specialised, generic ns/op per run
	for run, ns := range runs {
		for i, impl := range []string{"specialised", "generic"} {
			r.Records = append(r.Records, &Measurement{
				Block: b, Op: se.Squeeze, Impl: impl, ISA: []string{"avx2", "go"}[i], Run: run + 1,
				Iterations: 10, Chunks: []time.Duration{time.Duration(10 * ns[i])},
				NsPerOp: ns[i], Bytes: se.BytesPerOp(s, se.Squeeze, 1), WorkingSet: workingSet(s, se.Squeeze),
				BWKind: "read", BWLevel: "DRAM", BWGBPerS: 500, Speedup: ns[1] / ns[i],
			})
		}
	}
	return r
}

// TestWriteTable checks that the table shows the median run of each
// implementation and its speedup over generic's median run.
func TestWriteTable(t *testing.T) {
	var out bytes.Buffer
	synthetic(t).WriteTable(&out)
	table := out.String()
	spaced := regexp.MustCompile(` +`).ReplaceAllString(table, " ") // tabwriter sets the widths
	gbs := float64(se.BytesPerOp(block(t, "basic4_nchw").Kernel.Shape(), se.Squeeze, 1)) / 110
	for _, want := range []string{
		"median of 5 loops of ~1 ms, implementations taking turns; median of 3 runs\n",
		"machine: linux/amd64, Test CPU, 2 CPUs, go1.x; ISA: specialised avx2, generic go\n",
		"(L1 if ≤ 32K, else DRAM)",
		"basic4_nchw nchw 512×7×7, hidden 32, avg squeeze, bias; activation 0.10 MiB\n",
		fmt.Sprintf(" Squeeze specialised 110 %.1f %.0f%% DRAM read 500 9.09×\n", gbs, 100*gbs/500),
		" generic 1,000 102.4 20% DRAM read 500 1.00×\n",
		"Above 100 %",
		"geometric-mean speedup over generic (1 block × 1 op):\n specialised 9.09×\n",
		"6 measurements in 1.5 s\n",
	} {
		if !strings.Contains(spaced, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if regexp.MustCompile(`(?m)^ +read \(sum\) +100\.0 +20\.0 *$`).FindString(table) == "" {
		t.Errorf("table lacks the read bandwidth row:\n%s", table)
	}
}

func TestFormatNs(t *testing.T) {
	for ns, want := range map[float64]string{12.34: "12.3", 99.94: "99.9", 100: "100", 1234: "1,234", 1234567.4: "1,234,567"} {
		if got := formatNs(ns); got != want {
			t.Errorf("formatNs(%v) = %q, want %q", ns, got, want)
		}
	}
}

// TestJSON checks the document against the records it comes from.
func TestJSON(t *testing.T) {
	r := synthetic(t)
	data, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema    string  `json:"schema"`
		Machine   Machine `json:"machine"`
		Quick     bool    `json:"quick"`
		Count     int     `json:"count"`
		TargetNs  int64   `json:"target_ns"`
		Bandwidth struct {
			Levels []jsonLevel `json:"levels"`
		} `json:"bandwidth"`
		Records []jsonRecord `json:"records"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != Schema || doc.Machine != r.Machine || !doc.Quick || doc.Count != 3 || doc.TargetNs != 5e6 {
		t.Errorf("header %+v", doc)
	}
	if len(doc.Bandwidth.Levels) != 2 || doc.Bandwidth.Levels[0] != (jsonLevel{"L1", 16 << 10, 32 << 10, 100, 90}) {
		t.Errorf("bandwidth levels %+v", doc.Bandwidth.Levels)
	}
	if len(doc.Records) != len(r.Records) {
		t.Fatalf("%d records, want %d", len(doc.Records), len(r.Records))
	}
	for i, got := range doc.Records {
		m := r.Records[i]
		if got.Block != "basic4_nchw" || got.Layout != "nchw" || got.C != 512 || got.H != 7 || got.Hidden != 32 ||
			got.Impl != m.Impl || got.Run != m.Run || got.NsPerOp != m.NsPerOp || got.GBPerS != m.GBPerS() ||
			got.PctOfBW != m.PctOfBW() || got.Speedup != m.Speedup || len(got.ChunkNs) != 1 || got.ChunkNs[0] != m.NsPerOp {
			t.Errorf("record %d: %+v, from %+v", i, got, *m)
		}
	}
	empty, err := (&KernelResult{}).JSON()
	if err != nil || !bytes.Contains(empty, []byte(`"records": []`)) || !bytes.HasSuffix(empty, []byte("}\n")) {
		t.Errorf("JSON of no measurements: %s, %v", empty, err)
	}
}

// TestWriteBenchFormat checks one benchmark line per record, N counting
// the calls of every loop.
func TestWriteBenchFormat(t *testing.T) {
	var out bytes.Buffer
	r := synthetic(t)
	r.WriteBenchFormat(&out)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if want := "goos: linux\ngoarch: amd64\npkg: github.com/segen/segen/cmd/segen\ncpu: Test CPU"; strings.Join(lines[:4], "\n") != want {
		t.Errorf("config lines %q, want %q", lines[:4], want)
	}
	if len(lines) != 4+len(r.Records) {
		t.Fatalf("%d lines, want 4 config lines and one per record:\n%s", len(lines), out.String())
	}
	m := r.Records[3] // generic, run 2
	want := fmt.Sprintf("BenchmarkSqueeze/basic4_nchw/generic-%d\t%s", runtime.GOMAXPROCS(0), benchLine(10, 900, m.Bytes))
	if lines[4+3] != want {
		t.Errorf("line %q, want %q", lines[4+3], want)
	}
}

// TestBenchLine checks that -bench-format's lines are the ones go test
// -bench prints, which benchstat reads.
func TestBenchLine(t *testing.T) {
	for _, c := range []struct {
		n     int
		ns    float64
		bytes int64
	}{{1, 0, 0}, {1000, 0.5, 4}, {4, 12.25, 0}, {100, 123.4, 4096}, {3, 5e6, 1 << 20}, {1 << 20, 2.5, 64}} {
		want := testing.BenchmarkResult{N: c.n, T: time.Duration(c.ns * float64(c.n)), Bytes: c.bytes}.String()
		if got := benchLine(c.n, c.ns, c.bytes); got != want {
			t.Errorf("benchLine(%d, %v, %d) = %q, want %q", c.n, c.ns, c.bytes, got, want)
		}
	}
}

// TestSavePlot draws the measured op and refuses one that was not.
func TestSavePlot(t *testing.T) {
	r := synthetic(t)
	file := filepath.Join(t.TempDir(), "b.png")
	if err := r.SavePlot(file, se.Squeeze); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", file, err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 400 {
		t.Errorf("plot is %v pixels", b.Size())
	}
	if err := r.SavePlot(filepath.Join(t.TempDir(), "f.png"), se.Forward); err == nil || !strings.Contains(err.Error(), "no measurements of Forward") {
		t.Errorf("SavePlot of an op not measured: %v", err)
	}
}

// TestProgress checks plain lines off a terminal and one line rewritten in
// place on one, and that a nil Progress reports nothing.
func TestProgress(t *testing.T) {
	var plain bytes.Buffer
	p := NewProgress(&plain)
	p.expect(2)
	p.Note("starting")
	p.Step("a")
	p.Step("b")
	p.Done()
	if want := "starting\n[1/2] a…\n[2/2] b…\n"; plain.String() != want {
		t.Errorf("progress %q, want %q", plain.String(), want)
	}

	var tty bytes.Buffer
	p = &Progress{w: &tty, tty: true}
	p.Note("a long line")
	p.Note("short")
	p.Done()
	if want := "\ra long line\rshort      \r     \r"; tty.String() != want { // the padding blanked the rest
		t.Errorf("progress on a terminal %q, want %q", tty.String(), want)
	}

	var none *Progress
	none.expect(1)
	none.Step("x")
	none.Note("x")
	none.Done()
}

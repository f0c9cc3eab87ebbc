package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/segen/segen/internal/membw"
	"github.com/segen/segen/isa"
	"github.com/segen/segen/se"
)

// benchResult is everything a run produced, for the writers of this file and
// bench_plot.go.
type benchResult struct {
	cfg     *benchConfig
	machine machine
	bws     []membw.Bandwidth
	records []*measurement
	elapsed time.Duration
}

// machine describes where the numbers come from.
type machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPU       string `json:"cpu"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	SegenISA  string `json:"segen_isa"` // the SEGEN_ISA environment variable, "" if unset
}

func thisMachine() machine {
	return machine{
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		CPU:       cpuModel(),
		CPUs:      runtime.NumCPU(),
		GoVersion: runtime.Version(),
		SegenISA:  isa.Override(),
	}
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// cell is the table's summary of the runs of one block × op × impl: the
// median run, so one disturbed run on a shared machine does not move it.
type cell struct {
	*measurement         // the median run
	speedup      float64 // baseline's median ns/op over this median ns/op; 0 without baseline
}

// cells returns one cell per block × op × impl, in measuring order.
func (r *benchResult) cells() []cell {
	type key struct {
		block string
		op    se.Op
		impl  string
	}
	runs := map[key][]*measurement{}
	var order []key
	for _, m := range r.records {
		k := key{m.block.name, m.op, m.impl}
		if runs[k] == nil {
			order = append(order, k)
		}
		runs[k] = append(runs[k], m)
	}
	median := func(ms []*measurement) *measurement {
		ms = slices.Clone(ms)
		slices.SortFunc(ms, func(a, b *measurement) int { return cmpFloat(a.nsPerOp(), b.nsPerOp()) })
		return ms[len(ms)/2]
	}
	out := make([]cell, len(order))
	for i, k := range order {
		m := median(runs[k])
		out[i] = cell{measurement: m}
		if base := runs[key{k.block, k.op, baselineImpl}]; base != nil {
			out[i].speedup = median(base).nsPerOp() / m.nsPerOp()
		}
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writeTable prints the machine, the bandwidth figures, one section per
// block and the geometric-mean speedups.
func writeTable(w io.Writer, r *benchResult) {
	m := r.machine
	fmt.Fprintf(w, "segen bench: SE kernels, batch 1, one core. ns/op: median of %d loops of ~%d ms, implementations taking turns", chunks, (r.cfg.target / chunks).Milliseconds())
	if r.cfg.count > 1 {
		fmt.Fprintf(w, "; median of %d runs", r.cfg.count)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "machine: %s/%s, %s, %d CPUs, %s; ISA: %s\n", m.GOOS, m.GOARCH, m.CPU, m.CPUs, m.GoVersion, isaSummary(r))
	writeBandwidth(w, r.bws)
	fmt.Fprintln(w)

	cells := r.cells()
	w0 := len("  ForwardAddReLU")
	w1 := len("impl")
	for _, c := range cells {
		w0 = max(w0, len(c.block.name))
		w1 = max(w1, len(c.impl))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(op, impl, ns, gbs, pct, ref, speedup string) {
		fmt.Fprintf(tw, "%-*s\t%-*s\t%12s\t%7s\t%7s\t%-13s\t%10s\n", w0, op, w1, impl, ns, gbs, pct, ref, speedup)
	}
	row("block / op", "impl", "ns/op", "GB/s", "% of BW", "BW ref (GB/s)", "vs "+baselineImpl)
	var block string
	var lastOp se.Op
	for _, c := range cells {
		if c.block.name != block {
			block, lastOp = c.block.name, ""
			fmt.Fprintf(tw, "%s\t%s\n", block, describeShape(c.block.kernel.Shape()))
		}
		op := ""
		if c.op != lastOp {
			op, lastOp = "  "+string(c.op), c.op
		}
		speedup := ""
		if c.speedup > 0 {
			speedup = fmt.Sprintf("%.2f×", c.speedup)
		}
		ref := fmt.Sprintf("%s %s %.0f", c.bwLevel, c.bwKind, c.bwGBPerS())
		row(op, c.impl, formatNs(c.nsPerOp()), fmt.Sprintf("%.1f", c.gbPerS()), fmt.Sprintf("%.0f%%", c.pctOfBW()), ref, speedup)
	}
	tw.Flush()
	for _, c := range cells {
		if c.pctOfBW() > 100 {
			fmt.Fprintln(w, "Above 100 %: the op keeps part of its working set in a faster level between its passes\n"+
				"(Forward reads x twice), or other programs loaded the machine while the reference loop ran.")
			break
		}
	}
	fmt.Fprintln(w)
	writeSummary(w, r, cells)
}

// writeBandwidth prints the reference figures and how they are used.
func writeBandwidth(w io.Writer, bws []membw.Bandwidth) {
	fmt.Fprintf(w, "memory bandwidth by level, one core, %s loops, best of many short loops before and after the kernels (GB/s):\n", membw.ISA())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\t")
	for _, b := range bws {
		fmt.Fprintf(tw, "%v\t", b.Level)
	}
	fmt.Fprint(tw, "\n  read (sum)\t")
	for _, b := range bws {
		fmt.Fprintf(tw, "%.1f\t", b.Read)
	}
	fmt.Fprint(tw, "\n  copy (read+write)\t")
	for _, b := range bws {
		fmt.Fprintf(tw, "%.1f\t", b.Copy)
	}
	fmt.Fprintln(tw)
	tw.Flush()
	var limits []string
	for _, b := range bws {
		if b.Limit > 0 {
			limits = append(limits, fmt.Sprintf("%s if ≤ %s", b.Name, membw.Size(b.Limit)))
		} else {
			limits = append(limits, fmt.Sprintf("else %s", b.Name))
		}
	}
	fmt.Fprintf(w, "GB/s counts the bytes an op reads and writes. %% of BW compares it with a reference loop over\n"+
		"the op's own working set, timed in the same turns as the kernels: a read (sum) for Squeeze and\n"+
		"Excite, a copy for the others. BW ref names the level that working set fits (%s).\n", strings.Join(limits, ", "))
}

// isaSummary says which instruction set each implementation ran.
func isaSummary(r *benchResult) string {
	seen := map[string]bool{}
	var parts []string
	for _, m := range r.records {
		if s := m.impl + " " + m.isa; !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	s := strings.Join(parts, ", ")
	if r.machine.SegenISA != "" {
		s += " (SEGEN_ISA=" + r.machine.SegenISA + ")"
	}
	return s
}

// describeShape says what a block is in the words of the spec file.
func describeShape(s se.Shape) string {
	bias := "bias"
	if !s.Bias {
		bias = "no bias"
	}
	act := int64(4 * s.Size())
	return fmt.Sprintf("%s %d×%d×%d, hidden %d, %s squeeze, %s; activation %.2f MiB",
		s.Layout, s.C, s.H, s.W, s.Hidden, s.Squeeze, bias, float64(act)/(1<<20))
}

// formatNs prints a time in ns with thousands separators ("1,234,567").
func formatNs(ns float64) string {
	if ns < 100 {
		return fmt.Sprintf("%.1f", ns)
	}
	s := fmt.Sprintf("%.0f", ns)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// writeSummary prints the geometric-mean speedup of each implementation over
// the baseline, over all blocks and ops and for Forward alone, and what
// specialisation buys over the runtime-sized SIMD kernels.
func writeSummary(w io.Writer, r *benchResult, cells []cell) {
	byImpl := map[string][]float64{}
	fwd := map[string][]float64{}
	ns := map[string]map[string]float64{} // impl → block/op → ns
	var impls []string
	for _, c := range cells {
		if _, ok := ns[c.impl]; !ok {
			impls = append(impls, c.impl)
			ns[c.impl] = map[string]float64{}
		}
		ns[c.impl][c.block.name+"/"+string(c.op)] = c.nsPerOp()
		if c.speedup > 0 {
			byImpl[c.impl] = append(byImpl[c.impl], c.speedup)
			if c.op == se.Forward {
				fwd[c.impl] = append(fwd[c.impl], c.speedup)
			}
		}
	}
	forward := func(xs []float64) string {
		if len(xs) == 0 {
			return ""
		}
		return fmt.Sprintf("   Forward alone %.2f×", geomean(xs))
	}
	fmt.Fprintf(w, "geometric-mean speedup over %s (%s × %s):\n", baselineImpl, plural(len(r.cfg.blocks), "block"), plural(len(r.cfg.ops), "op"))
	for _, impl := range impls {
		if impl == baselineImpl || len(byImpl[impl]) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-18s  %6.2f×%s\n", impl, geomean(byImpl[impl]), forward(fwd[impl]))
	}
	if simd, spec := ns["generic-simd"], ns["specialised"]; simd != nil && spec != nil {
		var all, fw []float64
		for k, t := range spec {
			if u, ok := simd[k]; ok {
				all = append(all, u/t)
				if strings.HasSuffix(k, "/"+string(se.Forward)) {
					fw = append(fw, u/t)
				}
			}
		}
		fmt.Fprintf(w, "specialisation itself (specialised over generic-simd): %.2f×%s\n", geomean(all), forward(fw))
	}
	fmt.Fprintf(w, "%d measurements in %.1f s\n", len(r.records), r.elapsed.Seconds())
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func geomean(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(xs)))
}

// writeBenchFormat prints one Go benchmark line per measurement, in the
// format go test -bench prints, so benchstat reads the output directly:
// BenchmarkForward/bottleneck1_nchw/specialised-2  N  123 ns/op  4567.89 MB/s.
// N counts the calls of all chunks; ns/op is the median chunk's.
func writeBenchFormat(w io.Writer, r *benchResult) {
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: github.com/segen/segen/cmd/segen\ncpu: %s\n", r.machine.GOOS, r.machine.GOARCH, r.machine.CPU)
	procs := runtime.GOMAXPROCS(0)
	for _, m := range r.records {
		n := m.iterations * len(m.chunks)
		fmt.Fprintf(w, "Benchmark%s/%s/%s-%d\t%s\n", m.op, m.block.name, m.impl, procs, benchLine(n, m.nsPerOp(), m.bytes))
	}
}

// benchLine formats n calls of ns nanoseconds each moving bytes bytes as
// testing.BenchmarkResult.String does, without linking package testing
// into the binary: "N  ns/op  MB/s", ns/op with as many decimals as its
// size calls for.
func benchLine(n int, ns float64, bytes int64) string {
	var format string
	switch y := math.Abs(ns); {
	case y == 0 || y >= 999.95:
		format = "%10.0f ns/op"
	case y >= 99.995:
		format = "%12.1f ns/op"
	case y >= 9.9995:
		format = "%13.2f ns/op"
	case y >= 0.99995:
		format = "%14.3f ns/op"
	case y >= 0.099995:
		format = "%15.4f ns/op"
	case y >= 0.0099995:
		format = "%16.5f ns/op"
	case y >= 0.00099995:
		format = "%17.6f ns/op"
	default:
		format = "%18.7f ns/op"
	}
	line := fmt.Sprintf("%8d", n)
	if ns != 0 {
		line += fmt.Sprintf("\t"+format, ns)
	}
	if bytes > 0 && ns > 0 {
		line += fmt.Sprintf("\t%7.2f MB/s", float64(bytes)/ns*1e3)
	}
	return line
}

// jsonOut is the document -json writes; the flag's help documents it.
type jsonOut struct {
	Schema    string        `json:"schema"`
	Machine   machine       `json:"machine"`
	Quick     bool          `json:"quick"`
	Count     int           `json:"count"`
	TargetNs  int64         `json:"target_ns"`
	Bandwidth jsonBandwidth `json:"bandwidth"`
	Records   []jsonRecord  `json:"records"`
}

type jsonBandwidth struct {
	ISA    string      `json:"isa"`
	Levels []jsonLevel `json:"levels"`
}

type jsonLevel struct {
	Level      string  `json:"level"`
	Bytes      int     `json:"bytes"`
	LimitBytes int64   `json:"limit_bytes"` // 0: no limit
	Read       float64 `json:"read_gb_per_s"`
	Copy       float64 `json:"copy_gb_per_s"`
}

type jsonRecord struct {
	Block      string    `json:"block"`
	Layout     string    `json:"layout"`
	C          int       `json:"c"`
	H          int       `json:"h"`
	W          int       `json:"w"`
	Hidden     int       `json:"hidden"`
	Op         string    `json:"op"`
	Impl       string    `json:"impl"`
	ISA        string    `json:"isa"`
	Run        int       `json:"run"`
	Iterations int       `json:"iterations"`
	ChunkNs    []float64 `json:"chunk_ns_per_op"`
	NsPerOp    float64   `json:"ns_per_op"`
	BytesPerOp int64     `json:"bytes_per_op"`
	GBPerS     float64   `json:"gb_per_s"`
	WorkingSet int64     `json:"working_set_bytes"`
	BWLevel    string    `json:"bw_level"`
	BWKind     string    `json:"bw_kind"`
	BWGBPerS   float64   `json:"bw_gb_per_s"`
	PctOfBW    float64   `json:"pct_of_bw"`
	Speedup    float64   `json:"speedup_vs_generic"` // 0 when generic was not measured
}

// chunkNs returns the ns per call of each chunk, in the order they ran.
func (m *measurement) chunkNs() []float64 {
	ns := make([]float64, len(m.chunks))
	for i, t := range m.chunks {
		ns[i] = float64(t.Nanoseconds()) / float64(m.iterations)
	}
	return ns
}

// writeJSON writes every measurement to file.
func writeJSON(file string, r *benchResult) error {
	out := jsonOut{
		Schema:    "segen-bench/2",
		Machine:   r.machine,
		Quick:     r.cfg.quick,
		Count:     r.cfg.count,
		TargetNs:  r.cfg.target.Nanoseconds(),
		Bandwidth: jsonBandwidth{ISA: membw.ISA()},
		Records:   []jsonRecord{},
	}
	for _, b := range r.bws {
		out.Bandwidth.Levels = append(out.Bandwidth.Levels, jsonLevel{b.Name, b.Bytes, b.Limit, b.Read, b.Copy})
	}
	for _, m := range r.records {
		s := m.block.kernel.Shape()
		out.Records = append(out.Records, jsonRecord{
			Block: m.block.name, Layout: s.Layout.String(), C: s.C, H: s.H, W: s.W, Hidden: s.Hidden,
			Op: string(m.op), Impl: m.impl, ISA: m.isa, Run: m.run, Iterations: m.iterations, ChunkNs: m.chunkNs(),
			NsPerOp: m.nsPerOp(), BytesPerOp: m.bytes, GBPerS: m.gbPerS(), WorkingSet: m.workingSet,
			BWLevel: m.bwLevel, BWKind: m.bwKind, BWGBPerS: m.bwGBPerS(), PctOfBW: m.pctOfBW(), Speedup: m.speedup,
		})
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(data, '\n'), 0o666)
}

package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/segen/segen/gen"
	"github.com/segen/segen/internal/membw"
	"github.com/segen/segen/isa"
	"github.com/segen/segen/se"
	"github.com/segen/segen/se/simd"
)

// "segen bench" answers the project's first question: how much faster are the
// specialised kernels than the generic ones on this machine, and how close do
// they come to what its memory can deliver? This file holds the flags and the
// orchestration; bench_measure.go times, bench_report.go prints, and
// bench_plot.go draws.

// benchImpl is one implementation the table compares: a name and how to get
// its kernel for a block from the block's registered (specialised) kernel.
// kernel returns nil when the implementation does not exist on this build or
// CPU, and the rows are left out.
type benchImpl struct {
	name   string
	kernel func(specialised se.Kernel) se.Kernel
}

// benchImpls are the implementations measured, in table order. Adding one is
// adding a line; speedups are always against baselineImpl.
var benchImpls = []benchImpl{
	{"specialised", func(k se.Kernel) se.Kernel { return k }},
	{"specialised-avx2", otherISA(isa.AVX2)},
	{"specialised-go", otherISA(isa.Go)},
	{"generic-simd", func(k se.Kernel) se.Kernel {
		if g := simd.New(k.Shape()); g.Impl() == "generic-simd" {
			return g
		}
		return nil // no SIMD on this CPU or build: simd.New fell back to generic
	}},
	{"generic", func(k se.Kernel) se.Kernel { return se.Generic(k.Shape()) }},
}

// otherISA returns the implementation "the block's specialised kernel on
// instruction set isa", when that is not the ISA the registered kernel
// already runs (that row is "specialised") and the CPU runs it.
func otherISA(i isa.ISA) func(se.Kernel) se.Kernel {
	return func(k se.Kernel) se.Kernel {
		if k.Impl() == i.String() {
			return nil
		}
		return se.Specialised(k.Shape(), i)
	}
}

// baselineImpl is what speedups are measured against.
const baselineImpl = "generic"

// benchBlock is one block to measure: its name and its registered kernel.
type benchBlock struct {
	name   string
	kernel se.Kernel
}

// benchConfig is the parsed command line.
type benchConfig struct {
	quick       bool
	count       int
	benchFormat bool
	jsonFile    string
	plotFile    string
	plotOp      se.Op
	ops         []se.Op
	blocks      []benchBlock
	target      time.Duration // time budget of one measurement: chunks loops of target/chunks
}

// Measurement budgets; each bandwidth figure gets the same.
const (
	normalTarget = 50 * time.Millisecond
	quickTarget  = 5 * time.Millisecond
)

const benchSummary = `Bench measures every op of every compiled-in block with each implementation,
single-threaded at batch 1, next to this machine's measured memory bandwidth:

  specialised   the kernel the generated package registered (its ISA: SEGEN_ISA
                = go, avx2 or avx512 overrides the best the CPU runs)
  generic-simd  se/simd's runtime-sized AVX2/AVX-512 kernels (when the CPU has them)
  generic       se's plain-Go kernels, the baseline of every speedup

It prints a table per block (ns/op, GB/s, % of the bandwidth of the op's
working set, speedup over generic) and geometric-mean speedups. ns/op is the
median of 5 timed loops of about 10 ms each (1 ms with -quick), the
implementations of an op taking turns loop by loop so that load from other
programs hits them alike; with -count N the table shows the median of N runs.
The % of bandwidth compares an op with a read or copy loop over the same
number of bytes that takes its turn with the implementations and is timed the
same way. The table of bandwidth by cache level above it is the best of
measurements before and after the kernels. Progress goes to stderr.

With -arch NAMES, bench times whole networks instead (see segen bench -arch x -h).`

const jsonHelp = `write every measurement to ` + "`file`" + ` as JSON:
{"schema": "segen-bench/2",
 "machine": {goos, goarch, cpu, cpus, go_version, segen_isa},
 "quick": bool, "count": N, "target_ns": time budget of one measurement,
 "bandwidth": {isa, levels: [{level, bytes, limit_bytes, read_gb_per_s, copy_gb_per_s}]},
 "records": [{block, layout, c, h, w, hidden, op, impl, isa, run,
   iterations (calls per loop), chunk_ns_per_op (each loop), ns_per_op (the median loop),
   bytes_per_op, gb_per_s, working_set_bytes, bw_level (the level the working set fits),
   bw_kind (read or copy), bw_gb_per_s (that loop over working_set_bytes, median of its loops in
   the same turns), pct_of_bw, speedup_vs_generic (0 if generic was not measured)}]}
with one record per block × op × implementation × run; GB/s are 1e9 bytes/s`

// cmdBench implements "segen bench".
func cmdBench(args []string, stdout, stderr io.Writer) error {
	if isArchBench(args) {
		return cmdBenchArch(args, stdout, stderr) // whole networks: bench_arch.go
	}
	cfg, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	prog := newProgress(stderr)
	prog.note("measuring memory bandwidth…")
	levels := membw.Levels()
	bws := membw.Measure(levels, cfg.target)
	recs := runBench(cfg, prog)
	prog.note("measuring memory bandwidth again…")
	bws = bestOf(bws, membw.Measure(levels, cfg.target))
	for _, m := range recs {
		m.bwLevel = membw.For(bws, m.workingSet).Name
	}
	prog.done()
	res := &benchResult{cfg: cfg, bws: bws, records: recs, machine: thisMachine(), elapsed: time.Since(start)}

	if cfg.benchFormat {
		writeBenchFormat(stdout, res)
	} else {
		writeTable(stdout, res)
	}
	if cfg.jsonFile != "" {
		if err := writeJSON(cfg.jsonFile, res); err != nil {
			return err
		}
	}
	if cfg.plotFile != "" {
		if err := writePlot(cfg.plotFile, res); err != nil {
			return err
		}
	}
	return nil
}

// bestOf returns the higher of two measurements of each figure. The
// bandwidth is measured before and after the kernels: other tenants of a
// shared machine (above all in the shared L3) only ever lower a figure, and
// the best is the closest to the machine's limit.
func bestOf(a, b []membw.Bandwidth) []membw.Bandwidth {
	out := slices.Clone(a)
	for i := range out {
		out[i].Read = max(a[i].Read, b[i].Read)
		out[i].Copy = max(a[i].Copy, b[i].Copy)
	}
	return out
}

// parseBenchFlags parses and checks the command line.
func parseBenchFlags(args []string, stderr io.Writer) (*benchConfig, error) {
	fs := newFlagSet("bench", "[flags]", benchSummary, stderr)
	quick := fs.Bool("quick", false, "short timings (loops of 1 ms instead of 10 ms); every block is still measured")
	count := fs.Int("count", 1, "measure each block × op × implementation `N` times (for benchstat)")
	benchFormat := fs.Bool("bench-format", false, "print Go benchmark lines (BenchmarkOp/block/impl-P  N  ns/op  MB/s) instead of the table, for benchstat; one line per run")
	jsonFile := fs.String("json", "", jsonHelp)
	plotFile := fs.String("plot", "", "draw a PNG chart to `file`: GB/s per block for each implementation, with the measured bandwidth as a roofline")
	plotOp := fs.String("plot-op", string(se.Forward), "the `op` -plot draws")
	specFile := fs.String("spec", "", "measure only the blocks of this spec `file` (they must be compiled in; names come from the spec)")
	opsList := fs.String("ops", "", "comma-separated `ops` to measure (default all: "+opNames(se.Ops())+")")
	blocksRE := fs.String("blocks", "", "measure only blocks whose name matches this `regexp`")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: bench takes only flags (see segen help bench)", fs.Arg(0))
	}
	if *count < 1 {
		return nil, fmt.Errorf("-count %d: must be at least 1", *count)
	}
	cfg := &benchConfig{quick: *quick, count: *count, benchFormat: *benchFormat, jsonFile: *jsonFile, plotFile: *plotFile, target: normalTarget}
	if cfg.quick {
		cfg.target = quickTarget
	}
	var err error
	if cfg.ops, err = parseOps(*opsList); err != nil {
		return nil, err
	}
	ops, err := parseOps(*plotOp)
	if err != nil {
		return nil, fmt.Errorf("-plot-op: %w", err)
	}
	cfg.plotOp = ops[0]
	if cfg.plotFile != "" && !slices.Contains(cfg.ops, cfg.plotOp) {
		return nil, fmt.Errorf("-plot-op %s is not among the ops measured (-ops %s)", cfg.plotOp, *opsList)
	}
	if cfg.blocks, err = selectBlocks(*specFile, *blocksRE); err != nil {
		return nil, err
	}
	return cfg, nil
}

// parseOps parses a comma-separated list of op names, in any case; empty
// means all ops.
func parseOps(list string) ([]se.Op, error) {
	if strings.TrimSpace(list) == "" {
		return se.Ops(), nil
	}
	var ops []se.Op
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(se.Ops(), func(op se.Op) bool { return strings.EqualFold(string(op), name) })
		if i < 0 {
			return nil, fmt.Errorf("unknown op %q; the ops are %s", name, opNames(se.Ops()))
		}
		if op := se.Ops()[i]; !slices.Contains(ops, op) {
			ops = append(ops, op)
		}
	}
	return ops, nil
}

func opNames(ops []se.Op) string {
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = string(op)
	}
	return strings.Join(names, ",")
}

// selectBlocks returns the blocks to measure: every registered kernel, or
// those of specFile, filtered by the regexp re on their names.
func selectBlocks(specFile, re string) ([]benchBlock, error) {
	var blocks []benchBlock
	if specFile == "" {
		for _, k := range se.Registered() {
			blocks = append(blocks, benchBlock{kernelName(k), k})
		}
		// Layout first, then name: basic1…4 before bottleneck1…4.
		slices.SortStableFunc(blocks, func(a, b benchBlock) int {
			if la, lb := a.kernel.Shape().Layout, b.kernel.Shape().Layout; la != lb {
				return int(la) - int(lb)
			}
			return strings.Compare(a.name, b.name)
		})
	} else {
		var err error
		if blocks, err = specBlocks(specFile); err != nil {
			return nil, err
		}
	}
	if len(blocks) == 0 {
		return nil, errors.New("no specialised kernels are compiled in")
	}
	if re == "" {
		return blocks, nil
	}
	match, err := regexp.Compile(re)
	if err != nil {
		return nil, fmt.Errorf("-blocks: %v", err)
	}
	var names []string
	kept := blocks[:0:0]
	for _, b := range blocks {
		names = append(names, b.name)
		if match.MatchString(b.name) {
			kept = append(kept, b)
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("-blocks %q matches no block; the blocks are %s", re, strings.Join(names, ", "))
	}
	return kept, nil
}

// specBlocks returns the blocks of the spec at path, each with the
// compiled-in kernel of its shape, or an error naming the blocks that have
// none: a Go program cannot compile new kernels into itself.
func specBlocks(path string) ([]benchBlock, error) {
	spec, err := gen.LoadSpec(path)
	if err != nil {
		return nil, err
	}
	compiled := map[se.Shape]se.Kernel{}
	for _, k := range se.Registered() {
		compiled[k.Shape()] = k
	}
	var blocks []benchBlock
	var missing []string
	for _, b := range spec.Blocks {
		k, ok := compiled[b.Shape]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (%v)", b.Name, b.Shape))
			continue
		}
		blocks = append(blocks, benchBlock{b.Name, k})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: %d of %d blocks have no kernel compiled into segen: %s\n"+
			"bench can only measure compiled-in kernels (Go cannot generate and load code at run time): "+
			"run segen generate -spec %s -out DIR and import the package in cmd/segen, then rebuild",
			path, len(missing), len(spec.Blocks), strings.Join(missing, "; "), path)
	}
	return blocks, nil
}

// kernelName names a registered kernel: its block's spec name.
func kernelName(k se.Kernel) string { return se.BlockName(k.Shape()) }

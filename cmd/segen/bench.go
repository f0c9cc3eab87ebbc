package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/segen/segen/internal/bench"
	"github.com/segen/segen/se"
)

// "segen bench" measures the SE kernels of every compiled-in block against
// the generic ones and this machine's memory bandwidth, and with -arch whole
// networks (bench_arch.go). The measuring and the reports are package
// internal/bench's; this file holds the flags, their help and the choice of
// what to print.

// benchConfig is the parsed command line.
type benchConfig struct {
	bench.KernelOptions
	benchFormat bool
	jsonFile    string
	plotFile    string
	plotOp      se.Op
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
{"schema": "` + bench.Schema + `",
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
	prog := bench.NewProgress(stderr)
	res := bench.Kernels(cfg.KernelOptions, prog)
	prog.Done()

	if cfg.benchFormat {
		res.WriteBenchFormat(stdout)
	} else {
		res.WriteTable(stdout)
	}
	if cfg.jsonFile != "" {
		data, err := res.JSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.jsonFile, data, 0o666); err != nil {
			return err
		}
	}
	if cfg.plotFile != "" {
		if err := res.SavePlot(cfg.plotFile, cfg.plotOp); err != nil {
			return err
		}
	}
	return nil
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
	cfg := &benchConfig{KernelOptions: bench.KernelOptions{Quick: *quick, Count: *count, Target: normalTarget},
		benchFormat: *benchFormat, jsonFile: *jsonFile, plotFile: *plotFile}
	if cfg.Quick {
		cfg.Target = quickTarget
	}
	var err error
	if cfg.Ops, err = parseOps(*opsList); err != nil {
		return nil, err
	}
	ops, err := parseOps(*plotOp)
	if err != nil {
		return nil, fmt.Errorf("-plot-op: %w", err)
	}
	cfg.plotOp = ops[0]
	if cfg.plotFile != "" && !slices.Contains(cfg.Ops, cfg.plotOp) {
		return nil, fmt.Errorf("-plot-op %s is not among the ops measured (-ops %s)", cfg.plotOp, *opsList)
	}
	if cfg.Blocks, err = selectBlocks(*specFile, *blocksRE); err != nil {
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
func selectBlocks(specFile, re string) ([]bench.Block, error) {
	blocks := bench.Registered()
	if specFile != "" {
		var err error
		if blocks, err = bench.SpecBlocks(specFile); err != nil {
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
		names = append(names, b.Name)
		if match.MatchString(b.Name) {
			kept = append(kept, b)
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("-blocks %q matches no block; the blocks are %s", re, strings.Join(names, ", "))
	}
	return kept, nil
}

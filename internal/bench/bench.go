// Package bench is the measuring behind "segen bench". Kernels answers the
// project's first question: how much faster are the specialised SE kernels
// than the generic ones on this machine, and how close do they come to what
// its memory delivers? Networks times whole networks, the GEMM that does
// most of their work and their layers, against the FMA peak. The package
// times and reports; choosing what to measure is the command line's job
// (cmd/segen).
//
// For Kernels, impls.go names the implementations compared, blocks.go the
// blocks, measure.go times them taking turns and bandwidth.go is the
// reference loop every op is compared with; table.go, benchfmt.go, json.go
// and plot.go write the results. For Networks, network.go times forward
// passes, gemm.go the convolution engine and layers.go a pass by class of
// layer. progress.go reports on stderr as it goes.
package bench

import (
	"time"

	"github.com/segen/segen/internal/membw"
	"github.com/segen/segen/se"
)

// KernelOptions say what Kernels measures and for how long.
type KernelOptions struct {
	Blocks []Block
	Ops    []se.Op
	Count  int           // runs of each block × op × implementation (for benchstat)
	Target time.Duration // time budget of one measurement: chunks loops of Target/chunks
	Quick  bool          // Target is the short one; only recorded in the JSON
}

// KernelResult is everything Kernels measured, for the writers of
// table.go, benchfmt.go, json.go and plot.go.
type KernelResult struct {
	KernelOptions
	Machine   Machine
	Bandwidth []membw.Bandwidth // by cache level: the best of before and after the kernels
	Records   []*Measurement    // one per block × op × implementation × run, in measuring order
	Elapsed   time.Duration
}

// Kernels measures every op of every block of o with each implementation,
// single-threaded at batch 1, between two measurements of the machine's
// memory bandwidth by cache level. prog (nil for none) reports each step.
func Kernels(o KernelOptions, prog *Progress) *KernelResult {
	start := time.Now()
	prog.Note("measuring memory bandwidth…")
	levels := membw.Levels()
	bws := membw.Measure(levels, o.Target)
	recs := measureBlocks(o, prog)
	prog.Note("measuring memory bandwidth again…")
	bws = bestOf(bws, membw.Measure(levels, o.Target))
	for _, m := range recs {
		m.BWLevel = membw.For(bws, m.WorkingSet).Name
	}
	return &KernelResult{KernelOptions: o, Machine: ThisMachine(), Bandwidth: bws, Records: recs, Elapsed: time.Since(start)}
}

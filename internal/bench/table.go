package bench

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/segen/segen/internal/membw"
	"github.com/segen/segen/se"
)

// cell is the table's summary of the runs of one block × op × impl: the
// median run, so one disturbed run on a shared machine does not move it.
type cell struct {
	*Measurement         // the median run
	vsBaseline   float64 // the baseline's median ns/op over this median ns/op; 0 without a baseline
}

// cells returns one cell per block × op × impl, in measuring order.
func (r *KernelResult) cells() []cell {
	type key struct {
		block string
		op    se.Op
		impl  string
	}
	runs := map[key][]*Measurement{}
	var order []key
	for _, m := range r.Records {
		k := key{m.Block.Name, m.Op, m.Impl}
		if runs[k] == nil {
			order = append(order, k)
		}
		runs[k] = append(runs[k], m)
	}
	median := func(ms []*Measurement) *Measurement {
		ms = slices.Clone(ms)
		slices.SortFunc(ms, func(a, b *Measurement) int { return cmp.Compare(a.NsPerOp, b.NsPerOp) })
		return ms[len(ms)/2]
	}
	out := make([]cell, len(order))
	for i, k := range order {
		m := median(runs[k])
		out[i] = cell{Measurement: m}
		if base := runs[key{k.block, k.op, baseline}]; base != nil {
			out[i].vsBaseline = median(base).NsPerOp / m.NsPerOp
		}
	}
	return out
}

// WriteTable prints the machine, the bandwidth figures, one section per
// block and the geometric-mean speedups.
func (r *KernelResult) WriteTable(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "segen bench: SE kernels, batch 1, one core. ns/op: median of %d loops of ~%d ms, implementations taking turns", chunks, (r.Target / chunks).Milliseconds())
	if r.Count > 1 {
		fmt.Fprintf(w, "; median of %d runs", r.Count)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "machine: %s/%s, %s, %d CPUs, %s; ISA: %s\n", m.GOOS, m.GOARCH, m.CPU, m.CPUs, m.GoVersion, r.isaSummary())
	writeBandwidth(w, r.Bandwidth)
	fmt.Fprintln(w)

	cells := r.cells()
	w0 := len("  ForwardAddReLU")
	w1 := len("impl")
	for _, c := range cells {
		w0 = max(w0, len(c.Block.Name))
		w1 = max(w1, len(c.Impl))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(op, impl, ns, gbs, pct, ref, speedup string) {
		fmt.Fprintf(tw, "%-*s\t%-*s\t%12s\t%7s\t%7s\t%-13s\t%10s\n", w0, op, w1, impl, ns, gbs, pct, ref, speedup)
	}
	row("block / op", "impl", "ns/op", "GB/s", "% of BW", "BW ref (GB/s)", "vs "+baseline)
	var block string
	var lastOp se.Op
	for _, c := range cells {
		if c.Block.Name != block {
			block, lastOp = c.Block.Name, ""
			fmt.Fprintf(tw, "%s\t%s\n", block, describeShape(c.Block.Kernel.Shape()))
		}
		op := ""
		if c.Op != lastOp {
			op, lastOp = "  "+string(c.Op), c.Op
		}
		speedup := ""
		if c.vsBaseline > 0 {
			speedup = fmt.Sprintf("%.2f×", c.vsBaseline)
		}
		ref := fmt.Sprintf("%s %s %.0f", c.BWLevel, c.BWKind, c.BWGBPerS)
		row(op, c.Impl, formatNs(c.NsPerOp), fmt.Sprintf("%.1f", c.GBPerS()), fmt.Sprintf("%.0f%%", c.PctOfBW()), ref, speedup)
	}
	tw.Flush()
	for _, c := range cells {
		if c.PctOfBW() > 100 {
			fmt.Fprintln(w, "Above 100 %: the op keeps part of its working set in a faster level between its passes\n"+
				"(Forward reads x twice), or other programs loaded the machine while the reference loop ran.")
			break
		}
	}
	fmt.Fprintln(w)
	r.writeSummary(w, cells)
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
func (r *KernelResult) isaSummary() string {
	seen := map[string]bool{}
	var parts []string
	for _, m := range r.Records {
		if s := m.Impl + " " + m.ISA; !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	s := strings.Join(parts, ", ")
	if r.Machine.SegenISA != "" {
		s += " (SEGEN_ISA=" + r.Machine.SegenISA + ")"
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
func (r *KernelResult) writeSummary(w io.Writer, cells []cell) {
	byImpl := map[string][]float64{}
	fwd := map[string][]float64{}
	ns := map[string]map[string]float64{} // impl → block/op → ns
	var implNames []string
	for _, c := range cells {
		if _, ok := ns[c.Impl]; !ok {
			implNames = append(implNames, c.Impl)
			ns[c.Impl] = map[string]float64{}
		}
		ns[c.Impl][c.Block.Name+"/"+string(c.Op)] = c.NsPerOp
		if c.vsBaseline > 0 {
			byImpl[c.Impl] = append(byImpl[c.Impl], c.vsBaseline)
			if c.Op == se.Forward {
				fwd[c.Impl] = append(fwd[c.Impl], c.vsBaseline)
			}
		}
	}
	forward := func(xs []float64) string {
		if len(xs) == 0 {
			return ""
		}
		return fmt.Sprintf("   Forward alone %.2f×", geomean(xs))
	}
	fmt.Fprintf(w, "geometric-mean speedup over %s (%s × %s):\n", baseline, plural(len(r.Blocks), "block"), plural(len(r.Ops), "op"))
	for _, impl := range implNames {
		if impl == baseline || len(byImpl[impl]) == 0 {
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
	fmt.Fprintf(w, "%d measurements in %.1f s\n", len(r.Records), r.Elapsed.Seconds())
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

package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/segen/segen/runtime/resnet"
)

// The per-layer profile of "segen bench -arch": where a forward pass spends
// its time, by class of layer (the stem, each stage's 1×1 and 3×3
// convolutions, downsamples, SE tails, the classifier), against the FMA peak.

// layerClass is one class of layers in one network: its share of a pass.
type layerClass struct {
	class  string
	layers int           // layers of the class in one pass
	flops  float64       // per pass
	time   time.Duration // median over the passes
}

// layerProfile is one network's profile at one batch and thread count.
type layerProfile struct {
	arch             string
	batch, threads   int
	classes          []layerClass // in the order the network runs them
	total            time.Duration
	totalFlops, peak float64
	cpuClock         bool // timed on the thread's CPU clock, not the wall clock
}

// profileLayers profiles each ResNet-family architecture at the first
// batch size on one thread, cfg.runs passes after a warm-up, and returns the median time of
// every layer class.
func profileLayers(cfg *archConfig, prog *progress) ([]layerProfile, error) {
	batch := cfg.batches[0]
	x := randomImages(batch, cfg.size)
	var out []layerProfile
	for _, name := range cfg.archs {
		if isInception(name) {
			continue // Plan.Profile is the ResNet family's
		}
		prog.note(fmt.Sprintf("profiling the layers of %s…", name))
		m, err := resnet.NewRandom(name, cfg.classes, cfg.seed, resnet.Options{Threads: 1})
		if err != nil {
			return nil, err
		}
		p, err := m.NewPlan(batch, cfg.size, cfg.size)
		if err != nil {
			return nil, err
		}
		logits := make([]float32, batch*m.Classes())
		p.Forward(logits, x.Data)
		clock := threadClock()
		if clock != nil {
			// The thread's CPU clock: one thread runs every layer inline.
			runtime.LockOSThread()
		}
		var order []string
		index := map[string]int{}
		var times [][]time.Duration // class → per pass
		var classes []layerClass
		for run := range cfg.runs {
			sum := map[string]time.Duration{}
			for _, l := range p.Profile(logits, x.Data, clock) {
				i, ok := index[l.Class]
				if !ok {
					i = len(order)
					index[l.Class] = i
					order = append(order, l.Class)
					classes = append(classes, layerClass{class: l.Class})
					times = append(times, nil)
				}
				if run == 0 {
					classes[i].layers++
					classes[i].flops += l.FLOPs
				}
				sum[l.Class] += l.Time
			}
			for c, d := range sum {
				times[index[c]] = append(times[index[c]], d)
			}
		}
		if clock != nil {
			runtime.UnlockOSThread()
		}
		lp := layerProfile{arch: name, batch: batch, threads: 1, cpuClock: clock != nil}
		for i := range classes {
			classes[i].time = medianDuration(times[i])
			lp.total += classes[i].time
			lp.totalFlops += classes[i].flops
		}
		lp.classes = classes
		out = append(out, lp)
	}
	return out, nil
}

func medianDuration(d []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(d))
	return s[len(s)/2]
}

// writeLayerProfiles prints each profile: per class, its layers, GFLOP per
// pass, median milliseconds, share of the pass, GFLOP/s and % of peak.
func writeLayerProfiles(w io.Writer, profiles []layerProfile, peak float64) {
	for _, lp := range profiles {
		clock := "wall clock"
		if lp.cpuClock {
			clock = "thread CPU time"
		}
		fmt.Fprintf(w, "\nLayers of %s, batch %d, %d thread (%s, medians of the passes; sum %.2f ms, %.1f GFLOP/s overall;\n"+
			"FMA peak %.1f GFLOP/s; GFLOP as the direct convolution counts them, so a Winograd layer can pass 100%% of peak):\n",
			lp.arch, lp.batch, lp.threads, clock, ms(lp.total), lp.totalFlops/lp.total.Seconds()/1e9, peak)
		fmt.Fprintf(w, "  %-20s %6s %8s %9s %7s %9s %7s\n", "class", "layers", "GFLOP", "ms", "share", "GFLOP/s", "% peak")
		for _, c := range lp.classes {
			rate, pct := "-", "-"
			if c.flops > 0 {
				g := c.flops / c.time.Seconds() / 1e9
				rate = fmt.Sprintf("%.1f", g)
				if peak > 0 {
					pct = fmt.Sprintf("%.0f%%", 100*g/peak)
				}
			}
			fmt.Fprintf(w, "  %-20s %6d %8.3f %9.2f %6.1f%% %9s %7s\n", c.class, c.layers, c.flops/1e9, ms(c.time),
				100*c.time.Seconds()/lp.total.Seconds(), rate, pct)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

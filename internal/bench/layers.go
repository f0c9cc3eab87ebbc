package bench

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/segen/segen/runtime/resnet"
)

// The per-layer profile of Networks: where a forward pass spends its time,
// by class of layer (the stem, each stage's 1×1 and 3×3 convolutions,
// downsamples, SE tails, the classifier), against the FMA peak.

// LayerClass is one class of layers in one network: its share of a pass.
type LayerClass struct {
	Class  string
	Layers int           // layers of the class in one pass
	FLOPs  float64       // per pass, as the direct convolution counts them
	Time   time.Duration // median over the passes
}

// LayerProfile is one network's profile at one batch and thread count.
type LayerProfile struct {
	Arch           string
	Batch, Threads int
	Classes        []LayerClass // in the order the network runs them
	Total          time.Duration
	TotalFLOPs     float64
	CPUClock       bool // timed on the thread's CPU clock, not the wall clock
}

// planner is a network that can be profiled: runtime/resnet's Model, whose
// Plan times its layers (Plan.Profile).
type planner interface {
	Classes() int
	NewPlan(n, h, w int) (*resnet.Plan, error)
}

// profileLayers profiles each ResNet-family network on one thread at
// batch × size², runs passes after a warm-up, and returns the median time of
// every layer class.
func profileLayers(nets []Net, batch, size, runs int, prog *Progress) ([]LayerProfile, error) {
	x := randomImages(batch, size)
	var out []LayerProfile
	for _, net := range nets {
		m, ok := net.WithThreads(1).(planner)
		if !ok {
			continue // Plan.Profile is the ResNet family's
		}
		prog.Note(fmt.Sprintf("profiling the layers of %s…", net.Name))
		p, err := m.NewPlan(batch, size, size)
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
		index := map[string]int{}
		var times [][]time.Duration // class → per pass
		var classes []LayerClass
		for run := range runs {
			sum := map[string]time.Duration{}
			for _, l := range p.Profile(logits, x.Data, clock) {
				i, ok := index[l.Class]
				if !ok {
					i = len(classes)
					index[l.Class] = i
					classes = append(classes, LayerClass{Class: l.Class})
					times = append(times, nil)
				}
				if run == 0 {
					classes[i].Layers++
					classes[i].FLOPs += l.FLOPs
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
		lp := LayerProfile{Arch: net.Name, Batch: batch, Threads: 1, CPUClock: clock != nil}
		for i := range classes {
			classes[i].Time = middle(times[i])
			lp.Total += classes[i].Time
			lp.TotalFLOPs += classes[i].FLOPs
		}
		lp.Classes = classes
		out = append(out, lp)
	}
	return out, nil
}

// writeLayerProfiles prints each profile: per class, its layers, GFLOP per
// pass, median milliseconds, share of the pass, GFLOP/s and % of peak.
func writeLayerProfiles(w io.Writer, profiles []LayerProfile, peak float64) {
	for _, lp := range profiles {
		clock := "wall clock"
		if lp.CPUClock {
			clock = "thread CPU time"
		}
		fmt.Fprintf(w, "\nLayers of %s, batch %d, %d thread (%s, medians of the passes; sum %.2f ms, %.1f GFLOP/s overall;\n"+
			"FMA peak %.1f GFLOP/s; GFLOP as the direct convolution counts them, so a Winograd layer can pass 100%% of peak):\n",
			lp.Arch, lp.Batch, lp.Threads, clock, ms(lp.Total), lp.TotalFLOPs/lp.Total.Seconds()/1e9, peak)
		fmt.Fprintf(w, "  %-20s %6s %8s %9s %7s %9s %7s\n", "class", "layers", "GFLOP", "ms", "share", "GFLOP/s", "% peak")
		for _, c := range lp.Classes {
			rate, pct := "-", "-"
			if c.FLOPs > 0 {
				g := c.FLOPs / c.Time.Seconds() / 1e9
				rate = fmt.Sprintf("%.1f", g)
				pct = pctOfPeak(g, peak)
			}
			fmt.Fprintf(w, "  %-20s %6d %8.3f %9.2f %6.1f%% %9s %7s\n", c.Class, c.Layers, c.FLOPs/1e9, ms(c.Time),
				100*c.Time.Seconds()/lp.Total.Seconds(), rate, pct)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

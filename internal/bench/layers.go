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

// profileLayers profiles each ResNet-family network at batch × size² on
// each of threads (its first, when one is 1, should be: later profiles
// report their speed-up over it), runs passes after a warm-up, and returns
// the median time of every layer class.
func profileLayers(nets []Net, batch, size, runs int, threads []int, prog *Progress) ([]LayerProfile, error) {
	x := randomImages(batch, size)
	var out []LayerProfile
	for _, net := range nets {
		for _, th := range threads {
			m, ok := net.WithThreads(th).(planner)
			if !ok {
				break // Plan.Profile is the ResNet family's
			}
			prog.Note(fmt.Sprintf("profiling the layers of %s, %d thread(s)…", net.Name, th))
			lp, err := profile(m, net.Name, batch, size, runs, th, x.Data)
			if err != nil {
				return nil, err
			}
			out = append(out, lp)
		}
	}
	return out, nil
}

// profile is one network's profile on threads threads. One thread is timed
// on the thread's CPU clock where there is one (it runs every layer inline,
// and the CPU clock stops while other programs run); more on the wall
// clock.
func profile(m planner, name string, batch, size, runs, threads int, x []float32) (LayerProfile, error) {
	p, err := m.NewPlan(batch, size, size)
	if err != nil {
		return LayerProfile{}, err
	}
	logits := make([]float32, batch*m.Classes())
	p.Forward(logits, x)
	var clock func() time.Duration
	if threads == 1 {
		if clock = threadClock(); clock != nil {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
	}
	index := map[string]int{}
	var times [][]time.Duration // class → per pass
	var classes []LayerClass
	for run := range runs {
		sum := map[string]time.Duration{}
		for _, l := range p.Profile(logits, x, clock) {
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
	lp := LayerProfile{Arch: name, Batch: batch, Threads: threads, CPUClock: clock != nil}
	for i := range classes {
		classes[i].Time = middle(times[i])
		lp.Total += classes[i].Time
		lp.TotalFLOPs += classes[i].FLOPs
	}
	lp.Classes = classes
	return lp, nil
}

// writeLayerProfiles prints each profile: per class, its layers, GFLOP per
// pass, median milliseconds, share of the pass, GFLOP/s and % of the peak
// of its threads' cores, and for more than one thread the speed-up over the
// network's one-thread profile, when there is one.
func writeLayerProfiles(w io.Writer, profiles []LayerProfile, peak float64) {
	single := map[string]LayerProfile{}
	for _, lp := range profiles {
		if lp.Threads == 1 {
			single[lp.Arch] = lp
		}
	}
	for _, lp := range profiles {
		clock := "wall clock"
		if lp.CPUClock {
			clock = "thread CPU time"
		}
		one, scaling := single[lp.Arch]
		scaling = scaling && lp.Threads > 1
		threads, cores := "1 thread", ""
		if lp.Threads > 1 {
			threads, cores = fmt.Sprintf("%d threads", lp.Threads), fmt.Sprintf(" a core, ×%d for %% peak", lp.Threads)
		}
		fmt.Fprintf(w, "\nLayers of %s, batch %d, %s (%s, medians of the passes; sum %.2f ms, %.1f GFLOP/s overall;\n"+
			"FMA peak %.1f GFLOP/s%s; GFLOP as the direct convolution counts them, so a Winograd layer can pass 100%% of peak):\n",
			lp.Arch, lp.Batch, threads, clock, ms(lp.Total), lp.TotalFLOPs/lp.Total.Seconds()/1e9, peak, cores)
		fmt.Fprintf(w, "  %-20s %6s %8s %9s %7s %9s %7s", "class", "layers", "GFLOP", "ms", "share", "GFLOP/s", "% peak")
		if scaling {
			fmt.Fprintf(w, " %9s", "× 1 thr")
		}
		fmt.Fprintln(w)
		for i, c := range lp.Classes {
			rate, pct := "-", "-"
			if c.FLOPs > 0 {
				g := c.FLOPs / c.Time.Seconds() / 1e9
				rate = fmt.Sprintf("%.1f", g)
				pct = pctOfPeak(g, peak*float64(lp.Threads))
			}
			fmt.Fprintf(w, "  %-20s %6d %8.3f %9.2f %6.1f%% %9s %7s", c.Class, c.Layers, c.FLOPs/1e9, ms(c.Time),
				100*c.Time.Seconds()/lp.Total.Seconds(), rate, pct)
			if scaling {
				speedup := "-"
				if i < len(one.Classes) && one.Classes[i].Class == c.Class && c.Time > 0 {
					speedup = fmt.Sprintf("%.2f×", one.Classes[i].Time.Seconds()/c.Time.Seconds())
				}
				fmt.Fprintf(w, " %9s", speedup)
			}
			fmt.Fprintln(w)
		}
		if scaling {
			fmt.Fprintf(w, "  %-20s %6s %8s %9.2f %7s %9s %7s %9s\n", "total", "", "", ms(lp.Total), "", "", "",
				fmt.Sprintf("%.2f×", one.Total.Seconds()/lp.Total.Seconds()))
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

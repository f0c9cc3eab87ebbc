package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/runtime/tensor"
)

// Network is a classifier whose forward passes Networks times.
type Network interface {
	Forward(x *tensor.Tensor) (*tensor.Tensor, error)
}

// Net is one architecture to time: its name and its network on a number of
// goroutines per layer. The networks of one Net share their weights, so a
// Net is built once for every thread count. A ResNet-family network
// (runtime/resnet's Model, which makes Plans) is also profiled by class of
// layer, and its grouped convolutions timed.
type Net struct {
	Name        string
	WithThreads func(threads int) Network
}

// NetOptions say what Networks measures and for how long.
type NetOptions struct {
	Batches, Threads []int         // at least one each; the layer profile runs at the first batch size
	Size             int           // input height and width
	Runs             int           // timed passes per network, batch and thread count
	GEMM             bool          // also time the GEMM on GEMMShapes and the networks' grouped 3×3 convolutions
	Layers           bool          // also profile each network by class of layer
	GEMMTarget       time.Duration // time budget of one GEMM shape or grouped convolution
	PeakTarget       time.Duration // time budget of one FMA peak measurement
}

// NetResult is everything Networks measured.
type NetResult struct {
	Latency []Latency
	GEMM    []GEMMResult
	Grouped []GroupedResult
	Layers  []LayerProfile
	Peak    float64 // this core's FMA peak in GFLOP/s; 0 if not measured or the engine has no SIMD loop
}

// Latency is one line of the latency table and one record of the JSON.
type Latency struct {
	Arch     string    `json:"arch"`
	Batch    int       `json:"batch"`
	Height   int       `json:"height"`
	Width    int       `json:"width"`
	Threads  int       `json:"threads"`
	ISA      string    `json:"isa"`
	MedianMS float64   `json:"median_ms"`
	MinMS    float64   `json:"min_ms"`
	Runs     int       `json:"runs"`
	RunsMS   []float64 `json:"runs_ms"`
}

// warmup is the number of untimed passes before the timed ones: the first
// builds a network's plan for the input shape and pages its buffers in.
const warmup = 1

// Networks times each network at every batch size and thread count, then,
// as o asks, profiles their layers (each thread count) and times the GEMM and
// their grouped convolutions against the FMA peak, measured before and
// after them: other programs only ever lower it, so the best of the two is
// the machine's. prog (nil for none) reports each step.
func Networks(nets []Net, o NetOptions, prog *Progress) (*NetResult, error) {
	lat, err := timeNetworks(nets, o, prog)
	if err != nil {
		return nil, err
	}
	r := &NetResult{Latency: lat}
	if o.GEMM || o.Layers {
		prog.Note("measuring the FMA peak…")
		r.Peak, _ = nn.FMAPeak(o.PeakTarget)
	}
	if o.Layers {
		if r.Layers, err = profileLayers(nets, o.Batches[0], o.Size, o.Runs, o.Threads, prog); err != nil {
			return nil, err
		}
	}
	if o.GEMM {
		prog.Note("measuring the GEMM…")
		r.GEMM = timeGEMM(GEMMShapes, o.GEMMTarget)
		r.Grouped = timeGrouped(nets, o.Size, o.GEMMTarget)
	}
	if o.GEMM || o.Layers {
		p2, _ := nn.FMAPeak(o.PeakTarget)
		r.Peak = max(r.Peak, p2)
	}
	return r, nil
}

// timeNetworks times every network × batch × thread count: one warm-up pass,
// then o.Runs timed passes, the networks taking turns pass by pass so that
// load from other programs hits them alike.
func timeNetworks(nets []Net, o NetOptions, prog *Progress) ([]Latency, error) {
	names := make([]string, len(nets))
	for i, n := range nets {
		names[i] = n.Name
	}
	var out []Latency
	for _, batch := range o.Batches {
		x := randomImages(batch, o.Size)
		for _, threads := range o.Threads {
			prog.Note(fmt.Sprintf("batch %d, %d thread(s): %s…", batch, threads, strings.Join(names, ", ")))
			runs := make([][]float64, len(nets))
			ms := make([]Network, len(nets))
			for i, n := range nets {
				ms[i] = n.WithThreads(threads)
				for range warmup {
					if _, err := ms[i].Forward(x); err != nil {
						return nil, err
					}
				}
			}
			for range o.Runs {
				for i, m := range ms {
					start := time.Now()
					if _, err := m.Forward(x); err != nil {
						return nil, err
					}
					runs[i] = append(runs[i], float64(time.Since(start).Nanoseconds())/1e6)
				}
			}
			for i, name := range names {
				out = append(out, Latency{Arch: name, Batch: batch, Height: o.Size, Width: o.Size,
					Threads: threads, ISA: nn.ISA(), MedianMS: median(runs[i]), MinMS: slices.Min(runs[i]),
					Runs: len(runs[i]), RunsMS: runs[i]})
			}
		}
	}
	return out, nil
}

// randomImages returns n standard-normal NCHW images, like normalised
// ImageNet inputs.
func randomImages(n, size int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	x := tensor.New(n, 3, size, size)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

// median returns the median of v, the mean of the two middle values of an
// even number.
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// JSON returns the latency records as an indented JSON array of Latency,
// ending in a newline.
func (r *NetResult) JSON() ([]byte, error) {
	data, err := json.MarshalIndent(r.Latency, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// WriteReport prints the latency table with the SE overheads, the GEMM, the
// grouped convolutions and the layer profiles, each when measured.
func (r *NetResult) WriteReport(w io.Writer) {
	r.writeLatency(w)
	writeGEMM(w, r.GEMM, r.Peak)
	writeGrouped(w, r.Grouped, r.Peak)
	writeLayerProfiles(w, r.Layers, r.Peak)
}

// writeLatency prints the machine, the latency table and the SE overheads.
func (r *NetResult) writeLatency(w io.Writer) {
	mc := ThisMachine()
	fmt.Fprintf(w, "machine: %s, %d CPUs, %s/%s, %s, convolution engine %s\n\n", mc.CPU, mc.CPUs, mc.GOOS, mc.GOARCH, mc.GoVersion, nn.ISA())
	width := len("arch")
	for _, l := range r.Latency {
		width = max(width, len(l.Arch))
	}
	fmt.Fprintf(w, "%-*s %5s %9s %7s %10s %9s %9s\n", width, "arch", "batch", "size", "threads", "median ms", "min ms", "images/s")
	byKey := map[[3]any]Latency{}
	for _, l := range r.Latency {
		byKey[[3]any{l.Arch, l.Batch, l.Threads}] = l
		fmt.Fprintf(w, "%-*s %5d %9s %7d %10.2f %9.2f %9.1f\n", width, l.Arch, l.Batch, fmt.Sprintf("%d×%d", l.Height, l.Width),
			l.Threads, l.MedianMS, l.MinMS, float64(l.Batch)*1e3/l.MedianMS)
	}
	printed := false
	for _, l := range r.Latency {
		plain, ok := byKey[[3]any{plainTwin(l.Arch), l.Batch, l.Threads}]
		if !strings.HasPrefix(l.Arch, "se") || !ok {
			continue
		}
		if !printed {
			fmt.Fprintf(w, "\nSE overhead (SE network / plain network):\n")
			printed = true
		}
		fmt.Fprintf(w, "  %s / %s, batch %d, %d thread(s): median %.3f, min %.3f\n",
			l.Arch, plain.Arch, l.Batch, l.Threads, l.MedianMS/plain.MedianMS, l.MinMS/plain.MinMS)
	}
}

// plainTwin names the network without SE of an SE network: seresnet50 →
// resnet50, se_bn_inception → bn_inception.
func plainTwin(arch string) string {
	return strings.TrimPrefix(strings.TrimPrefix(arch, "se"), "_")
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/runtime/resnet"
	"github.com/segen/segen/runtime/tensor"
)

// "segen bench -arch" times whole networks instead of SE kernels: the
// latency of a forward pass per architecture, batch and thread count, the
// SE overhead (each SE network against its plain twin), and the GEMM that
// does nearly all of the work, on the shapes of SE-ResNet-50's 1×1
// convolutions, and the grouped 3×3 convolutions of the architectures that
// have them (ResNeXt), against the FMA peak measured in the same run.

const benchArchSummary = `With -arch, bench times whole networks (random well-scaled weights, NCHW
input of -size², the specialised SE kernels): for each architecture, batch
and thread count, one warm-up pass then -runs timed passes, the
architectures taking turns pass by pass so that load from other programs
hits them alike; it prints the median and minimum latency, the SE overhead
(seresnetN / resnetN, seresnextN / resnextN, …, se_bn_inception /
bn_inception median), GFLOP/s of the convolution engine on SE-ResNet-50's
1×1 shapes and on the grouped 3×3 convolutions of the architectures timed,
one thread, against this core's FMA peak, and a profile of each ResNet-family
network by class of layer (stem, each stage's 1×1 and 3×3 convolutions,
downsamples, SE tails, classifier) at the first batch size on one thread:
median time, share of the pass, GFLOP/s and % of peak.`

// archConfig is the parsed command line of "segen bench -arch".
type archConfig struct {
	archs      []string
	batches    []int
	threads    []int
	size       int
	runs       int
	gemm       bool
	layers     bool
	quick      bool
	jsonFile   string
	gemmTarget time.Duration // time budget of one GEMM shape
	peakTarget time.Duration // time budget of the FMA peak
	warmup     int
	gemmShapes [][3]int
	classes    int
	seed       uint64
}

// archRecord is one line of the latency report (and of the JSON array).
type archRecord struct {
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

// gemmShapes are SE-ResNet-50's 1×1 convolutions at 224², batch 1, as
// M (pixels) × K (input channels) × N (output channels).
var gemmShapes = [][3]int{
	{3136, 64, 256}, {3136, 256, 64}, {784, 512, 128}, {784, 128, 512},
	{196, 1024, 256}, {196, 256, 1024}, {49, 2048, 512}, {49, 512, 2048},
}

// isArchBench reports whether args ask for the network benchmark.
func isArchBench(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		return strings.HasPrefix(a, "-") && name == "arch"
	})
}

// cmdBenchArch implements "segen bench -arch".
func cmdBenchArch(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseArchFlags(args, stderr)
	if err != nil {
		return err
	}
	prog := newProgress(stderr)
	recs, err := benchArchs(cfg, prog)
	if err != nil {
		return err
	}
	var gemm []gemmResult
	var grouped []groupedResult
	var layers []layerProfile
	var peak float64
	if cfg.gemm || cfg.layers {
		prog.note("measuring the FMA peak…")
		peak, _ = nn.FMAPeak(cfg.peakTarget)
	}
	if cfg.layers {
		if layers, err = profileLayers(cfg, prog); err != nil {
			return err
		}
	}
	if cfg.gemm {
		prog.note("measuring the GEMM…")
		gemm = benchGEMM(cfg)
		grouped = benchGrouped(cfg)
	}
	if cfg.gemm || cfg.layers {
		p2, _ := nn.FMAPeak(cfg.peakTarget) // before and after: the best is the machine's
		peak = max(peak, p2)
	}
	prog.done()
	writeArchTable(stdout, recs, gemm, peak)
	writeGrouped(stdout, grouped, peak)
	writeLayerProfiles(stdout, layers, peak)
	if cfg.jsonFile != "" {
		data, err := json.MarshalIndent(recs, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(cfg.jsonFile, append(data, '\n'), 0o644)
	}
	return nil
}

func parseArchFlags(args []string, stderr io.Writer) (*archConfig, error) {
	fs := newFlagSet("bench", "-arch NAMES [flags]", benchArchSummary, stderr)
	archs := fs.String("arch", "", "comma-separated `architectures` to time ("+strings.Join(archNames(), ", ")+")")
	batches := fs.String("batch", "1", "comma-separated batch `sizes`")
	threads := fs.String("threads", defaultThreads(), "comma-separated thread `counts`")
	size := fs.Int("size", 224, "input height and width in `pixels`")
	runs := fs.Int("runs", 0, "timed passes per architecture, batch and thread count (default 10, 3 with -quick)")
	gemm := fs.Bool("gemm", true, "also measure the GEMM on SE-ResNet-50's 1×1 shapes, and the architectures' grouped 3×3 convolutions, against the FMA peak")
	layers := fs.Bool("layers", true, "also profile each architecture by class of layer (first batch size, one thread) against the FMA peak")
	quick := fs.Bool("quick", false, "fewer passes and shorter GEMM timings")
	jsonFile := fs.String("json", "", "write the latency records to `file` as a JSON array of {arch, batch, height, width, threads, isa, median_ms, min_ms, runs, runs_ms}")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: bench takes only flags (see segen help bench)", fs.Arg(0))
	}
	cfg := &archConfig{size: *size, runs: *runs, gemm: *gemm, layers: *layers, quick: *quick, jsonFile: *jsonFile,
		gemmTarget: 200 * time.Millisecond, peakTarget: 100 * time.Millisecond, warmup: 1,
		gemmShapes: gemmShapes, classes: 1000, seed: 1}
	if cfg.runs == 0 {
		cfg.runs = 10
		if cfg.quick {
			cfg.runs = 3
		}
	}
	if cfg.quick {
		cfg.gemmTarget, cfg.peakTarget = 20*time.Millisecond, 10*time.Millisecond
	}
	if cfg.runs < 1 || cfg.size < 1 {
		return nil, fmt.Errorf("-runs %d, -size %d: must be at least 1", cfg.runs, cfg.size)
	}
	for name := range strings.SplitSeq(*archs, ",") {
		name = strings.TrimSpace(name)
		if err := checkArch(name); err != nil {
			return nil, fmt.Errorf("-arch: %w", err)
		}
		if err := checkImageSize(name, cfg.size); err != nil {
			return nil, err
		}
		cfg.archs = append(cfg.archs, name)
	}
	var err error
	if cfg.batches, err = positiveInts("-batch", *batches); err != nil {
		return nil, err
	}
	if cfg.threads, err = positiveInts("-threads", *threads); err != nil {
		return nil, err
	}
	return cfg, nil
}

// defaultThreads is "1" and, on a machine with more cores, "1,N".
func defaultThreads() string {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		return "1," + strconv.Itoa(n)
	}
	return "1"
}

func positiveInts(flag, list string) ([]int, error) {
	var out []int
	for s := range strings.SplitSeq(list, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive integer", flag, s)
		}
		out = append(out, v)
	}
	return out, nil
}

// benchArchs times every architecture × batch × thread count.
func benchArchs(cfg *archConfig, prog *progress) ([]archRecord, error) {
	models := make([]network, len(cfg.archs))
	for i, name := range cfg.archs {
		prog.note(fmt.Sprintf("building %s with random weights…", name))
		m, err := loadNetwork(name, "", cfg.seed, cfg.classes, netOptions{})
		if err != nil {
			return nil, err
		}
		models[i] = m
	}
	var recs []archRecord
	for _, batch := range cfg.batches {
		x := randomImages(batch, cfg.size)
		for _, threads := range cfg.threads {
			prog.note(fmt.Sprintf("batch %d, %d thread(s): %s…", batch, threads, strings.Join(cfg.archs, ", ")))
			runs := make([][]float64, len(models))
			ms := make([]network, len(models))
			for i, m := range models {
				ms[i] = withThreads(m, threads)
				for range cfg.warmup {
					if _, err := ms[i].Forward(x); err != nil {
						return nil, err
					}
				}
			}
			for range cfg.runs {
				for i, m := range ms {
					start := time.Now()
					if _, err := m.Forward(x); err != nil {
						return nil, err
					}
					runs[i] = append(runs[i], float64(time.Since(start).Nanoseconds())/1e6)
				}
			}
			for i, name := range cfg.archs {
				recs = append(recs, archRecord{Arch: name, Batch: batch, Height: cfg.size, Width: cfg.size,
					Threads: threads, ISA: nn.ISA(), MedianMS: median(runs[i]), MinMS: slices.Min(runs[i]),
					Runs: len(runs[i]), RunsMS: runs[i]})
			}
		}
	}
	return recs, nil
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

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// gemmResult is the convolution engine on one M×K×N shape.
type gemmResult struct {
	m, k, n int
	gflops  float64 // best of the timed chunks
}

// groupedResult is one grouped convolution of an architecture.
type groupedResult struct {
	arch, layer string
	spec        nn.ConvSpec
	h, w        int
	gflops      float64 // best of the timed chunks
}

// benchGrouped times, one thread, each distinct grouped convolution (shape
// and input size) of the architectures at -size, batch 1, with bias + ReLU
// as in a bottleneck, named after its first layer.
func benchGrouped(cfg *archConfig) []groupedResult {
	r := rand.New(rand.NewPCG(5, 6))
	ws := nn.NewWorkspace(1)
	var out []groupedResult
	seen := map[[3]any]bool{}
	for _, name := range cfg.archs {
		a, err := resnet.LookupArch(name)
		if err != nil {
			continue // the Inceptions have no grouped convolutions
		}
		for _, l := range a.ConvLayers(cfg.size, cfg.size) {
			key := [3]any{l.Spec, l.H, l.W}
			if l.Spec.Groups <= 1 || seen[key] {
				continue
			}
			seen[key] = true
			s := l.Spec
			fill := func(n int) []float32 {
				v := make([]float32, n)
				for i := range v {
					v[i] = float32(r.NormFloat64())
				}
				return v
			}
			conv, err := nn.NewConv2d(s, fill(s.OutC*s.Depth()), fill(s.OutC))
			if err != nil {
				panic(err) // the architecture's shapes are valid
			}
			oh, ow := s.Out(l.H, l.W)
			src, dst := fill(l.H*l.W*s.InC), make([]float32, oh*ow*s.OutC)
			pass := func() { conv.Forward(dst, src, 1, l.H, l.W, nn.Epilogue{ReLU: true}, ws) }
			pass()
			best := time.Duration(1<<63 - 1)
			end := time.Now().Add(cfg.gemmTarget)
			for chunk := 0; chunk < 3 || time.Now().Before(end); chunk++ {
				start := time.Now()
				pass()
				best = min(best, time.Since(start))
			}
			flops := 2 * float64(oh*ow*s.OutC*s.Depth())
			out = append(out, groupedResult{name, l.Name, s, l.H, l.W, flops / best.Seconds() / 1e9})
		}
	}
	return out
}

// writeGrouped prints the grouped convolutions against the FMA peak.
func writeGrouped(w io.Writer, gs []groupedResult, peak float64) {
	if len(gs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nGrouped 3×3 convolutions (batch 1, bias + ReLU, one thread, best of its passes; FLOPs of the grouped convolution):\n")
	fmt.Fprintf(w, "  %-22s %-16s %6s %6s %7s %7s %9s %9s\n", "arch", "layer", "in", "out", "groups", "input", "GFLOP/s", "% peak")
	for _, g := range gs {
		pct := "-"
		if peak > 0 {
			pct = fmt.Sprintf("%.0f%%", 100*g.gflops/peak)
		}
		input := fmt.Sprintf("%d²", g.h)
		if g.h != g.w {
			input = fmt.Sprintf("%d×%d", g.h, g.w)
		}
		if g.spec.Stride > 1 {
			input += fmt.Sprintf("/%d", g.spec.Stride)
		}
		fmt.Fprintf(w, "  %-22s %-16s %6d %6d %7d %7s %9.1f %9s\n", g.arch, g.layer, g.spec.InC, g.spec.OutC, g.spec.Groups, input, g.gflops, pct)
	}
}

// benchGEMM times a 1×1 convolution (bias + ReLU epilogue, one thread) per
// shape: an M-pixel image of K channels, N output channels.
func benchGEMM(cfg *archConfig) []gemmResult {
	r := rand.New(rand.NewPCG(3, 4))
	fill := func(n int, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() * scale)
		}
		return v
	}
	ws := nn.NewWorkspace(1)
	var out []gemmResult
	for _, s := range cfg.gemmShapes {
		m, k, n := s[0], s[1], s[2]
		conv, err := nn.NewConv2d(nn.ConvSpec{InC: k, OutC: n, KH: 1, KW: 1, Stride: 1}, fill(n*k, 1/float64(k)), fill(n, 0.1))
		if err != nil {
			panic(err) // the shapes are valid
		}
		src, dst := fill(m*k, 1), make([]float32, m*n)
		pass := func() { conv.Forward(dst, src, 1, m, 1, nn.Epilogue{ReLU: true}, ws) }
		pass()
		best := time.Duration(1<<63 - 1)
		end := time.Now().Add(cfg.gemmTarget)
		for chunk := 0; chunk < 3 || time.Now().Before(end); chunk++ {
			start := time.Now()
			pass()
			best = min(best, time.Since(start))
		}
		out = append(out, gemmResult{m, k, n, 2 * float64(m*k*n) / best.Seconds() / 1e9})
	}
	return out
}

// writeArchTable prints the latency table, the SE overheads and the GEMM.
func writeArchTable(w io.Writer, recs []archRecord, gemm []gemmResult, peak float64) {
	mc := thisMachine()
	fmt.Fprintf(w, "machine: %s, %d CPUs, %s/%s, %s, convolution engine %s\n\n", mc.CPU, mc.CPUs, mc.GOOS, mc.GOARCH, mc.GoVersion, nn.ISA())
	width := len("arch")
	for _, r := range recs {
		width = max(width, len(r.Arch))
	}
	fmt.Fprintf(w, "%-*s %5s %9s %7s %10s %9s %9s\n", width, "arch", "batch", "size", "threads", "median ms", "min ms", "images/s")
	byKey := map[[3]any]archRecord{}
	for _, r := range recs {
		byKey[[3]any{r.Arch, r.Batch, r.Threads}] = r
		fmt.Fprintf(w, "%-*s %5d %9s %7d %10.2f %9.2f %9.1f\n", width, r.Arch, r.Batch, fmt.Sprintf("%d×%d", r.Height, r.Width),
			r.Threads, r.MedianMS, r.MinMS, float64(r.Batch)*1e3/r.MedianMS)
	}
	printed := false
	for _, r := range recs {
		plain, ok := byKey[[3]any{plainTwin(r.Arch), r.Batch, r.Threads}]
		if !strings.HasPrefix(r.Arch, "se") || !ok {
			continue
		}
		if !printed {
			fmt.Fprintf(w, "\nSE overhead (SE network / plain network):\n")
			printed = true
		}
		fmt.Fprintf(w, "  %s / %s, batch %d, %d thread(s): median %.3f, min %.3f\n",
			r.Arch, plain.Arch, r.Batch, r.Threads, r.MedianMS/plain.MedianMS, r.MinMS/plain.MinMS)
	}
	if len(gemm) == 0 {
		return
	}
	fmt.Fprintf(w, "\nGEMM (1×1 convolution + bias + ReLU, one thread, best of its passes):\n")
	if peak > 0 {
		fmt.Fprintf(w, "FMA peak (%s, one core): %.1f GFLOP/s\n", nn.ISA(), peak)
	}
	fmt.Fprintf(w, "  %5s %5s %5s %9s %9s\n", "M", "K", "N", "GFLOP/s", "% peak")
	for _, g := range gemm {
		pct := "-"
		if peak > 0 {
			pct = fmt.Sprintf("%.0f%%", 100*g.gflops/peak)
		}
		fmt.Fprintf(w, "  %5d %5d %5d %9.1f %9s\n", g.m, g.k, g.n, g.gflops, pct)
	}
}

// plainTwin names the network without SE of an SE network: seresnet50 →
// resnet50, se_bn_inception → bn_inception.
func plainTwin(arch string) string {
	return strings.TrimPrefix(strings.TrimPrefix(arch, "se"), "_")
}

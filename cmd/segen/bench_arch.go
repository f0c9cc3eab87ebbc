package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segen/segen/internal/bench"
)

// "segen bench -arch" times whole networks instead of SE kernels: the
// latency of a forward pass per architecture, batch and thread count, the
// SE overhead (each SE network against its plain twin), the GEMM that does
// nearly all of the work and the grouped convolutions, against the FMA
// peak, and a profile by class of layer (bench.Networks). This file holds
// the flags and builds the networks.

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
downsamples, SE — the tail, or for a gate folded into the last convolution
its squeeze, excitation and weight scaling —, classifier) at the first batch size on each thread
count: median time, share of the pass, GFLOP/s and % of the peak of its
cores, and with more than one thread the speed-up of each class over one.`

// archConfig is the parsed command line of "segen bench -arch".
type archConfig struct {
	bench.NetOptions
	archs    []string
	jsonFile string
}

// The networks' random weights: seeded, with ImageNet's classes.
const (
	archSeed    = 1
	archClasses = 1000
)

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
	prog := bench.NewProgress(stderr)
	nets := make([]bench.Net, len(cfg.archs))
	for i, name := range cfg.archs {
		prog.Note(fmt.Sprintf("building %s with random weights…", name))
		m, err := loadNetwork(name, "", archSeed, archClasses, netOptions{})
		if err != nil {
			return err
		}
		nets[i] = bench.Net{Name: name, WithThreads: func(threads int) bench.Network { return withThreads(m, threads) }}
	}
	res, err := bench.Networks(nets, cfg.NetOptions, prog)
	if err != nil {
		return err
	}
	prog.Done()
	res.WriteReport(stdout)
	if cfg.jsonFile != "" {
		data, err := res.JSON()
		if err != nil {
			return err
		}
		return os.WriteFile(cfg.jsonFile, data, 0o644)
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
	layers := fs.Bool("layers", true, "also profile each architecture by class of layer (first batch size, each thread count) against the FMA peak")
	quick := fs.Bool("quick", false, "fewer passes and shorter GEMM timings")
	jsonFile := fs.String("json", "", "write the latency records to `file` as a JSON array of {arch, batch, height, width, threads, isa, median_ms, min_ms, runs, runs_ms}")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: bench takes only flags (see segen help bench)", fs.Arg(0))
	}
	cfg := &archConfig{NetOptions: bench.NetOptions{Size: *size, Runs: *runs, GEMM: *gemm, Layers: *layers,
		GEMMTarget: 200 * time.Millisecond, PeakTarget: 100 * time.Millisecond}, jsonFile: *jsonFile}
	if cfg.Runs == 0 {
		cfg.Runs = 10
		if *quick {
			cfg.Runs = 3
		}
	}
	if *quick {
		cfg.GEMMTarget, cfg.PeakTarget = 20*time.Millisecond, 10*time.Millisecond
	}
	if cfg.Runs < 1 || cfg.Size < 1 {
		return nil, fmt.Errorf("-runs %d, -size %d: must be at least 1", cfg.Runs, cfg.Size)
	}
	for name := range strings.SplitSeq(*archs, ",") {
		name = strings.TrimSpace(name)
		if err := checkArch(name); err != nil {
			return nil, fmt.Errorf("-arch: %w", err)
		}
		if err := checkImageSize(name, cfg.Size); err != nil {
			return nil, err
		}
		cfg.archs = append(cfg.archs, name)
	}
	var err error
	if cfg.Batches, err = positiveInts("-batch", *batches); err != nil {
		return nil, err
	}
	if cfg.Threads, err = positiveInts("-threads", *threads); err != nil {
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

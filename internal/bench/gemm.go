package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/runtime/resnet"
)

// GEMMShapes are SE-ResNet-50's 1×1 convolutions at 224², batch 1, as
// M (pixels) × K (input channels) × N (output channels): the GEMM that does
// nearly all of a ResNet's work.
var GEMMShapes = [][3]int{
	{3136, 64, 256}, {3136, 256, 64}, {784, 512, 128}, {784, 128, 512},
	{196, 1024, 256}, {196, 256, 1024}, {49, 2048, 512}, {49, 512, 2048},
}

// GEMMResult is the convolution engine on one M×K×N shape.
type GEMMResult struct {
	M, K, N int
	GFLOPs  float64 // GFLOP/s of the best of the timed passes
}

// GroupedResult is one grouped convolution of an architecture.
type GroupedResult struct {
	Arch, Layer string
	Spec        nn.ConvSpec
	H, W        int     // input height and width
	GFLOPs      float64 // GFLOP/s of the best of the timed passes
}

// timeGEMM times a 1×1 convolution (bias + ReLU epilogue, one thread) per
// shape: an M-pixel image of K channels, N output channels.
func timeGEMM(shapes [][3]int, target time.Duration) []GEMMResult {
	r := rand.New(rand.NewPCG(3, 4))
	ws := nn.NewWorkspace(1)
	var out []GEMMResult
	for _, s := range shapes {
		m, k, n := s[0], s[1], s[2]
		conv, err := nn.NewConv2d(nn.ConvSpec{InC: k, OutC: n, KH: 1, KW: 1, Stride: 1}, normals(r, n*k, 1/float64(k)), normals(r, n, 0.1))
		if err != nil {
			panic(err) // the shapes are valid
		}
		src, dst := normals(r, m*k, 1), make([]float32, m*n)
		best := bestPass(func() { conv.Forward(dst, src, 1, m, 1, nn.Epilogue{ReLU: true}, ws) }, target)
		out = append(out, GEMMResult{m, k, n, 2 * float64(m*k*n) / best.Seconds() / 1e9})
	}
	return out
}

// timeGrouped times, one thread, each distinct grouped convolution (shape
// and input size) of the ResNet-family networks at size², batch 1, with
// bias + ReLU as in a bottleneck, named after its first layer.
func timeGrouped(nets []Net, size int, target time.Duration) []GroupedResult {
	r := rand.New(rand.NewPCG(5, 6))
	ws := nn.NewWorkspace(1)
	var out []GroupedResult
	seen := map[[3]any]bool{}
	for _, net := range nets {
		a, err := resnet.LookupArch(net.Name)
		if err != nil {
			continue // the Inceptions have no grouped convolutions
		}
		for _, l := range a.ConvLayers(size, size) {
			key := [3]any{l.Spec, l.H, l.W}
			if l.Spec.Groups <= 1 || seen[key] {
				continue
			}
			seen[key] = true
			s := l.Spec
			conv, err := nn.NewConv2d(s, normals(r, s.OutC*s.Depth(), 1), normals(r, s.OutC, 1))
			if err != nil {
				panic(err) // the architecture's shapes are valid
			}
			oh, ow := s.Out(l.H, l.W)
			src, dst := normals(r, l.H*l.W*s.InC, 1), make([]float32, oh*ow*s.OutC)
			best := bestPass(func() { conv.Forward(dst, src, 1, l.H, l.W, nn.Epilogue{ReLU: true}, ws) }, target)
			flops := 2 * float64(oh*ow*s.OutC*s.Depth())
			out = append(out, GroupedResult{net.Name, l.Name, s, l.H, l.W, flops / best.Seconds() / 1e9})
		}
	}
	return out
}

// normals returns n normal values of standard deviation scale.
func normals(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

// bestPass runs pass once to warm up, then at least three times and for
// about target, and returns the fastest: the engine's speed when nothing
// else gets in the way, which a shared machine only ever lowers.
func bestPass(pass func(), target time.Duration) time.Duration {
	pass()
	best := time.Duration(1<<63 - 1)
	end := time.Now().Add(target)
	for chunk := 0; chunk < 3 || time.Now().Before(end); chunk++ {
		start := time.Now()
		pass()
		best = min(best, time.Since(start))
	}
	return best
}

// writeGEMM prints the GEMM shapes against the FMA peak.
func writeGEMM(w io.Writer, gemm []GEMMResult, peak float64) {
	if len(gemm) == 0 {
		return
	}
	fmt.Fprintf(w, "\nGEMM (1×1 convolution + bias + ReLU, one thread, best of its passes):\n")
	if peak > 0 {
		fmt.Fprintf(w, "FMA peak (%s, one core): %.1f GFLOP/s\n", nn.ISA(), peak)
	}
	fmt.Fprintf(w, "  %5s %5s %5s %9s %9s\n", "M", "K", "N", "GFLOP/s", "% peak")
	for _, g := range gemm {
		fmt.Fprintf(w, "  %5d %5d %5d %9.1f %9s\n", g.M, g.K, g.N, g.GFLOPs, pctOfPeak(g.GFLOPs, peak))
	}
}

// writeGrouped prints the grouped convolutions against the FMA peak.
func writeGrouped(w io.Writer, gs []GroupedResult, peak float64) {
	if len(gs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nGrouped 3×3 convolutions (batch 1, bias + ReLU, one thread, best of its passes; FLOPs of the grouped convolution):\n")
	fmt.Fprintf(w, "  %-22s %-16s %6s %6s %7s %7s %9s %9s\n", "arch", "layer", "in", "out", "groups", "input", "GFLOP/s", "% peak")
	for _, g := range gs {
		input := fmt.Sprintf("%d²", g.H)
		if g.H != g.W {
			input = fmt.Sprintf("%d×%d", g.H, g.W)
		}
		if g.Spec.Stride > 1 {
			input += fmt.Sprintf("/%d", g.Spec.Stride)
		}
		fmt.Fprintf(w, "  %-22s %-16s %6d %6d %7d %7s %9.1f %9s\n", g.Arch, g.Layer, g.Spec.InC, g.Spec.OutC, g.Spec.Groups, input, g.GFLOPs, pctOfPeak(g.GFLOPs, peak))
	}
}

// pctOfPeak formats gflops as a percentage of peak, or "-" without a peak.
func pctOfPeak(gflops, peak float64) string {
	if peak > 0 {
		return fmt.Sprintf("%.0f%%", 100*gflops/peak)
	}
	return "-"
}

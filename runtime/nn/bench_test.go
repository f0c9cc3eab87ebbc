package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/segen/segen/internal/cputime"
)

// BenchmarkConv runs representative SE-ResNet-50 convolutions at batch 1
// and reports GFLOP/s (two per multiply-add).
func BenchmarkConv(b *testing.B) {
	cases := []struct {
		name string
		spec ConvSpec
		h, w int
	}{
		{"stem", ConvSpec{InC: 3, OutC: 64, KH: 7, KW: 7, Stride: 2, Pad: 3}, 224, 224},
		{"3x3_64_56", ConvSpec{InC: 64, OutC: 64, KH: 3, KW: 3, Stride: 1, Pad: 1}, 56, 56},
		{"1x1_256to64_56", ConvSpec{InC: 256, OutC: 64, KH: 1, KW: 1, Stride: 1, Pad: 0}, 56, 56},
		{"1x1_1024to256_14", ConvSpec{InC: 1024, OutC: 256, KH: 1, KW: 1, Stride: 1, Pad: 0}, 14, 14},
		{"1x1_2048to512_7", ConvSpec{InC: 2048, OutC: 512, KH: 1, KW: 1, Stride: 1, Pad: 0}, 7, 7},
		{"1x1_256to1024_14", ConvSpec{InC: 256, OutC: 1024, KH: 1, KW: 1, Stride: 1, Pad: 0}, 14, 14},
		{"3x3_128_28", ConvSpec{InC: 128, OutC: 128, KH: 3, KW: 3, Stride: 1, Pad: 1}, 28, 28},
		{"3x3_256_14", ConvSpec{InC: 256, OutC: 256, KH: 3, KW: 3, Stride: 1, Pad: 1}, 14, 14},
		{"3x3_512_7", ConvSpec{InC: 512, OutC: 512, KH: 3, KW: 3, Stride: 1, Pad: 1}, 7, 7},
		{"1x1_512to2048_7", ConvSpec{InC: 512, OutC: 2048, KH: 1, KW: 1, Stride: 1, Pad: 0}, 7, 7},
		{"3x3s2_128_56", ConvSpec{InC: 128, OutC: 128, KH: 3, KW: 3, Stride: 2, Pad: 1}, 56, 56},
		{"3x3s2_256_28", ConvSpec{InC: 256, OutC: 256, KH: 3, KW: 3, Stride: 2, Pad: 1}, 28, 28},
		{"3x3s2_512_14", ConvSpec{InC: 512, OutC: 512, KH: 3, KW: 3, Stride: 2, Pad: 1}, 14, 14},
		{"1x1s2_256to512_56", ConvSpec{InC: 256, OutC: 512, KH: 1, KW: 1, Stride: 2, Pad: 0}, 56, 56},
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range cases {
		conv, src, dst, flops := benchConv(b, r, tc.spec, tc.h, tc.w)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads%d", tc.name, threads), func(b *testing.B) {
				ws := NewWorkspace(threads)
				best := time.Duration(math.MaxInt64)
				for b.Loop() {
					start := time.Now()
					conv.Forward(dst, src, 1, tc.h, tc.w, Epilogue{ReLU: true}, ws)
					best = min(best, time.Since(start))
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				// The fastest call: on a shared machine, the one least
				// disturbed by other programs.
				b.ReportMetric(flops/best.Seconds()/1e9, "best-GFLOP/s")
			})
		}
	}
}

// benchConv builds a convolution of spec s with random weights, the input
// and output buffers of one h×w image, and the floating-point operations
// of a pass (two per multiply-add).
func benchConv(b *testing.B, r *rand.Rand, s ConvSpec, h, w int) (conv *Conv2d, src, dst []float32, flops float64) {
	conv, err := NewConv2d(s, randSlice(r, s.OutC*s.Depth()), randSlice(r, s.OutC))
	if err != nil {
		b.Fatal(err)
	}
	oh, ow := s.Out(h, w)
	return conv, randSlice(r, h*w*s.InC), make([]float32, oh*ow*s.OutC), 2 * float64(oh*ow*s.OutC*s.Depth())
}

// BenchmarkGroupedConv runs the grouped 3×3 convolutions of
// SE-ResNeXt-50 32×4d at 224², batch 1, and reports GFLOP/s (two per
// multiply-add of the grouped convolution, not of a dense one), the share
// of this core's FMA peak (FMAPeak) per thread, and, with one thread, the
// same per CPU-second (cpu-GFLOP/s, cpu-%peak), which other programs on a
// shared machine do not dilute.
func BenchmarkGroupedConv(b *testing.B) {
	cases := []struct {
		name string
		c, h int // channels and input side
		s    int // stride
	}{
		{"layer1_128_56", 128, 56, 1},
		{"layer2.0_256_56s2", 256, 56, 2},
		{"layer2_256_28", 256, 28, 1},
		{"layer3.0_512_28s2", 512, 28, 2},
		{"layer3_512_14", 512, 14, 1},
		{"layer4.0_1024_14s2", 1024, 14, 2},
		{"layer4_1024_7", 1024, 7, 1},
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range cases {
		s := ConvSpec{InC: tc.c, OutC: tc.c, KH: 3, KW: 3, Stride: tc.s, Pad: 1, Groups: 32}
		conv, src, dst, pass := benchConv(b, r, s, tc.h, tc.h)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads%d", tc.name, threads), func(b *testing.B) {
				ws := NewWorkspace(threads)
				conv.Forward(dst, src, 1, tc.h, tc.h, Epilogue{ReLU: true}, ws)
				peak := fmaPeakOnce()
				cpu0 := cputime.Used()
				for b.Loop() {
					conv.Forward(dst, src, 1, tc.h, tc.h, Epilogue{ReLU: true}, ws)
				}
				cpu := (cputime.Used() - cpu0).Seconds()
				flops := pass * float64(b.N)
				gflops := flops / b.Elapsed().Seconds() / 1e9
				b.ReportMetric(gflops, "GFLOP/s")
				if peak > 0 {
					b.ReportMetric(100*gflops/float64(threads)/peak, "%peak")
				}
				if threads == 1 && cpu > 0 {
					b.ReportMetric(flops/cpu/1e9, "cpu-GFLOP/s")
					if peak > 0 {
						b.ReportMetric(100*flops/cpu/1e9/peak, "cpu-%peak")
					}
				}
			})
		}
	}
}

// fmaPeakOnce is FMAPeak, measured once per test binary.
var fmaPeakOnce = sync.OnceValue(func() float64 {
	g, _ := FMAPeak(300 * time.Millisecond)
	return g
})

// BenchmarkGroupedKernel runs each grouped micro-kernel of the default
// engine over a few tiles of pixels over and over (everything in L1): the
// kernel's own rate, before memory and the loops around it.
func BenchmarkGroupedKernel(b *testing.B) {
	for i := range defaultEngine.gconv {
		k := &defaultEngine.gconv[i]
		groups := max(2, k.cols()/k.out)
		inC, outC := groups*k.in, groups*k.out
		w := 3 * k.rows
		a := make([]float32, 3*w*inC+64)
		const tiles = 4
		offs := make([]int, 2*tiles*k.rows)
		for r := range tiles * k.rows {
			offs[2*r], offs[2*r+1] = r%k.rows*inC, r*outC
		}
		bw := make([]float32, k.weights())
		c := make([]float32, tiles*k.rows*outC)
		bias := make([]float32, k.cols())
		b.Run(fmt.Sprintf("%dto%d", k.in, k.out), func(b *testing.B) {
			peak := fmaPeakOnce()
			cpu0 := cputime.Used()
			for b.Loop() {
				k.kernel(&a[0], &offs[0], tiles*k.rows, 1, inC, w*inC, &bw[0], &c[0], &bias[0], nil, nil, tileReLU)
			}
			cpu := (cputime.Used() - cpu0).Seconds()
			flops := 2 * float64(tiles*k.rows*k.cols()*9*k.in) * float64(b.N)
			if cpu > 0 {
				b.ReportMetric(flops/cpu/1e9, "cpu-GFLOP/s")
				if peak > 0 {
					b.ReportMetric(100*flops/cpu/1e9/peak, "cpu-%peak")
				}
			}
		})
	}
}

// BenchmarkScaleOutputs times what an SE gate folded into a 1×1
// convolution costs a sample before the convolution runs: its squeeze (the
// convolution of one pixel, the input's means) and scaling its weights by
// the gate.
func BenchmarkScaleOutputs(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range []ConvSpec{
		{InC: 64, OutC: 256, KH: 1, KW: 1, Stride: 1},
		{InC: 128, OutC: 512, KH: 1, KW: 1, Stride: 1},
		{InC: 256, OutC: 1024, KH: 1, KW: 1, Stride: 1},
	} {
		conv, _, _, _ := benchConv(b, r, s, 1, 1)
		mean, z := make([]float32, s.InC), make([]float32, s.OutC)
		ws := NewWorkspace(1)
		var scaled Conv2d
		b.Run(fmt.Sprintf("%dto%d/squeeze", s.InC, s.OutC), func(b *testing.B) {
			for b.Loop() {
				conv.Forward(z, mean, 1, 1, 1, Epilogue{}, ws)
			}
		})
		b.Run(fmt.Sprintf("%dto%d/scale", s.InC, s.OutC), func(b *testing.B) {
			for b.Loop() {
				conv.ScaleOutputs(&scaled, z)
			}
			b.SetBytes(int64(8 * s.InC * s.OutC))
		})
	}
}

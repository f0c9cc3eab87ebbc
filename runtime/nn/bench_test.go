package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
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
		{"3x3_512_7", ConvSpec{InC: 512, OutC: 512, KH: 3, KW: 3, Stride: 1, Pad: 1}, 7, 7},
		{"1x1_512to2048_7", ConvSpec{InC: 512, OutC: 2048, KH: 1, KW: 1, Stride: 1, Pad: 0}, 7, 7},
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range cases {
		s := tc.spec
		conv, err := NewConv2d(s, randSlice(r, s.OutC*s.Depth()), randSlice(r, s.OutC))
		if err != nil {
			b.Fatal(err)
		}
		src := randSlice(r, tc.h*tc.w*s.InC)
		oh, ow := s.Out(tc.h, tc.w)
		dst := make([]float32, oh*ow*s.OutC)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads%d", tc.name, threads), func(b *testing.B) {
				ws := NewWorkspace(threads)
				for b.Loop() {
					conv.Forward(dst, src, 1, tc.h, tc.w, Epilogue{ReLU: true}, ws)
				}
				flops := 2 * float64(oh*ow*s.OutC*s.Depth())
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

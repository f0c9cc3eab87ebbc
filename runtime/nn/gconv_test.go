package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGroupedKernels runs every grouped micro-kernel of every engine the
// CPU has through the convolution, against the reference: several tile
// columns, stride 1 and 2, every epilogue, one and three threads, on
// planes whose rows are not whole tiles, 7×7 and 14×14 planes as ResNeXt's
// last stages have, planes too small for an interior (every pixel an
// edge), odd sizes whose last stride-2 window hangs over the border, and
// several images.
func TestGroupedKernels(t *testing.T) {
	sizes := []struct{ n, h, w int }{{2, 9, 7}, {1, 7, 7}, {1, 14, 14}, {3, 1, 1}, {1, 2, 5}, {2, 13, 3}}
	r := rand.New(rand.NewPCG(11, 12))
	for _, e := range engines() {
		for i := range e.gconv {
			k := &e.gconv[i]
			groups := max(2, 2*k.cols()/k.out)
			for _, stride := range []int{1, 2} {
				s := ConvSpec{InC: groups * k.in, OutC: groups * k.out, KH: 3, KW: 3, Stride: stride, Pad: 1, Groups: groups}
				if got := e.grouped(s); got != k {
					t.Fatalf("%s: %v: grouped kernel %v, want %v", e.isa, s, got, k)
				}
				for _, sz := range sizes {
					testConv(t, r, s, sz.n, sz.h, sz.w, []*engine{e})
				}
			}
		}
	}
}

// TestGroupedBands runs every grouped micro-kernel of every engine the CPU
// has with the budgets of bands and chunks cut down, so that small planes
// make several bands of output rows (starting and ending inside the
// image), several blocks of tile columns (short bands split them, and
// three threads), or blocks of several chunks of them a kernel call.
func TestGroupedBands(t *testing.T) {
	defer func(band, tiles, chunk int) {
		gconvBandBytes, gconvBandTiles, gconvChunkBytes = band, tiles, chunk
	}(gconvBandBytes, gconvBandTiles, gconvChunkBytes)
	r := rand.New(rand.NewPCG(13, 14))
	for _, e := range engines() {
		for i := range e.gconv {
			k := &e.gconv[i]
			groups := max(4, 4*k.cols()/k.out) // four tile columns or more
			gconvChunkBytes = 4 * k.weights() * max(1, k.out/k.cols())
			for _, stride := range []int{1, 2} {
				s := ConvSpec{InC: groups * k.in, OutC: groups * k.out, KH: 3, KW: 3, Stride: stride, Pad: 1, Groups: groups}
				for _, tiles := range []int{16, 1} { // narrower blocks for short bands, or whole ones
					gconvBandTiles = tiles
					gconvBandBytes = 4 * 13 * k.blockChannels(1, s.InC) * (3 + 2*stride) // bands of about three rows
					if tiles == 1 {
						gconvBandBytes *= groups * k.out / k.cols()
					}
					testConv(t, r, s, 1, 11, 11, []*engine{e})
				}
			}
		}
	}
}

// TestGroupedSubslices writes a grouped convolution into a channel window
// of a wider tensor (Epilogue.Stride), from an input that is a sub-slice of
// a larger buffer, with the residual and the sums as wide as the output:
// the values outside the window and past the slices, all NaN, must stay
// out of the results and untouched.
func TestGroupedSubslices(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, e := range engines() {
		for _, g := range [][2]int{{4, 4}, {8, 8}, {16, 16}, {32, 32}} {
			s := ConvSpec{InC: 32 * g[0], OutC: 32 * g[1], KH: 3, KW: 3, Stride: 1, Pad: 1, Groups: 32}
			if e.grouped(s) == nil {
				continue
			}
			for _, stride := range []int{1, 2} {
				s.Stride = stride
				const n, h, w, off = 2, 7, 9, 24 // off: the window's first channel in the wide tensor
				oh, ow := s.Out(h, w)
				ld := s.OutC + 40
				weight, bias := randSlice(r, s.OutC*s.Depth()), randSlice(r, s.OutC)
				nan := float32(math.NaN())
				guarded := func(vals []float32, before, after int) []float32 { // vals inside NaN guards
					buf := make([]float32, before+len(vals)+after)
					for i := range buf {
						buf[i] = nan
					}
					copy(buf[before:], vals)
					return buf[before : before+len(vals)]
				}
				src := guarded(randSlice(r, n*h*w*s.InC), 37, 53)
				wide := (n*oh*ow-1)*ld + s.OutC // the window's values in the wide tensor
				res := make([]float32, wide)
				for i := range res {
					res[i] = nan
				}
				for p := range n * oh * ow {
					copy(res[p*ld:][:s.OutC], randSlice(r, s.OutC))
				}
				res = guarded(res, off, 11)
				conv, err := newConv2d(s, weight, bias, e)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%s/%v", e.isa, s)
				dense := make([]float32, n*oh*ow*s.OutC)
				denseRes := make([]float32, len(dense))
				for p := range n * oh * ow {
					copy(denseRes[p*s.OutC:][:s.OutC], res[p*ld:])
				}
				ref := refConv(s, weight, bias, src, n, h, w, Epilogue{Residual: denseRes, ReLU: true})
				for _, threads := range []int{1, 3} {
					dst := guarded(make([]float32, wide), off, 11)
					for i := range dst {
						dst[i] = nan
					}
					sums := guarded(make([]float32, (n-1)*ld+s.OutC), off, 11)
					conv.Forward(dst, src, n, h, w, Epilogue{Residual: res, ReLU: true, Sums: sums, Stride: ld}, NewWorkspace(threads))
					tol := 1e-5 * math.Sqrt(float64(s.Depth()))
					for p := range n * oh * ow {
						for c := range ld {
							i := p*ld + c
							if i >= len(dst) {
								break
							}
							got := dst[i]
							if c >= s.OutC {
								if !math.IsNaN(float64(got)) {
									t.Fatalf("%s threads %d: dst[%d] outside the window = %v, want it untouched", name, threads, i, got)
								}
								continue
							}
							want := ref[p*s.OutC+c]
							if d := math.Abs(float64(got) - want); !(d <= tol*math.Max(1, math.Abs(want))) {
								t.Fatalf("%s threads %d: pixel %d channel %d = %v, want %v", name, threads, p, c, got, want)
							}
						}
					}
					for img := range n {
						for c := range s.OutC {
							var want float64
							for p := range oh * ow {
								want += ref[(img*oh*ow+p)*s.OutC+c]
							}
							got := sums[img*ld+c]
							if d := math.Abs(float64(got) - want); !(d <= tol*float64(oh*ow)*math.Max(1, math.Abs(want))) {
								t.Fatalf("%s threads %d: sums of image %d channel %d = %v, want %v", name, threads, img, c, got, want)
							}
						}
					}
					full := dst[:cap(dst)]
					for i := len(dst); i < len(full); i++ {
						if !math.IsNaN(float64(full[i])) {
							t.Fatalf("%s threads %d: value %d past dst written", name, threads, i-len(dst))
						}
					}
				}
			}
		}
	}
}

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/segen/segen/isa"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// refConv is the textbook convolution in float64 on NHWC input with PyTorch
// (OIHW) weights.
func refConv(s ConvSpec, weight, bias, src []float32, n, h, w int, ep Epilogue) []float64 {
	oh, ow := s.Out(h, w)
	out := make([]float64, n*oh*ow*s.OutC)
	cin, cout := s.InC/s.groups(), s.OutC/s.groups()
	for i := range n {
		for oy := range oh {
			for ox := range ow {
				for o := range s.OutC {
					sum := float64(bias[o])
					for ky := range s.KH {
						for kx := range s.KW {
							iy, ix := oy*s.Stride-s.Pad+ky, ox*s.Stride-s.Pad+kx
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							for c := range cin {
								sum += float64(weight[((o*cin+c)*s.KH+ky)*s.KW+kx]) * float64(src[((i*h+iy)*w+ix)*s.InC+o/cout*cin+c])
							}
						}
					}
					idx := ((i*oh+oy)*ow+ox)*s.OutC + o
					if ep.Residual != nil {
						sum += float64(ep.Residual[idx])
					}
					if ep.ReLU {
						sum = math.Max(sum, 0)
					}
					out[idx] = sum
				}
			}
		}
	}
	return out
}

// convCase is a convolution on n images of h×w.
type convCase struct {
	spec    ConvSpec
	n, h, w int
}

// convCases are the convolutions TestConv checks.
var convCases = []convCase{
	{ConvSpec{InC: 3, OutC: 8, KH: 7, KW: 7, Stride: 2, Pad: 3}, 2, 17, 13},    // stem-like, odd sizes
	{ConvSpec{InC: 16, OutC: 12, KH: 3, KW: 3, Stride: 1, Pad: 1}, 1, 9, 7},    // 3×3 same
	{ConvSpec{InC: 8, OutC: 20, KH: 3, KW: 3, Stride: 2, Pad: 1}, 3, 8, 11},    // 3×3 stride 2
	{ConvSpec{InC: 300, OutC: 9, KH: 1, KW: 1, Stride: 1, Pad: 0}, 1, 5, 7},    // K > kc, OutC not a multiple of nr
	{ConvSpec{InC: 40, OutC: 64, KH: 1, KW: 1, Stride: 2, Pad: 0}, 2, 15, 15},  // downsample
	{ConvSpec{InC: 64, OutC: 5, KH: 3, KW: 3, Stride: 1, Pad: 1}, 1, 1, 1},     // 1×1 image, window all padding but centre
	{ConvSpec{InC: 30, OutC: 130, KH: 3, KW: 3, Stride: 1, Pad: 1}, 2, 12, 12}, // many row blocks, K = 270 > kc
	{ConvSpec{InC: 2, OutC: 3, KH: 2, KW: 5, Stride: 3, Pad: 2}, 1, 10, 14},    // non-square kernel
	{ConvSpec{InC: 600, OutC: 64, KH: 1, KW: 1, Stride: 1, Pad: 0}, 1, 7, 7},   // in place, 49 rows: a partial last tile
	{ConvSpec{InC: 24, OutC: 96, KH: 1, KW: 1, Stride: 1, Pad: 0}, 2, 17, 19},  // in place, many row blocks
	{ConvSpec{InC: 7, OutC: 33, KH: 5, KW: 5, Stride: 1, Pad: 4}, 1, 3, 4},     // window wider than the image
	{ConvSpec{InC: 32, OutC: 48, KH: 1, KW: 1, Stride: 1, Pad: 0}, 5, 7, 7},    // images of 49 rows: tiles end at image boundaries for the sums
	// Grouped: groups narrower than a tile (several per panel), as wide
	// as one, wider, more inputs than outputs a group (SENet-154's
	// first stage has 2 → 4), and groups that do not divide a tile.
	{ConvSpec{InC: 128, OutC: 128, KH: 3, KW: 3, Stride: 1, Pad: 1, Groups: 32}, 2, 9, 7},
	{ConvSpec{InC: 256, OutC: 256, KH: 3, KW: 3, Stride: 2, Pad: 1, Groups: 32}, 1, 8, 9},
	{ConvSpec{InC: 512, OutC: 512, KH: 3, KW: 3, Stride: 1, Pad: 1, Groups: 32}, 1, 5, 5},
	{ConvSpec{InC: 1024, OutC: 1024, KH: 3, KW: 3, Stride: 1, Pad: 1, Groups: 32}, 1, 3, 4},
	{ConvSpec{InC: 128, OutC: 256, KH: 3, KW: 3, Stride: 1, Pad: 1, Groups: 64}, 1, 6, 5},
	{ConvSpec{InC: 256, OutC: 256, KH: 3, KW: 3, Stride: 1, Pad: 1, Groups: 64}, 2, 4, 4},
	{ConvSpec{InC: 36, OutC: 48, KH: 3, KW: 3, Stride: 1, Pad: 1, Groups: 12}, 1, 5, 6},
	{ConvSpec{InC: 30, OutC: 60, KH: 3, KW: 3, Stride: 2, Pad: 1, Groups: 3}, 1, 7, 7},
	// Winograd: partial tiles at the last row and column, tiles wholly
	// inside the image, a 1×1 image, K > kc, several row blocks.
	{ConvSpec{InC: 16, OutC: 32, KH: 3, KW: 3, Stride: 1, Pad: 1}, 2, 9, 7},
	{ConvSpec{InC: 8, OutC: 64, KH: 3, KW: 3, Stride: 1, Pad: 1}, 1, 12, 16},
	{ConvSpec{InC: 32, OutC: 32, KH: 3, KW: 3, Stride: 1, Pad: 1}, 3, 1, 1},
	{ConvSpec{InC: 264, OutC: 32, KH: 3, KW: 3, Stride: 1, Pad: 1}, 1, 6, 5},
	{ConvSpec{InC: 16, OutC: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}, 2, 30, 26},
	{ConvSpec{InC: 512, OutC: 512, KH: 3, KW: 3, Stride: 1, Pad: 1}, 1, 3, 5}, // F(2×2, 3×3)
}

func TestConv(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range convCases {
		testConv(t, r, tc.spec, tc.n, tc.h, tc.w, engines())
	}
}

// testConv checks conv s on n images of h×w on engines es against refConv,
// with every epilogue and one and three threads.
func testConv(t *testing.T, r *rand.Rand, s ConvSpec, n, h, w int, es []*engine) {
	t.Helper()
	{
		tc := struct{ n, h, w int }{n, h, w}
		weight := randSlice(r, s.OutC*s.Depth())
		bias := randSlice(r, s.OutC)
		src := randSlice(r, tc.n*tc.h*tc.w*s.InC)
		oh, ow := s.Out(tc.h, tc.w)
		size := tc.n * oh * ow * s.OutC
		res := randSlice(r, size)
		for _, ep := range []Epilogue{{}, {ReLU: true}, {Residual: res, ReLU: true}, {Sums: []float32{}}} {
			want := refConv(s, weight, bias, src, tc.n, tc.h, tc.w, ep)
			// The per-image channel sums of the output, for Epilogue.Sums.
			wantSums := make([]float64, tc.n*s.OutC)
			for i, v := range want {
				wantSums[i/(oh*ow*s.OutC)*s.OutC+i%s.OutC] += v
			}
			for _, e := range es {
				conv, err := newConv2d(s, weight, bias, e)
				if err != nil {
					t.Fatal(err)
				}
				var first, firstSums []float32 // one thread's results, which more must equal bit for bit
				for _, threads := range []int{1, 3} {
					name := fmt.Sprintf("%s/%v/n%d_%dx%d/res%v_relu%v_sums%v/threads%d", e.isa, s, tc.n, tc.h, tc.w, ep.Residual != nil, ep.ReLU, ep.Sums != nil, threads)
					t.Run(name, func(t *testing.T) {
						dst := make([]float32, size)
						for i := range dst {
							dst[i] = float32(math.NaN()) // every value must be written
						}
						ep := ep
						if ep.Sums != nil {
							ep.Sums = make([]float32, tc.n*s.OutC)
							for i := range ep.Sums {
								ep.Sums[i] = float32(math.NaN()) // every sum must be set
							}
						}
						conv.Forward(dst, src, tc.n, tc.h, tc.w, ep, NewWorkspace(threads))
						for i, v := range ep.Sums {
							tol := 1e-5 * math.Sqrt(float64(s.Depth())) * float64(oh*ow)
							if d := math.Abs(float64(v) - wantSums[i]); !(d <= tol*math.Max(1, math.Abs(wantSums[i]))) {
								t.Fatalf("sums[%d] = %v, want %v", i, v, wantSums[i])
							}
						}
						tol := 1e-5 * math.Sqrt(float64(s.Depth()))
						if conv.wino != nil && conv.wino.tr.f.M == 4 {
							// F(4×4, 3×3)'s constants (×25 in the input
							// transform, ×8 in the output one) cost a few
							// bits against the direct sum.
							tol *= 3
						}
						for i, v := range dst {
							if d := math.Abs(float64(v) - want[i]); !(d <= tol*math.Max(1, math.Abs(want[i]))) {
								t.Fatalf("dst[%d] = %v, want %v", i, v, want[i])
							}
						}
						if first == nil {
							first, firstSums = dst, ep.Sums
						} else if !slices.Equal(dst, first) || !slices.Equal(ep.Sums, firstSums) {
							t.Fatalf("the output or the sums differ from one thread's")
						}
					})
				}
			}
		}
	}
}

func TestConvErrors(t *testing.T) {
	s := ConvSpec{InC: 2, OutC: 3, KH: 3, KW: 3, Stride: 1, Pad: 1}
	if _, err := NewConv2d(s, make([]float32, 5), nil); err == nil {
		t.Error("NewConv2d accepted 5 weights")
	}
	if _, err := NewConv2d(ConvSpec{InC: 2, OutC: 3, KH: 3, KW: 3}, make([]float32, 54), nil); err == nil {
		t.Error("NewConv2d accepted stride 0")
	}
	conv, err := NewConv2d(s, make([]float32, 54), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Forward with a short dst did not panic")
		}
	}()
	conv.Forward(make([]float32, 3), make([]float32, 2*4*4), 1, 4, 4, Epilogue{}, NewWorkspace(1))
}

// TestConvStride writes a convolution into a channel slice of a wider
// tensor, with its sums into the same slice of wider sums, and checks that
// nothing outside the slice is touched.
func TestConvStride(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		spec    ConvSpec
		n, h, w int
	}{
		{ConvSpec{InC: 24, OutC: 32, KH: 1, KW: 1, Stride: 1}, 2, 7, 9},
		{ConvSpec{InC: 8, OutC: 20, KH: 3, KW: 3, Stride: 2, Pad: 1}, 3, 9, 8},
		{ConvSpec{InC: 128, OutC: 128, KH: 3, KW: 3, Stride: 1, Pad: 1, Groups: 32}, 2, 9, 7}, // the grouped kernels' path
		{ConvSpec{InC: 16, OutC: 32, KH: 3, KW: 3, Stride: 1, Pad: 1}, 2, 9, 7},               // the Winograd path
	} {
		s := tc.spec
		weight, bias := randSlice(r, s.OutC*s.Depth()), randSlice(r, s.OutC)
		src := randSlice(r, tc.n*tc.h*tc.w*s.InC)
		oh, ow := s.Out(tc.h, tc.w)
		want := refConv(s, weight, bias, src, tc.n, tc.h, tc.w, Epilogue{ReLU: true})
		const off, extra = 5, 11
		stride := s.OutC + extra
		for _, e := range engines() {
			conv, err := newConv2d(s, weight, bias, e)
			if err != nil {
				t.Fatal(err)
			}
			wide := make([]float32, tc.n*oh*ow*stride)
			sums := make([]float32, tc.n*stride)
			for i := range wide {
				wide[i] = 42
			}
			for i := range sums {
				sums[i] = 42
			}
			conv.Forward(wide[off:], src, tc.n, tc.h, tc.w, Epilogue{ReLU: true, Sums: sums[off:], Stride: stride}, NewWorkspace(2))
			wantSums := make([]float64, tc.n*s.OutC)
			for i, v := range want {
				wantSums[i/(oh*ow*s.OutC)*s.OutC+i%s.OutC] += v
			}
			check := func(what string, got []float32, want []float64) {
				for i, g := range got {
					row, ch := i/stride, i%stride-off
					if ch < 0 || ch >= s.OutC {
						if g != 42 {
							t.Fatalf("%s %v: %s written outside the channel slice at %d", e.isa, s, what, i)
						}
						continue
					}
					w := want[row*s.OutC+ch]
					if d := math.Abs(float64(g) - w); !(d <= 1e-4*math.Max(1, math.Abs(w))) {
						t.Fatalf("%s %v: %s[%d][%d] = %v, want %v", e.isa, s, what, row, ch, g, w)
					}
				}
			}
			check("dst", wide, want)
			check("sums", sums, wantSums)
		}
	}
}

func TestGlobalAvgPool(t *testing.T) {
	n, h, w, c := 2, 3, 5, 4
	src := make([]float32, n*h*w*c)
	for i := range src {
		src[i] = float32(i % 7)
	}
	dst := make([]float32, n*c)
	GlobalAvgPool(dst, src, n, h, w, c)
	for i := range n {
		for ch := range c {
			var sum float64
			for p := range h * w {
				sum += float64(src[(i*h*w+p)*c+ch])
			}
			if got, want := float64(dst[i*c+ch]), sum/float64(h*w); math.Abs(got-want) > 1e-6 {
				t.Fatalf("avg[%d][%d] = %v, want %v", i, ch, got, want)
			}
		}
	}
}

func TestLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	in, out, n := 37, 130, 3
	weight, bias, src := randSlice(r, in*out), randSlice(r, out), randSlice(r, n*in)
	l, err := NewLinear(in, out, weight, bias)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, n*out)
	l.Forward(dst, src, n, NewWorkspace(2))
	for i := range n {
		for o := range out {
			sum := float64(bias[o])
			for k := range in {
				sum += float64(weight[o*in+k]) * float64(src[i*in+k])
			}
			if got := float64(dst[i*out+o]); math.Abs(got-sum) > 1e-4 {
				t.Fatalf("linear[%d][%d] = %v, want %v", i, o, got, sum)
			}
		}
	}
	if _, err := NewLinear(in, out, weight[1:], bias); err == nil {
		t.Error("NewLinear accepted a short weight")
	}
}

func TestFold(t *testing.T) {
	// One output channel, two weights: y = (w·x − mean)/sqrt(var+eps)·γ + β.
	bn := BatchNorm{Weight: []float32{2}, Bias: []float32{0.5}, Mean: []float32{1}, Var: []float32{3}, Eps: 1e-5}
	w := []float32{1, -4}
	b, err := bn.Fold(w)
	if err != nil {
		t.Fatal(err)
	}
	scale := 2 / math.Sqrt(3+1e-5)
	for i, want := range []float64{scale, -4 * scale} {
		if math.Abs(float64(w[i])-want) > 1e-6 {
			t.Errorf("w[%d] = %v, want %v", i, w[i], want)
		}
	}
	if want := 0.5 - scale; math.Abs(float64(b[0])-want) > 1e-6 {
		t.Errorf("bias = %v, want %v", b[0], want)
	}
	if _, err := (BatchNorm{Weight: []float32{1}, Bias: []float32{1}, Mean: []float32{1}}).Fold(w); err == nil {
		t.Error("Fold accepted a batch norm without variances")
	}
}

// TestWinogradChosen checks which 3×3 convolutions run as Winograd ones:
// stride 1 and pad 1 with whole channel vectors and panels and not too
// many weights, on an engine with the transforms, and nothing else.
func TestWinogradChosen(t *testing.T) {
	for _, e := range engines() {
		for _, tc := range []struct {
			spec ConvSpec
			m    int // the output tile of the Winograd transform; 0 for none
		}{
			{ConvSpec{InC: 64, OutC: 64, KH: 3, KW: 3, Stride: 1, Pad: 1}, 4},
			{ConvSpec{InC: 256, OutC: 256, KH: 3, KW: 3, Stride: 1, Pad: 1}, 4},
			{ConvSpec{InC: 512, OutC: 512, KH: 3, KW: 3, Stride: 1, Pad: 1}, 2},
			{ConvSpec{InC: 1024, OutC: 512, KH: 3, KW: 3, Stride: 1, Pad: 1}, 0},
			{ConvSpec{InC: 64, OutC: 64, KH: 3, KW: 3, Stride: 2, Pad: 1}, 0},
			{ConvSpec{InC: 64, OutC: 64, KH: 3, KW: 3, Stride: 1, Pad: 0}, 0},
			{ConvSpec{InC: 60, OutC: 64, KH: 3, KW: 3, Stride: 1, Pad: 1}, 0},
			{ConvSpec{InC: 64, OutC: 40, KH: 3, KW: 3, Stride: 1, Pad: 1}, 0},
			{ConvSpec{InC: 64, OutC: 64, KH: 1, KW: 1, Stride: 1, Pad: 0}, 0},
		} {
			s := tc.spec
			conv, err := newConv2d(s, make([]float32, s.OutC*s.Depth()), nil, e)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.m
			if len(e.winograd) == 0 {
				want = 0
			}
			got := 0
			if conv.wino != nil {
				got = conv.wino.tr.f.M
			}
			if got != want {
				t.Errorf("%s: %v runs as F(%d×%d, 3×3), want %d (0: no Winograd)", e.isa, s, got, got, want)
			}
		}
	}
	if e := engineFor(isa.AVX2); e.isa == isa.AVX2 && len(e.winograd) == 0 {
		t.Error("the AVX2 engine has no Winograd transforms")
	}
}

// TestSlotStride checks that Winograd slot matrices are placed an odd
// number of cache lines apart, so that the T² slots of a tile spread over
// the L1's sets, with the least padding: odd multiples of 16 floats lie 32
// apart, so one within 32 of n is the least (n itself when n is one).
func TestSlotStride(t *testing.T) {
	for n := 1; n < 5000; n++ {
		s := slotStride(n)
		if s < n || s%16 != 0 || (s/16)%2 != 1 || s-n >= 32 {
			t.Fatalf("slotStride(%d) = %d, want the least odd multiple of 16 floats ≥ %d", n, s, n)
		}
	}
}

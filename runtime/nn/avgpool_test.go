package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refPool is PyTorch's max_pool2d / avg_pool2d on NHWC input, written from
// its definition: output o of an axis covers [o·stride − pad, … + k),
// clipped to the padded input; ceil mode keeps a last window that starts
// before the input's end (or in the left padding).
func refPool(src []float32, n, h, w, c, k, stride, pad int, ceil, avg, countPad bool) (out []float64, oh, ow int) {
	size := func(l int) int {
		num := l + 2*pad - k
		if ceil {
			num += stride - 1
		}
		if num < 0 {
			return 0 // PyTorch refuses the input
		}
		o := num/stride + 1
		if ceil && (o-1)*stride >= l+pad {
			o--
		}
		return o
	}
	oh, ow = size(h), size(w)
	out = make([]float64, n*oh*ow*c)
	for i := range n {
		for oy := range oh {
			for ox := range ow {
				ys, xs := oy*stride-pad, ox*stride-pad
				ye, xe := min(ys+k, h+pad), min(xs+k, w+pad)
				padded := (ye - ys) * (xe - xs)
				ys, xs, ye, xe = max(ys, 0), max(xs, 0), min(ye, h), min(xe, w)
				for ch := range c {
					v := math.Inf(-1)
					if avg {
						v = 0
					}
					for y := ys; y < ye; y++ {
						for x := xs; x < xe; x++ {
							s := float64(src[((i*h+y)*w+x)*c+ch])
							if avg {
								v += s
							} else {
								v = math.Max(v, s)
							}
						}
					}
					if avg && countPad {
						v /= float64(padded)
					} else if avg {
						v /= float64((ye - ys) * (xe - xs))
					}
					out[((i*oh+oy)*ow+ox)*c+ch] = v
				}
			}
		}
	}
	return out, oh, ow
}

func TestAvgPool(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pools := []AvgPool2d{
		{K: 2, Stride: 2, Ceil: true},                    // ResNet-D's shortcut
		{K: 2, Stride: 2},                                // timm's anti-aliasing
		{K: 3, Stride: 2, Pad: 1, CountIncludePad: true}, // PyTorch's defaults, padded
		{K: 3, Stride: 2, Pad: 1},
		{K: 3, Stride: 1, Pad: 1, Ceil: true, CountIncludePad: true},
		{K: 3, Stride: 3, Pad: 1, Ceil: true, CountIncludePad: true}, // ceil windows past the padding
	}
	for _, p := range pools {
		for _, sz := range [][4]int{{2, 7, 9, 5}, {1, 1, 1, 3}, {1, 8, 8, 16}, {3, 5, 4, 2}} {
			n, h, w, c := sz[0], sz[1], sz[2], sz[3]
			src := randSlice(r, n*h*w*c)
			want, oh, ow := refPool(src, n, h, w, c, p.K, p.Stride, p.Pad, p.Ceil, true, p.CountIncludePad)
			if oh < 1 || ow < 1 {
				continue
			}
			t.Run(fmt.Sprintf("%+v/%v", p, sz), func(t *testing.T) {
				if gh, gw := p.Out(h, w); gh != oh || gw != ow {
					t.Fatalf("Out(%d, %d) = %d×%d, want %d×%d", h, w, gh, gw, oh, ow)
				}
				dst := make([]float32, len(want))
				p.Forward(dst, src, n, h, w, c, NewWorkspace(2))
				for i, v := range dst {
					if math.Abs(float64(v)-want[i]) > 1e-6*math.Max(1, math.Abs(want[i])) {
						t.Fatalf("dst[%d] = %v, want %v", i, v, want[i])
					}
				}
			})
		}
	}
}

// TestMaxPoolCeil checks SENet's stem pool: 3×3, stride 2, no padding,
// ceil mode, whose last window is clipped.
func TestMaxPoolCeil(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	p := MaxPool2d{K: 3, Stride: 2, Ceil: true}
	for _, sz := range [][4]int{{1, 112, 112, 16}, {2, 8, 9, 3}, {1, 3, 3, 8}, {1, 16, 17, 64}} {
		n, h, w, c := sz[0], sz[1], sz[2], sz[3]
		src := randSlice(r, n*h*w*c)
		want, oh, ow := refPool(src, n, h, w, c, 3, 2, 0, true, false, false)
		if gh, gw := p.Out(h, w); gh != oh || gw != ow {
			t.Fatalf("%v: Out = %d×%d, want %d×%d", sz, gh, gw, oh, ow)
		}
		dst := make([]float32, len(want))
		p.Forward(dst, src, n, h, w, c, NewWorkspace(2))
		for i, v := range dst {
			if float64(v) != want[i] {
				t.Fatalf("%v: dst[%d] = %v, want %v", sz, i, v, want[i])
			}
		}
	}
}

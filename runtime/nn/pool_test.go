package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refPool is PyTorch's max_pool2d / avg_pool2d on NHWC input in float64,
// written from its definition: output o of an axis covers [o·stride − pad,
// … + k), clipped to the padded input (an average's divisor with
// count_include_pad, which is also Caffe's pool_size), then to the input
// (what is read, and the divisor without count_include_pad); ceil mode
// keeps a last window that starts before the input's end (or in the left
// padding).
func refPool(p poolWindow, src []float32, n, h, w, c int) (out []float64, oh, ow int) {
	size := func(l int) int {
		num := l + 2*p.pad - p.k
		if p.ceil {
			num += p.stride - 1
		}
		if num < 0 {
			return 0 // PyTorch refuses the input
		}
		o := num/p.stride + 1
		if p.ceil && (o-1)*p.stride >= l+p.pad {
			o--
		}
		return o
	}
	oh, ow = size(h), size(w)
	out = make([]float64, n*oh*ow*c)
	for i := range n {
		for oy := range oh {
			for ox := range ow {
				ys, xs := oy*p.stride-p.pad, ox*p.stride-p.pad
				ye, xe := min(ys+p.k, h+p.pad), min(xs+p.k, w+p.pad)
				padded := (ye - ys) * (xe - xs)
				ys, xs, ye, xe = max(ys, 0), max(xs, 0), min(ye, h), min(xe, w)
				for ch := range c {
					v := math.Inf(-1)
					if p.avg {
						v = 0
					}
					for y := ys; y < ye; y++ {
						for x := xs; x < xe; x++ {
							s := float64(src[((i*h+y)*w+x)*c+ch])
							switch {
							case p.avg:
								v += s
							case math.IsNaN(s) || s > v:
								v = s
							}
						}
					}
					if p.avg && p.countPad {
						v /= float64(padded)
					} else if p.avg {
						v /= float64((ye - ys) * (xe - xs))
					}
					out[((i*oh+oy)*ow+ox)*c+ch] = v
				}
			}
		}
	}
	return out, oh, ow
}

// TestPool runs the pools of every network here on every engine, into a
// channel slice of a wider tensor, against refPool: maxima exactly (NaN
// kept), averages to float32 rounding.
func TestPool(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	windows := []poolWindow{
		{k: 3, stride: 2, pad: 1},                    // ResNet's stem pool
		{k: 3, stride: 2, ceil: true},                // SENet's and Inception's stride-2 pools (Caffe's rounding)
		{k: 3, stride: 1, pad: 1, ceil: true},        // Inception's max pool branch (5b)
		{k: 2, stride: 2, ceil: true, avg: true},     // ResNet-D's shortcut: an overhang past the image that does not count
		{k: 2, stride: 2, avg: true, countPad: true}, // timm's anti-aliasing
		{k: 3, stride: 2, pad: 1, avg: true},         // PyTorch's options around one padding …
		{k: 3, stride: 2, pad: 1, avg: true, countPad: true},
		{k: 3, stride: 1, pad: 1, ceil: true, avg: true, countPad: true}, // Inception's pool branch (Caffe's AVE)
		{k: 3, stride: 2, pad: 1, ceil: true, avg: true, countPad: true}, // ceil with padding: the overhang rule
		{k: 3, stride: 3, pad: 1, ceil: true, avg: true, countPad: true}, // ceil windows past the padding
		{k: 7, stride: 1, ceil: true, avg: true, countPad: true},         // Inception's final 7×7 pool
	}
	sizes := [][4]int{{2, 9, 8, 5}, {1, 1, 1, 3}, {1, 7, 7, 16}, {3, 7, 10, 2}, {2, 9, 11, 64}, {1, 5, 6, 24}, {1, 28, 28, 32}, {3, 5, 4, 2}}
	for _, p := range windows {
		for _, sz := range sizes {
			n, h, w, c := sz[0], sz[1], sz[2], sz[3]
			src := randSlice(r, n*h*w*c)
			if !p.avg {
				src[0] = float32(math.NaN())
				src[len(src)/2+1] = float32(math.NaN())
			}
			want, oh, ow := refPool(p, src, n, h, w, c)
			if oh < 1 || ow < 1 {
				continue
			}
			if gh, gw := poolOut(h, p.k, p.stride, p.pad, p.ceil), poolOut(w, p.k, p.stride, p.pad, p.ceil); gh != oh || gw != ow {
				t.Fatalf("%+v on %d×%d: output %d×%d, want %d×%d", p, h, w, gh, gw, oh, ow)
			}
			for _, e := range engines() {
				// Into a channel slice of a wider tensor: c+3 channels, from 2.
				stride := c + 3
				wide := make([]float32, n*oh*ow*stride)
				for i := range wide {
					wide[i] = 42
				}
				ws := NewWorkspace(2)
				ws.pool = poolJob{p: p, dst: wide[2:], src: src, h: h, w: w, c: c, oh: oh, ow: ow, ld: stride, eng: e}
				ws.Parallel(n*oh, &ws.pool)
				for i, got := range wide {
					pix, ch := i/stride, i%stride-2
					if ch < 0 || ch >= c {
						if got != 42 {
							t.Fatalf("%s %+v %v: wrote outside the channel slice at %d", e.isa, p, sz, i)
						}
						continue
					}
					want, g := want[pix*c+ch], float64(got)
					ok := g == want || math.IsNaN(want) && math.IsNaN(g)
					if p.avg {
						ok = math.Abs(g-want) <= 1e-6*math.Max(1, math.Abs(want))
					}
					if !ok {
						t.Fatalf("%s %+v %v: pixel %d channel %d = %v, want %v", e.isa, p, sz, pix, ch, got, want)
					}
				}
			}
		}
	}
}

// TestPoolEntryPoints runs the exported layers on the default engine,
// which build their window from the fields.
func TestPoolEntryPoints(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		name string
		p    poolWindow
		fwd  func(dst, src []float32, n, h, w, c int, ws *Workspace)
		out  func(h, w int) (int, int)
	}{
		{"max", poolWindow{k: 3, stride: 2, ceil: true}, MaxPool2d{K: 3, Stride: 2, Ceil: true}.Forward, MaxPool2d{K: 3, Stride: 2, Ceil: true}.Out},
		{"avg", poolWindow{k: 3, stride: 2, pad: 1, ceil: true, avg: true}, AvgPool2d{K: 3, Stride: 2, Pad: 1, Ceil: true}.Forward, AvgPool2d{K: 3, Stride: 2, Pad: 1, Ceil: true}.Out},
		{"avg padded", poolWindow{k: 3, stride: 1, pad: 1, ceil: true, avg: true, countPad: true},
			AvgPool2d{K: 3, Stride: 1, Pad: 1, Ceil: true, CountIncludePad: true}.Forward, AvgPool2d{K: 3, Stride: 1, Pad: 1, Ceil: true, CountIncludePad: true}.Out},
	} {
		for _, sz := range [][4]int{{1, 112, 112, 16}, {2, 8, 9, 3}, {1, 3, 3, 8}, {1, 16, 17, 64}} {
			t.Run(fmt.Sprintf("%s/%v", tc.name, sz), func(t *testing.T) {
				n, h, w, c := sz[0], sz[1], sz[2], sz[3]
				src := randSlice(r, n*h*w*c)
				want, oh, ow := refPool(tc.p, src, n, h, w, c)
				if gh, gw := tc.out(h, w); gh != oh || gw != ow {
					t.Fatalf("Out(%d, %d) = %d×%d, want %d×%d", h, w, gh, gw, oh, ow)
				}
				dst := make([]float32, len(want))
				tc.fwd(dst, src, n, h, w, c, NewWorkspace(2))
				for i, v := range dst {
					if math.Abs(float64(v)-want[i]) > 1e-6*math.Max(1, math.Abs(want[i])) {
						t.Fatalf("dst[%d] = %v, want %v", i, v, want[i])
					}
				}
			})
		}
	}
	if oh, ow := (AvgPool2d{K: 3, Stride: 2, Ceil: true}).Out(112, 111); oh != 56 || ow != 55 {
		t.Errorf("ceil-mode 3×3/2 pool of 112×111 gives %d×%d, want 56×55", oh, ow)
	}
}

// TestPoolOutCaffe checks poolOut against Caffe's output size
// (pooling_layer.cpp: ceil of a float division, less one if the last
// window starts past the image and its padding, checked only when there
// is padding) wherever Caffe accepts the pooling (pad < kernel) and the
// kernel is at least the stride, as in every network here.
func TestPoolOutCaffe(t *testing.T) {
	caffe := func(n, k, stride, pad int) int {
		o := int(math.Ceil(float64(n+2*pad-k)/float64(stride))) + 1
		if pad > 0 && (o-1)*stride >= n+pad {
			o--
		}
		return o
	}
	for n := 1; n <= 40; n++ {
		for k := 1; k <= 7; k++ {
			for stride := 1; stride <= k; stride++ {
				for pad := 0; pad < k; pad++ {
					if n+2*pad < k {
						continue // Caffe's window does not fit
					}
					if got, want := poolOut(n, k, stride, pad, true), caffe(n, k, stride, pad); got != want {
						t.Errorf("poolOut(%d, k %d, stride %d, pad %d, ceil) = %d, Caffe's %d", n, k, stride, pad, got, want)
					}
				}
			}
		}
	}
}

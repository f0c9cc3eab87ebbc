package nn

import (
	"fmt"
	"math"
)

// MaxPool2d is max pooling over K×K windows with the given stride and
// padding; padded positions never win (PyTorch pads with -Inf), and NaN
// propagates as in PyTorch. Ceil is PyTorch's ceil_mode, and Caffe's
// rounding (see poolOut): a last window that starts inside the input (or
// its left padding) but runs past it is kept, clipped, instead of dropped.
type MaxPool2d struct {
	K, Stride, Pad int
	Ceil           bool
}

// Out returns the output size for an h×w input, as PyTorch computes it.
func (p MaxPool2d) Out(h, w int) (oh, ow int) {
	return poolOut(h, p.K, p.Stride, p.Pad, p.Ceil), poolOut(w, p.K, p.Stride, p.Pad, p.Ceil)
}

// Forward pools n NHWC images of h×w×c values from src into dst.
func (p MaxPool2d) Forward(dst, src []float32, n, h, w, c int, ws *Workspace) {
	p.ForwardInto(dst, c, src, n, h, w, c, ws)
}

// ForwardInto is Forward writing into a channel slice of a wider NHWC
// tensor whose pixels are stride values apart (dst starts at the slice's
// first channel), as a branch of an Inception module writes its part of the
// module's concatenated output.
func (p MaxPool2d) ForwardInto(dst []float32, stride int, src []float32, n, h, w, c int, ws *Workspace) {
	poolWindow{k: p.K, stride: p.Stride, pad: p.Pad, ceil: p.Ceil}.forward(dst, stride, src, n, h, w, c, ws)
}

// AvgPool2d is average pooling over K×K windows with PyTorch's options:
// stride, zero padding on every side, ceil mode (see MaxPool2d), and
// whether the padding counts in the divisor (count_include_pad; PyTorch's
// default is true). As in PyTorch, the part of a ceil-mode window past the
// padding never counts: a window's divisor is its size clipped to the
// padded input, or with CountIncludePad false to the input.
//
// CountIncludePad true is also Caffe's AVE pooling (pooling_layer.cpp:
// pool_size = (hend − hstart)·(wend − wstart) with hend = min(hstart +
// kernel, height + pad), taken before the window is clipped to the image),
// which PyTorch's CPU kernel computes the same way. ResNet-D's shortcut is
// AvgPool2d{K: 2, Stride: 2, Ceil: true}; timm's anti-aliasing is
// AvgPool2d{K: 2, Stride: 2}; an Inception module's pool branch is Caffe's
// AvgPool2d{K: 3, Stride: 1, Pad: 1, Ceil: true, CountIncludePad: true}.
type AvgPool2d struct {
	K, Stride, Pad  int
	Ceil            bool
	CountIncludePad bool
}

// Out returns the output size for an h×w input, as PyTorch computes it.
func (p AvgPool2d) Out(h, w int) (oh, ow int) {
	return poolOut(h, p.K, p.Stride, p.Pad, p.Ceil), poolOut(w, p.K, p.Stride, p.Pad, p.Ceil)
}

// Forward pools n NHWC images of h×w×c values from src into dst.
func (p AvgPool2d) Forward(dst, src []float32, n, h, w, c int, ws *Workspace) {
	p.ForwardInto(dst, c, src, n, h, w, c, ws)
}

// ForwardInto is Forward into a channel slice, as MaxPool2d.ForwardInto.
func (p AvgPool2d) ForwardInto(dst []float32, stride int, src []float32, n, h, w, c int, ws *Workspace) {
	poolWindow{k: p.K, stride: p.Stride, pad: p.Pad, ceil: p.Ceil, avg: true, countPad: p.CountIncludePad}.forward(dst, stride, src, n, h, w, c, ws)
}

// poolOut is PyTorch's pooling output size along one axis of n values (0
// when not even one window fits): floor((n + 2·pad − k)/stride) + 1, or in
// ceil mode the same rounded up, less one if the last window would start
// past the input and its left padding. Caffe rounds the same way, except
// that it skips that last check without padding: the two differ only for
// pad = 0 and k < stride, where Caffe keeps a last window lying wholly
// outside the image; no network here pools so.
func poolOut(n, k, stride, pad int, ceil bool) int {
	if stride < 1 {
		return 0
	}
	span := n + 2*pad - k
	if ceil {
		span += stride - 1
	}
	if span < 0 {
		return 0
	}
	out := span/stride + 1
	if ceil && (out-1)*stride >= n+pad {
		out--
	}
	return out
}

// poolWindow is a pooling of either kind.
type poolWindow struct {
	k, stride, pad int
	ceil, avg      bool
	countPad       bool // the average's divisor counts the padding
}

// span returns the window [lo, hi) along an axis of n values for output o,
// clipped to the input, and the number of positions an average's divisor
// counts.
func (p poolWindow) span(o, n int) (lo, hi, count int) {
	lo = o*p.stride - p.pad
	hi = min(lo+p.k, n+p.pad)
	count = hi - lo
	lo, hi = max(lo, 0), min(hi, n)
	if !p.countPad {
		count = hi - lo
	}
	return lo, hi, count
}

// forward pools n NHWC images of h×w×c values from src into dst, whose
// pixels are stride values apart.
func (p poolWindow) forward(dst []float32, stride int, src []float32, n, h, w, c int, ws *Workspace) {
	oh, ow := poolOut(h, p.k, p.stride, p.pad, p.ceil), poolOut(w, p.k, p.stride, p.pad, p.ceil)
	if p.k < 1 || p.pad < 0 || oh < 1 || ow < 1 || stride < c || len(src) != n*h*w*c ||
		len(dst) < (n*oh*ow-1)*stride+c || (stride == c && len(dst) != n*oh*ow*c) {
		panic(fmt.Sprintf("nn: pool %+v on %d×%d×%d×%d, stride %d: len(src) = %d, len(dst) = %d", p, n, h, w, c, stride, len(src), len(dst)))
	}
	// One task per output row of one image.
	ws.pool = poolJob{p: p, dst: dst, src: src, h: h, w: w, c: c, oh: oh, ow: ow, ld: stride, eng: defaultEngine}
	ws.Parallel(n*oh, &ws.pool)
	ws.pool = poolJob{}
}

// poolJob is one pooling call; a task is one output row.
type poolJob struct {
	p                   poolWindow
	dst, src            []float32
	h, w, c, oh, ow, ld int     // ld: the output pixel stride
	eng                 *engine // its pooling kernels, if any, serve c a multiple of its lanes
}

func (j *poolJob) Run(_, task int) {
	p, h, w, c, oh, ow := j.p, j.h, j.w, j.c, j.oh, j.ow
	img, oy := task/oh, task%oh
	y0, y1, ny := p.span(oy, h)
	e := j.eng
	fast := e.maxPool != nil && c%e.lanes == 0
	for ox := range ow {
		x0, x1, nx := p.span(ox, w)
		div := float32(ny * nx)
		d := j.dst[((img*oh+oy)*ow+ox)*j.ld:][:c]
		if y1 <= y0 || x1 <= x0 {
			// A window wholly in the padding: nothing to take the maximum
			// of, and a zero sum.
			v := float32(0)
			if !p.avg {
				v = float32(math.Inf(-1))
			}
			for i := range d {
				d[i] = v
			}
			continue
		}
		if fast {
			// The window's last value read is its last pixel's last channel.
			s := j.src[((img*h+y0)*w+x0)*c:][:((y1-y0-1)*w+(x1-x0-1))*c+c]
			if p.avg {
				e.avgPool(&d[0], &s[0], c/e.lanes, c, w*c, y1-y0, x1-x0, div)
			} else {
				e.maxPool(&d[0], &s[0], c/e.lanes, c, w*c, y1-y0, x1-x0)
			}
			continue
		}
		// The kernels' order: from −Inf (the maximum) or zero (the sum),
		// the window row by row.
		v := float32(0)
		if !p.avg {
			v = float32(math.Inf(-1))
		}
		for i := range d {
			d[i] = v
		}
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				s := j.src[((img*h+y)*w+x)*c:][:c]
				for i, v := range s {
					switch {
					case p.avg:
						d[i] += v
					case v > d[i] || v != v: // NaN wins and then stays
						d[i] = v
					}
				}
			}
		}
		if p.avg {
			for i := range d {
				d[i] /= div
			}
		}
	}
}

// GlobalAvgPool sets dst[i][ch] to the mean of channel ch over the h×w
// pixels of NHWC image i of src: a column sum of each image's h·w×c matrix.
func GlobalAvgPool(dst, src []float32, n, h, w, c int) {
	plane := h * w
	if len(src) != n*plane*c || len(dst) != n*c {
		panic(fmt.Sprintf("nn: global average pool on %d×%d×%d×%d: len(src) = %d, len(dst) = %d", n, h, w, c, len(src), len(dst)))
	}
	for img := range n {
		d := dst[img*c : (img+1)*c]
		for i := range d {
			d[i] = 0
		}
		for p := range plane {
			s := src[(img*plane+p)*c:][:c]
			for i, v := range s {
				d[i] += v
			}
		}
		inv := 1 / float32(plane)
		for i := range d {
			d[i] *= inv
		}
	}
}

package nn

import "fmt"

// AvgPool2d is average pooling over K×K windows with PyTorch's options:
// stride, zero padding on every side, ceil mode (see MaxPool2d), and
// whether the padding counts in the divisor (count_include_pad; PyTorch's
// default is true). As in PyTorch, the part of a ceil-mode window past the
// padding never counts. ResNet-D's shortcut is AvgPool2d{K: 2, Stride: 2,
// Ceil: true}; timm's anti-aliasing is AvgPool2d{K: 2, Stride: 2}.
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
	oh, ow := p.Out(h, w)
	if p.K < 1 || p.Stride < 1 || p.Pad < 0 || oh < 1 || ow < 1 || len(src) != n*h*w*c || len(dst) != n*oh*ow*c {
		panic(fmt.Sprintf("nn: %+v on %d×%d×%d×%d: len(src) = %d, len(dst) = %d", p, n, h, w, c, len(src), len(dst)))
	}
	// One task per output row of one image.
	ws.avg = avgPoolJob{p: p, dst: dst, src: src, h: h, w: w, c: c, oh: oh, ow: ow}
	ws.Parallel(n*oh, &ws.avg)
	ws.avg = avgPoolJob{}
}

// avgPoolJob is one AvgPool2d.Forward call; a task is one output row.
type avgPoolJob struct {
	p               AvgPool2d
	dst, src        []float32
	h, w, c, oh, ow int
}

// span returns the window [lo, hi) along an axis of n values for output o,
// clipped to the input, and the number of positions the divisor counts.
func (p AvgPool2d) span(o, n int) (lo, hi, count int) {
	lo = o*p.Stride - p.Pad
	hi = min(lo+p.K, n+p.Pad)
	count = hi - lo
	lo, hi = max(lo, 0), min(hi, n)
	if !p.CountIncludePad {
		count = hi - lo
	}
	return lo, hi, count
}

func (j *avgPoolJob) Run(_, task int) {
	p, h, w, c := j.p, j.h, j.w, j.c
	img, oy := task/j.oh, task%j.oh
	y0, y1, ny := p.span(oy, h)
	for ox := range j.ow {
		x0, x1, nx := p.span(ox, w)
		d := j.dst[((img*j.oh+oy)*j.ow+ox)*c:][:c]
		clear(d)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				s := j.src[((img*h+y)*w+x)*c:][:c]
				for i, v := range s {
					d[i] += v
				}
			}
		}
		div := float32(ny * nx)
		for i := range d {
			d[i] /= div
		}
	}
}

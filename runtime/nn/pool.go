package nn

import (
	"fmt"
	"math"
)

// MaxPool2d is max pooling over K×K windows with the given stride and
// padding; padded positions never win (PyTorch pads with -Inf), and NaN
// propagates as in PyTorch. Ceil is PyTorch's ceil_mode: a last window
// that starts inside the input (or its left padding) but runs past it is
// kept, clipped, instead of dropped.
type MaxPool2d struct {
	K, Stride, Pad int
	Ceil           bool
}

// Out returns the output size for an h×w input, as PyTorch computes it.
func (p MaxPool2d) Out(h, w int) (oh, ow int) {
	return poolOut(h, p.K, p.Stride, p.Pad, p.Ceil), poolOut(w, p.K, p.Stride, p.Pad, p.Ceil)
}

// poolOut is PyTorch's pooling output size along one axis of n values (0
// when not even one window fits): in ceil mode the last window may run
// past the input but must start inside it or the left padding.
func poolOut(n, k, stride, pad int, ceil bool) int {
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

// Forward pools n NHWC images of h×w×c values from src into dst.
func (p MaxPool2d) Forward(dst, src []float32, n, h, w, c int, ws *Workspace) {
	oh, ow := p.Out(h, w)
	if oh < 1 || ow < 1 || len(src) != n*h*w*c || len(dst) != n*oh*ow*c {
		panic(fmt.Sprintf("nn: maxpool on %d×%d×%d×%d: len(src) = %d, len(dst) = %d", n, h, w, c, len(src), len(dst)))
	}
	// One task per output row of one image.
	ws.pool = poolJob{p: p, dst: dst, src: src, h: h, w: w, c: c, oh: oh, ow: ow, eng: defaultEngine}
	ws.Parallel(n*oh, &ws.pool)
	ws.pool = poolJob{}
}

// poolJob is one MaxPool2d.Forward call; a task is one output row.
type poolJob struct {
	p               MaxPool2d
	dst, src        []float32
	h, w, c, oh, ow int
	eng             *engine // its maxPool kernel, if any, serves c a multiple of its lanes
}

func (j *poolJob) Run(_, task int) {
	p, h, w, c, oh, ow := j.p, j.h, j.w, j.c, j.oh, j.ow
	img, oy := task/oh, task%oh
	y0, y1 := max(0, oy*p.Stride-p.Pad), min(h, oy*p.Stride-p.Pad+p.K)
	for ox := range ow {
		x0, x1 := max(0, ox*p.Stride-p.Pad), min(w, ox*p.Stride-p.Pad+p.K)
		d := j.dst[((img*oh+oy)*ow+ox)*c:][:c]
		if e := j.eng; e.maxPool != nil && c%e.lanes == 0 && y1 > y0 && x1 > x0 {
			// The window's last value read is its last pixel's last channel.
			s := j.src[((img*h+y0)*w+x0)*c:][:((y1-y0-1)*w+(x1-x0-1))*c+c]
			e.maxPool(&d[0], &s[0], c/e.lanes, c, w*c, y1-y0, x1-x0)
			continue
		}
		for i := range d {
			d[i] = float32(math.Inf(-1))
		}
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				s := j.src[((img*h+y)*w+x)*c:][:c]
				for i, v := range s {
					if v > d[i] || v != v { // NaN wins and then stays
						d[i] = v
					}
				}
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

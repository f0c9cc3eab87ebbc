package nn

import "fmt"

// Scalable reports whether ScaleOutputs can scale c: its weights are the
// GEMM's column panels (not Winograd's transformed weights, not a grouped
// kernel's bands).
func (c *Conv2d) Scalable() bool { return c.wino == nil && c.gk == nil }

// ScaleOutputs sets dst to c with output channel o's weights and bias
// multiplied by scale[o], so that dst computes conv(x)·scale in the
// convolution itself: an SE gate folded into the 1×1 convolution whose
// output it scales, which then writes the gated output with its residual
// and ReLU, where scaling afterwards is another pass over the output. dst
// keeps its storage from one call to the next (start from a zero Conv2d),
// so scaling convolutions of the same size or smaller allocates nothing;
// dst must not be used by a Forward in progress. It panics unless c is
// Scalable and len(scale) == OutC.
func (c *Conv2d) ScaleOutputs(dst *Conv2d, scale []float32) {
	if !c.Scalable() || len(scale) != c.spec.OutC {
		panic(fmt.Sprintf("nn: %v: cannot scale outputs by %d values", c.spec, len(scale)))
	}
	dst.spec, dst.eng, dst.cols, dst.gk, dst.wino = c.spec, c.eng, c.cols, nil, nil
	dst.panels = resize(dst.panels, len(c.panels))
	dst.bias = resize(dst.bias, len(c.bias))
	for o, b := range c.bias {
		dst.bias[o] = b * scale[o]
	}
	for _, p := range c.cols {
		n := c.spec.KH * c.spec.KW * p.win.n * c.eng.nr
		c.eng.scaleColumns(dst.panels[p.off:p.off+n], c.panels[p.off:p.off+n], scale[p.col0:p.col0+p.ncol])
	}
}

// scaleColumns sets dst to src with column j of every nr-wide row
// multiplied by g[j], for the len(g) ≤ nr columns of a panel; the columns
// past len(g) (a narrow panel's, zeros in src) are set to zero.
func (e *engine) scaleColumns(dst, src, g []float32) {
	nr := e.nr
	if len(dst) != len(src) || len(src)%nr != 0 || len(g) > nr {
		panic(fmt.Sprintf("nn: scaling %d-wide rows: len(dst) = %d, len(src) = %d, len(g) = %d", nr, len(dst), len(src), len(g)))
	}
	if len(src) == 0 {
		return
	}
	if e.scalePanel != nil && len(g) == nr {
		e.scalePanel(&dst[0], &src[0], &g[0], len(src)/nr)
		return
	}
	for i := 0; i < len(src); i += nr {
		out := dst[i : i+nr]
		for j, v := range src[i : i+len(g)] {
			out[j] = v * g[j]
		}
		clear(out[len(g):])
	}
}

// resize returns buf with length n, reallocated only when its capacity is
// short.
func resize(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

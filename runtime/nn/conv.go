package nn

import "fmt"

// ConvSpec is the geometry of a 2-D convolution (groups = 1, no dilation).
type ConvSpec struct {
	InC, OutC int // input and output channels
	KH, KW    int // kernel height and width
	Stride    int // the same along both axes
	Pad       int // zero padding on every side
}

// Out returns the output size for an h×w input, as PyTorch computes it.
func (s ConvSpec) Out(h, w int) (oh, ow int) {
	return (h+2*s.Pad-s.KH)/s.Stride + 1, (w+2*s.Pad-s.KW)/s.Stride + 1
}

// Depth returns KH×KW×InC, the length of one output value's dot product.
func (s ConvSpec) Depth() int { return s.KH * s.KW * s.InC }

func (s ConvSpec) String() string {
	return fmt.Sprintf("conv %d→%d %d×%d/%d pad %d", s.InC, s.OutC, s.KH, s.KW, s.Stride, s.Pad)
}

// Epilogue is what a convolution applies to each output value after adding
// its bias, in this order: add Residual (same layout and length as the
// output) when it is not nil, then ReLU when set. ReLU propagates NaN as
// PyTorch's does.
type Epilogue struct {
	Residual []float32
	ReLU     bool
}

// Conv2d is a convolution with its weights packed once for the GEMM and a
// per-output-channel bias (where a folded batch norm ends up). It is
// immutable and safe for concurrent use. A faster engine replaces it by
// offering the same Forward.
type Conv2d struct {
	spec   ConvSpec
	panels []float32 // weights as ceil(OutC/nr) column panels of Depth×nr values
	bias   []float32 // OutC values
}

// NewConv2d packs weight, laid out as PyTorch stores it ([OutC][InC][KH][KW]),
// and copies bias (OutC values; nil means zero).
func NewConv2d(spec ConvSpec, weight, bias []float32) (*Conv2d, error) {
	if spec.InC < 1 || spec.OutC < 1 || spec.KH < 1 || spec.KW < 1 || spec.Stride < 1 || spec.Pad < 0 {
		return nil, fmt.Errorf("nn: invalid %v", spec)
	}
	k := spec.Depth()
	if len(weight) != spec.OutC*k {
		return nil, fmt.Errorf("nn: %v: %d weights, want %d", spec, len(weight), spec.OutC*k)
	}
	if bias != nil && len(bias) != spec.OutC {
		return nil, fmt.Errorf("nn: %v: %d biases, want %d", spec, len(bias), spec.OutC)
	}
	cv := &Conv2d{spec: spec, panels: packWeights(spec, weight), bias: make([]float32, spec.OutC)}
	copy(cv.bias, bias)
	return cv, nil
}

// Spec returns the convolution's geometry.
func (c *Conv2d) Spec() ConvSpec { return c.spec }

// Forward computes dst = epilogue(conv(src) + bias) for n NHWC images of
// h×w×InC values in src, writing n×oh×ow×OutC values to dst (oh, ow from
// Spec().Out). dst must not overlap src or ep.Residual. It panics on
// lengths that do not fit: buffers are planned by the caller, so a mismatch
// is a programming error.
func (c *Conv2d) Forward(dst, src []float32, n, h, w int, ep Epilogue, ws *Workspace) {
	s := c.spec
	oh, ow := s.Out(h, w)
	if n < 1 || oh < 1 || ow < 1 {
		panic(fmt.Sprintf("nn: %v: no output for %d×%d×%d input", s, n, h, w))
	}
	m, cols := n*oh*ow, s.OutC
	if len(src) != n*h*w*s.InC || len(dst) != m*cols || (ep.Residual != nil && len(ep.Residual) != m*cols) {
		panic(fmt.Sprintf("nn: %v on %d×%d×%d: len(src) = %d, len(dst) = %d, len(residual) = %d; want %d, %d",
			s, n, h, w, len(src), len(dst), len(ep.Residual), n*h*w*s.InC, m*cols))
	}
	g := geometry{ConvSpec: s, h: h, w: w, oh: oh, ow: ow}

	// Tasks are (row block, column block) pairs. Row blocks alone give
	// enough parallelism on large images; small ones (7×7 at batch 1 is
	// 49 rows, a single block) also split the output channels.
	rowBlocks := (m + mc - 1) / mc
	panels := (cols + nr - 1) / nr
	colBlocks := 1
	if want := 4 * ws.threads; ws.threads > 1 && rowBlocks < want {
		colBlocks = min(panels, (want+rowBlocks-1)/rowBlocks)
	}
	perBlock := (panels + colBlocks - 1) / colBlocks
	colBlocks = (panels + perBlock - 1) / perBlock

	ws.conv = convJob{c: c, g: g, dst: dst, src: src, ep: ep, pack: ws.pack,
		m: m, colBlocks: colBlocks, perBlock: perBlock, panels: panels}
	ws.Parallel(rowBlocks*colBlocks, &ws.conv)
	ws.conv = convJob{} // drop references to the caller's buffers
}

// convJob is one Conv2d.Forward call; a task is a (row block, column block).
type convJob struct {
	c                              *Conv2d
	g                              geometry
	dst, src                       []float32
	ep                             Epilogue
	pack                           [][]float32
	m, colBlocks, perBlock, panels int
}

func (j *convJob) Run(worker, task int) {
	c, k, cols := j.c, j.g.Depth(), j.c.spec.OutC
	m0 := task / j.colBlocks * mc
	m1 := min(j.m, m0+mc)
	p0 := task % j.colBlocks * j.perBlock
	p1 := min(j.panels, p0+j.perBlock)
	pack := j.pack[worker]
	var t [mr * nr]float32
	for k0 := 0; k0 < k; k0 += kc {
		kb := min(kc, k-k0)
		j.g.packA(pack, j.src, m0, m1, k0, kb)
		first, last := k0 == 0, k0+kb == k
		for p := p0; p < p1; p++ {
			bp := c.panels[(p*k+k0)*nr : (p*k+k0+kb)*nr]
			col0 := p * nr
			ncol := min(nr, cols-col0)
			for r := m0; r < m1; r += mr {
				off := (r - m0) * kb
				kernel2x4(&t, pack[off:off+mr*kb], bp)
				c.store(j.dst, &t, r, min(mr, m1-r), col0, ncol, first, last, j.ep)
			}
		}
	}
}

// store merges a micro-tile into dst at rows r…r+rows-1 and columns
// col0…col0+ncol-1: the first depth block adds the bias, later ones add what
// earlier blocks stored, and the last applies the epilogue.
func (c *Conv2d) store(dst []float32, t *[mr * nr]float32, r, rows, col0, ncol int, first, last bool, ep Epilogue) {
	cols := c.spec.OutC
	for i := range rows {
		row := (r+i)*cols + col0
		d := dst[row : row+ncol]
		tt := t[i*nr : i*nr+ncol]
		var base []float32
		if first {
			base = c.bias[col0 : col0+ncol]
		} else {
			base = d
		}
		if !last {
			for j, v := range tt {
				d[j] = v + base[j]
			}
			continue
		}
		var res []float32
		if ep.Residual != nil {
			res = ep.Residual[row : row+ncol]
		}
		for j, v := range tt {
			v += base[j]
			if res != nil {
				v += res[j]
			}
			if ep.ReLU {
				v = relu(v)
			}
			d[j] = v
		}
	}
}

// relu returns max(v, 0), keeping NaN as PyTorch does.
func relu(v float32) float32 {
	if v < 0 {
		return 0
	}
	return v
}

// geometry is a convolution applied to one input size.
type geometry struct {
	ConvSpec
	h, w, oh, ow int
}

// packA copies rows m0…m1-1, depths k0…k0+kb-1 of the im2col matrix of src
// into pack as mr-row micro-panels: micro-panel i holds, for each depth k,
// the values of rows m0+mr·i … m0+mr·i+mr-1. Row m is output pixel
// (image, oy, ox); depth k is window position (ky, kx) and input channel c,
// k = (ky·KW + kx)·InC + c, so each window position is a contiguous run of
// InC values of the NHWC input, or zeros where the window hangs over the
// padding. Rows past m1 in the last micro-panel are zero.
func (g *geometry) packA(pack, src []float32, m0, m1, k0, kb int) {
	rows := m1 - m0
	full := (rows + mr - 1) / mr * mr
	pack = pack[:full*kb]
	k1 := k0 + kb
	img, rem := m0/(g.oh*g.ow), m0%(g.oh*g.ow)
	oy, ox := rem/g.ow, rem%g.ow
	for r := range full {
		base := r/mr*mr*kb + r%mr
		if r >= rows {
			for k := range kb {
				pack[base+k*mr] = 0
			}
			continue
		}
		for k := k0; k < k1; {
			win, c0 := k/g.InC, k%g.InC
			cnt := min(g.InC-c0, k1-k)
			ky, kx := win/g.KW, win%g.KW
			iy, ix := oy*g.Stride-g.Pad+ky, ox*g.Stride-g.Pad+kx
			d := base + (k-k0)*mr
			if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
				off := ((img*g.h+iy)*g.w+ix)*g.InC + c0
				for i, v := range src[off : off+cnt] {
					pack[d+i*mr] = v
				}
			} else {
				for i := range cnt {
					pack[d+i*mr] = 0
				}
			}
			k += cnt
		}
		if ox++; ox == g.ow {
			ox = 0
			if oy++; oy == g.oh {
				oy = 0
				img++
			}
		}
	}
}

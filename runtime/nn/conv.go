package nn

import "fmt"

// ConvSpec is the geometry of a 2-D convolution (no dilation).
type ConvSpec struct {
	InC, OutC int // input and output channels
	KH, KW    int // kernel height and width
	Stride    int // the same along both axes
	Pad       int // zero padding on every side
	// Groups splits the channels into that many independent convolutions
	// (ResNeXt's cardinality): output channel o sees only the InC/Groups
	// input channels of its group, o/(OutC/Groups). 0 means 1.
	Groups int
}

// groups returns the number of groups, at least 1.
func (s ConvSpec) groups() int { return max(s.Groups, 1) }

// Out returns the output size for an h×w input, as PyTorch computes it.
func (s ConvSpec) Out(h, w int) (oh, ow int) {
	return (h+2*s.Pad-s.KH)/s.Stride + 1, (w+2*s.Pad-s.KW)/s.Stride + 1
}

// Depth returns KH×KW×InC/Groups, the length of one output value's dot
// product.
func (s ConvSpec) Depth() int { return s.KH * s.KW * s.InC / s.groups() }

func (s ConvSpec) String() string {
	g := ""
	if s.groups() > 1 {
		g = fmt.Sprintf(" groups %d", s.groups())
	}
	return fmt.Sprintf("conv %d→%d %d×%d/%d pad %d%s", s.InC, s.OutC, s.KH, s.KW, s.Stride, s.Pad, g)
}

// Epilogue is what a convolution applies to each output value after adding
// its bias, in this order: add Residual (same layout and length as the
// output) when it is not nil, then ReLU when set. ReLU propagates NaN as
// PyTorch's does. When Sums is not nil (n×OutC values) it is set to each
// image's per-channel sum of the output, summed in the write-back while the
// tiles are still in registers: the squeeze of an SE block that follows,
// without another pass over the output.
//
// Stride, when not 0, is the distance in values between consecutive output
// pixels (at least OutC): the output is then a channel slice of a wider NHWC
// tensor, dst starting at the slice's first channel, as a branch of an
// Inception module writes its channels of the module's concatenated output.
// Residual is laid out the same way, and Sums rows are Stride values apart
// (the same channel slice of a wider n×Stride matrix of sums).
type Epilogue struct {
	Residual []float32
	ReLU     bool
	Sums     []float32
	Stride   int
}

// stride returns the output pixel stride of an epilogue for c channels.
func (ep Epilogue) stride(c int) int {
	if ep.Stride == 0 {
		return c
	}
	return ep.Stride
}

// Conv2d is a convolution with its weights packed once for the GEMM and a
// per-output-channel bias (where a folded batch norm ends up). It is
// immutable and safe for concurrent use.
type Conv2d struct {
	spec   ConvSpec
	eng    *engine       // the micro-kernel and blocking the panels are packed for
	panels []float32     // weights as column panels of nr values, see packWeights
	cols   []panel       // where each panel sits in panels, dst and the input channels
	bias   []float32     // OutC values
	gk     *gconvKernel  // the grouped micro-kernel panels are packed for, if any
	wino   *winogradConv // instead of panels, for a Winograd convolution
}

// NewConv2d packs weight, laid out as PyTorch stores it ([OutC][InC][KH][KW]),
// and copies bias (OutC values; nil means zero).
func NewConv2d(spec ConvSpec, weight, bias []float32) (*Conv2d, error) {
	return newConv2d(spec, weight, bias, defaultEngine)
}

// newConv2d is NewConv2d on engine e.
func newConv2d(spec ConvSpec, weight, bias []float32, e *engine) (*Conv2d, error) {
	if spec.InC < 1 || spec.OutC < 1 || spec.KH < 1 || spec.KW < 1 || spec.Stride < 1 || spec.Pad < 0 ||
		spec.Groups < 0 || spec.InC%spec.groups() != 0 || spec.OutC%spec.groups() != 0 {
		return nil, fmt.Errorf("nn: invalid %v", spec)
	}
	k := spec.Depth()
	if len(weight) != spec.OutC*k {
		return nil, fmt.Errorf("nn: %v: %d weights, want %d", spec, len(weight), spec.OutC*k)
	}
	if bias != nil && len(bias) != spec.OutC {
		return nil, fmt.Errorf("nn: %v: %d biases, want %d", spec, len(bias), spec.OutC)
	}
	cv := &Conv2d{spec: spec, eng: e, bias: make([]float32, spec.OutC)}
	copy(cv.bias, bias)
	if tr := winogradFor(spec, e); tr != nil {
		cv.wino = newWinogradConv(spec, weight, e.nr, tr)
		return cv, nil
	}
	if cv.gk = e.grouped(spec); cv.gk != nil {
		cv.panels = packGrouped(spec, weight, cv.gk)
		return cv, nil
	}
	cv.cols = layoutPanels(spec, e.nr)
	cv.panels = packWeights(spec, weight, cv.cols, e.nr)
	return cv, nil
}

// Spec returns the convolution's geometry.
func (c *Conv2d) Spec() ConvSpec { return c.spec }

// Forward computes dst = epilogue(conv(src) + bias) for n NHWC images of
// h×w×InC values in src, writing n×oh×ow×OutC values to dst (oh, ow from
// Spec().Out; with ep.Stride, (n×oh×ow − 1)×Stride + OutC values or
// more). dst must not overlap src or ep.Residual. It panics on lengths that
// do not fit: buffers are planned by the caller, so a mismatch is a
// programming error.
func (c *Conv2d) Forward(dst, src []float32, n, h, w int, ep Epilogue, ws *Workspace) {
	s, e := c.spec, c.eng
	oh, ow := s.Out(h, w)
	if n < 1 || oh < 1 || ow < 1 {
		panic(fmt.Sprintf("nn: %v: no output for %d×%d×%d input", s, n, h, w))
	}
	m, cols, ld := n*oh*ow, s.OutC, ep.stride(s.OutC)
	// With a stride the slices may run on to the wider tensor's end.
	fits := func(v []float32, rows int) bool {
		want := (rows-1)*ld + cols
		return len(v) == want || (ep.Stride != 0 && len(v) >= want)
	}
	if ld < cols || len(src) != n*h*w*s.InC || !fits(dst, m) || (ep.Residual != nil && !fits(ep.Residual, m)) ||
		(ep.Sums != nil && !fits(ep.Sums, n)) {
		panic(fmt.Sprintf("nn: %v on %d×%d×%d, stride %d: len(src) = %d, len(dst) = %d, len(residual) = %d, len(sums) = %d; want %d, %d, %d",
			s, n, h, w, ld, len(src), len(dst), len(ep.Residual), len(ep.Sums), n*h*w*s.InC, (m-1)*ld+cols, (n-1)*ld+cols))
	}
	if c.wino != nil {
		c.forwardWinograd(dst, src, n, h, w, ld, ep, ws)
		return
	}
	if c.gk != nil {
		c.forwardGrouped(dst, src, n, h, w, oh, ow, ep, ws)
		return
	}
	// A direct convolution cuts its bands for the threads; with sums, the
	// GEMM path, whose row blocks do not depend on them, keeps the sums
	// the same for every thread count.
	if c.direct(ow) && ep.Sums == nil {
		c.forwardDirect(dst, src, n, h, w, oh, ow, ld, ep, ws)
		return
	}
	g := geometry{ConvSpec: s, h: h, w: w, oh: oh, ow: ow}

	// Tasks are (row block, column block) pairs. Row blocks alone give
	// enough parallelism on large images; small ones (7×7 at batch 1 is
	// 49 rows, a single block) also split the output channels.
	rowBlocks := (m + e.mc - 1) / e.mc
	panels := len(c.cols)
	colBlocks := 1
	if want := 4 * ws.threads; ws.threads > 1 && rowBlocks < want {
		colBlocks = min(panels, (want+rowBlocks-1)/rowBlocks)
	}
	perBlock := (panels + colBlocks - 1) / colBlocks
	colBlocks = (panels + perBlock - 1) / perBlock

	ws.reserve((e.mc+e.mr)*e.kc, e.mr*e.nr)
	job := convJob{c: c, g: g, dst: dst, src: src, ep: ep, ld: ld, scratch: ws.scratch,
		m: m, colBlocks: colBlocks, perBlock: perBlock, panels: panels}
	if ep.Sums != nil {
		// Each row block sums into its own rows of partial, one per image
		// it touches, so tasks never add to the same values; the rows are
		// then added up in a fixed order, the same for any thread count.
		job.pixels = oh * ow
		job.span = min(n, e.mc/job.pixels+2)
		ws.partial = grow(ws.partial, rowBlocks*job.span*cols)
		job.partial = ws.partial[:rowBlocks*job.span*cols]
		clear(job.partial)
	}
	if colBlocks >= 2*ws.threads && !g.inPlace() && c.cols[0].win == c.cols[panels-1].win {
		// Every column block of a row block would pack the same A: pack
		// it once, the threads splitting the work, and share it.
		// SE-ResNet-50's stage-4 3×3/2 convolution (49 rows, one row
		// block, eight column blocks on two threads) packed its A eight
		// times and scaled 1.55× on two threads; shared, BenchmarkConv's
		// best pass went from 117–142 to 137–166 GFLOP/s (less in the
		// network, where its weights come from memory). With fewer
		// column blocks a thread packs its own: stage 3's (three) ran as
		// fast either way, its blocks of A hot in the packing core's L2.
		job.sharedA = ws.packShared(g, src, m, job.partial != nil, c.cols[0].win, e)
	}
	ws.conv = job
	ws.Parallel(rowBlocks*colBlocks, &ws.conv)
	ws.conv = convJob{} // drop references to the caller's buffers
	if ep.Sums != nil {
		addPartialSums(ep.Sums, ld, job.partial, rowBlocks, e.mc, m, job.pixels, job.span, cols)
	}
}

// addPartialSums sets sums (n images × cols, rows ld apart) to the
// per-image column sums the row blocks of mc rows (of m, pixels an image)
// left in partial, span images per block, adding them up in block order:
// the same order for every thread count.
func addPartialSums(sums []float32, ld int, partial []float32, rowBlocks, mc, m, pixels, span, cols int) {
	for img := range m / pixels {
		clear(sums[img*ld:][:cols])
	}
	for rb := range rowBlocks {
		m0 := rb * mc
		img0, img1 := m0/pixels, (min(m, m0+mc)-1)/pixels
		for img := img0; img <= img1; img++ {
			part := partial[(rb*span+img-img0)*cols:][:cols]
			sum := sums[img*ld:][:cols]
			for i, v := range part {
				sum[i] += v
			}
		}
	}
}

// addBandSums sets sums (n images × cols, rows ld apart) to each image's
// column sums from partial, bands rows of cols an image (one a band of
// output rows), added in band order: the same for every thread count.
func addBandSums(sums []float32, ld int, partial []float32, n, bands, cols int) {
	for img := range n {
		sum := sums[img*ld:][:cols]
		clear(sum)
		for bnd := range bands {
			for i, v := range partial[(img*bands+bnd)*cols:][:cols] {
				sum[i] += v
			}
		}
	}
}

// lastFlags returns the write-back flags ep asks of a convolution's last
// depth block, the sums aside: the residual add and ReLU.
func (ep Epilogue) lastFlags() int {
	flags := 0
	if ep.Residual != nil {
		flags |= tileResidual
	}
	if ep.ReLU {
		flags |= tileReLU
	}
	return flags
}

// convJob is one Conv2d.Forward call; a task is a (row block, column block).
type convJob struct {
	c                              *Conv2d
	g                              geometry
	dst, src                       []float32
	ep                             Epilogue
	ld                             int // output pixel stride
	scratch                        []scratch
	m, colBlocks, perBlock, panels int

	// With ep.Sums: the row blocks' per-image column sums, span images
	// per row block, and the pixels of one image.
	partial      []float32
	span, pixels int

	// sharedA, if not nil, is all of A packed (see packAJob), read by
	// every column block instead of packing its own.
	sharedA []float32
}

func (j *convJob) Run(worker, task int) {
	m0 := task / j.colBlocks * j.c.eng.mc
	p0 := task % j.colBlocks * j.perBlock
	p1 := min(j.panels, p0+j.perBlock)
	// Panels that read the same input channels share their blocks of A:
	// all of them in a dense convolution, a group's in a grouped one.
	for p := p0; p < p1; {
		q := p + 1
		for q < p1 && j.c.cols[q].win == j.c.cols[p].win {
			q++
		}
		j.runPanels(worker, task, m0, p, q)
		p = q
	}
}

// runPanels computes panels p0…p1-1, which share one input channel window,
// for the rows of task's row block starting at m0.
func (j *convJob) runPanels(worker, task, m0, p0, p1 int) {
	c, e := j.c, j.c.eng
	win := c.cols[p0].win
	k, cols, mr, nr := j.g.KH*j.g.KW*win.n, c.spec.OutC, e.mr, e.nr
	m1 := min(j.m, m0+e.mc)
	sc := &j.scratch[worker]
	_, step := e.depthBlocks(k)
	for k0 := 0; k0 < k; k0 += step {
		kb := min(step, k-k0)
		var a []float32
		lda := kb
		if j.sharedA != nil {
			a = j.sharedA[sharedOffset(m0, m1, k0, k, e.mc, mr, j.partial != nil):]
		} else {
			a, lda = j.g.blockA(sc.pack, j.src, m0, m1, k0, kb, mr, j.partial != nil, win)
		}
		flags := tileAccumulate
		if k0 == 0 {
			flags = tileBias
		}
		if k0+kb == k {
			flags |= j.ep.lastFlags()
			if j.partial != nil {
				flags |= tileSum
			}
		}
		for p := p0; p < p1; p++ {
			pn := c.cols[p]
			b := c.panels[pn.off+k0*nr : pn.off+(k0+kb)*nr]
			col0, ncol := pn.col0, pn.ncol
			bias := c.bias[col0:]
			var next []float32 // the next panel's B, to prefetch
			if p+1 < p1 {
				pn := c.cols[p+1]
				next = c.panels[pn.off+k0*nr : pn.off+(k0+kb)*nr]
			}
			// One kernel call runs the panel down the row block, or down
			// each image's part of it when the tiles' sums are taken.
			for r := m0; r < m1; {
				ar := a[(r-m0)*lda:]
				rows := m1 - r
				var res, sum []float32
				if flags&tileResidual != 0 {
					res = j.ep.Residual[r*j.ld+col0:]
				}
				if j.partial != nil {
					img := r / j.pixels
					rows = min(rows, (img+1)*j.pixels-r)
					sum = j.partial[(task/j.colBlocks*j.span+img-m0/j.pixels)*cols+col0:]
				}
				out := j.dst[r*j.ld+col0:]
				if ncol < nr {
					// The panel is narrower than the tile: compute each
					// tile aside, write the valid columns.
					rows = min(rows, mr)
					e.kernel(kb, ar, lda, b, sc.tile, nr, mr, nil, nil, nil, 0, nil)
					writeTile(sc.tile, nr, out, j.ld, rows, ncol, bias, res, sum, flags)
				} else {
					e.kernel(kb, ar, lda, b, out, j.ld, rows, bias, res, sum, flags, next)
				}
				r += rows
			}
		}
	}
}

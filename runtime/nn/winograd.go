package nn

import "github.com/segen/segen/internal/winograd"

// Winograd convolution: a stride-1, pad-1 3×3 convolution as F(4×4, 3×3)
// or F(2×2, 3×3) (package internal/winograd), 4× or 2.25× fewer multiplies
// than the im2col GEMM, for about half of a ResNet-50's arithmetic. A
// forward pass runs three phases, each split across the workspace's
// goroutines:
//
//  1. the input transform of every T×T input tile (m×m outputs, T = m+2,
//     2 pixels of overlap) into T² slot matrices V[ξ] of tiles × InC;
//  2. the T² products M[ξ] = V[ξ] · U[ξ] (tiles × OutC) on the engine's GEMM
//     micro-kernel, with U[ξ] the transformed weights packed in its panels;
//  3. the output transform of every tile, with bias and the epilogue
//     (residual, ReLU, channel sums) in its write-back.

// winogradTransforms are an engine's assembly transforms of one F(m×m,
// 3×3) over chunks vectors of lanes channels (asm.WinogradInputSignature, …).
type winogradTransforms struct {
	f      *winograd.Transform
	lanes  int
	input  func(v *float32, stride int, d *float32, row, pix, chunks int)
	output func(y *float32, row, pix int, m *float32, stride, chunks int, bias, res, sum *float32, rows, cols, flags int)
}

// winogradConv is the transformed weights of one convolution.
type winogradConv struct {
	tr    *winogradTransforms
	u     []float32 // T² slots of ceil(OutC/nr) panels of InC×nr values
	uSlot int       // values per slot
}

// Which transform a 3×3 convolution runs as, by its InC × OutC. The
// transformed weights are T²/9 times the direct ones and every row block of
// tiles streams all of them, so a layer with few tiles and many weights is
// bound by memory. On an AVX2 core (Zen 3), batch 1, F(4×4, 3×3) ran the
// 3×3 convolutions of ResNet-50 at 3.3× (64 channels, 56²), 3.1× (128,
// 28²) and 2.2× (256, 14²) the GFLOP/s of the im2col GEMM, but at 0.55×
// for 512 channels at 7² (4 tiles, 38 MB of weights per layer); those
// take F(2×2, 3×3): 16 tiles and 17 MB.
const (
	maxF4x3Weights = 256 * 256
	maxF2x3Weights = 512 * 512
)

// winogradFor returns the transforms engine e runs spec with, or nil for
// the im2col GEMM: 3×3, stride 1, pad 1, with whole channel vectors and
// panels and not too many weights.
func winogradFor(spec ConvSpec, e *engine) *winogradTransforms {
	if len(e.winograd) == 0 || spec.groups() != 1 || spec.KH != 3 || spec.KW != 3 || spec.Stride != 1 || spec.Pad != 1 || spec.OutC%e.nr != 0 {
		return nil
	}
	pairs := spec.InC * spec.OutC
	for _, w := range e.winograd {
		if spec.InC%w.lanes != 0 || spec.OutC%w.lanes != 0 {
			continue
		}
		if w.f == winograd.F4x3 && pairs <= maxF4x3Weights || w.f == winograd.F2x3 && pairs <= maxF2x3Weights {
			return w
		}
	}
	return nil
}

// newWinogradConv transforms PyTorch-layout weights: U[ξ] = G g Gᵀ for
// every (output, input) channel pair, in float64, packed as the GEMM's B.
func newWinogradConv(s ConvSpec, weight []float32, nr int, tr *winogradTransforms) *winogradConv {
	wino := tr.f
	t2 := wino.T() * wino.T()
	panels := s.OutC / nr
	w := &winogradConv{tr: tr, uSlot: panels * s.InC * nr}
	w.u = make([]float32, t2*w.uSlot)
	var g [9]float64
	u := make([]float64, t2)
	for o := range s.OutC {
		for c := range s.InC {
			for i, v := range weight[(o*s.InC+c)*9:][:9] {
				g[i] = float64(v)
			}
			at := (o/nr*s.InC+c)*nr + o%nr
			wino.Weights(u, g)
			for xi, v := range u {
				w.u[xi*w.uSlot+at] = float32(v)
			}
		}
	}
	return w
}

// winogradJob is one Winograd Forward call; its phase selects what a task
// is: a row of tiles for the transforms, a (slot, row block) for the GEMM.
type winogradJob struct {
	c             *Conv2d
	tr            *winogradTransforms
	dst, src      []float32
	ep            Epilogue
	scratch       []scratch
	n, h, w, ld   int       // images, their size, the output pixel stride
	th, tw, tiles int       // tiles per column and row of an image, in all
	v, m          []float32 // the slot matrices of the input and of the products
	vSlot, mSlot  int       // values per slot matrix
	rowBlocks     int
	partial       []float32 // with ep.Sums: per row of tiles, OutC sums
	phase         int       // winogradInput, …: what a task is
	flags         int       // the output transform's write-back
}

const (
	winogradInput = iota
	winogradProduct
	winogradOutput
)

// forwardWinograd is Forward for a Winograd convolution, output pixels ld
// values apart (the caller has checked the lengths).
func (c *Conv2d) forwardWinograd(dst, src []float32, n, h, w, ld int, ep Epilogue, ws *Workspace) {
	s, e := c.spec, c.eng
	wino := c.wino.tr.f
	t2 := wino.T() * wino.T()
	th, tw := (h+wino.M-1)/wino.M, (w+wino.M-1)/wino.M
	tiles := n * th * tw
	// Slot matrices hold whole tiles of GEMM rows, so the micro-kernel may
	// read the last one through.
	rows := (tiles + e.mr - 1) / e.mr * e.mr
	j := &ws.wino
	*j = winogradJob{c: c, tr: c.wino.tr, dst: dst, src: src, ep: ep, scratch: ws.scratch,
		n: n, h: h, w: w, ld: ld, th: th, tw: tw, tiles: tiles,
		vSlot: slotStride(rows * s.InC), mSlot: slotStride(rows * s.OutC), rowBlocks: (tiles + e.mc - 1) / e.mc}
	ws.winoV, ws.winoM = grow(ws.winoV, t2*j.vSlot), grow(ws.winoM, t2*j.mSlot)
	j.v, j.m = ws.winoV[:t2*j.vSlot], ws.winoM[:t2*j.mSlot]
	ws.reserve((e.mc+e.mr)*e.kc, e.mr*e.nr)
	for i := range ws.scratch {
		ws.scratch[i].patch = grow(ws.scratch[i].patch, t2*s.InC)
	}
	j.flags |= ep.lastFlags()
	if ep.Sums != nil {
		j.flags |= tileSum
		ws.partial = grow(ws.partial, n*th*s.OutC)
		j.partial = ws.partial[:n*th*s.OutC]
		clear(j.partial)
	}

	j.phase = winogradInput
	ws.Parallel(n*th, j)
	j.phase = winogradProduct
	ws.Parallel(t2*j.rowBlocks, j)
	j.phase = winogradOutput
	ws.Parallel(n*th, j)
	if ep.Sums != nil {
		// Rows of tiles summed in a fixed order: the same for any thread count.
		for img := range n {
			clear(ep.Sums[img*ld:][:s.OutC])
		}
		for r := range n * th {
			sum := ep.Sums[r/th*ld:][:s.OutC]
			for i, v := range j.partial[r*s.OutC:][:s.OutC] {
				sum[i] += v
			}
		}
	}
	*j = winogradJob{} // drop references to the caller's buffers
}

// slotStride returns how many values apart two slot matrices of n values
// are placed: n rounded up to an odd number of 64-byte lines. The
// transforms read or write one tile in all T² slots in a row, and slots a
// multiple of 4 KiB apart share the L1's sets (16 tiles of 256 channels
// make 18 KiB slots, which fell into two of its 64 sets; F(2×2)'s of 512
// channels, 36 KiB, into one), so every access missed; an odd number of
// lines apart they spread over all sets. It made the transforms of a
// 256-channel layer at 14² three times faster.
func slotStride(n int) int {
	return ((n+15)/16 | 1) * 16
}

func (j *winogradJob) Run(worker, task int) {
	switch j.phase {
	case winogradInput:
		j.inputRow(worker, task)
	case winogradProduct:
		j.product(task)
	default:
		j.outputRow(task)
	}
}

// inputRow transforms row r of tiles (over all images: r = image·th + ty).
// Tiles inside the image read the input in place; those that hang over its
// edge (the zero padding, or past the last row or column) are copied into
// a zero-padded 6×6 patch first.
func (j *winogradJob) inputRow(worker, r int) {
	inC, wino := j.c.spec.InC, j.tr.f
	t := wino.T()
	img, ty := r/j.th, r%j.th
	y0 := ty*wino.M - 1 // input row of the tile's first row
	patch := j.scratch[worker].patch[:t*t*inC]
	for tx := range j.tw {
		x0 := tx*wino.M - 1
		tile := r*j.tw + tx
		v := j.v[tile*inC:]
		_ = v[(t*t-1)*j.vSlot+inC-1] // the tile's last slot is inside v
		if y0 >= 0 && x0 >= 0 && y0+t <= j.h && x0+t <= j.w {
			d := j.src[((img*j.h+y0)*j.w+x0)*inC:]
			_ = d[((t-1)*j.w+t-1)*inC+inC-1] // the tile's last pixel is inside src
			j.tr.input(&v[0], j.vSlot, &d[0], j.w*inC, inC, inC/j.tr.lanes)
			continue
		}
		clear(patch)
		for py := max(0, -y0); py < min(t, j.h-y0); py++ {
			px0, px1 := max(0, -x0), min(t, j.w-x0)
			if px0 >= px1 {
				continue
			}
			from := ((img*j.h+y0+py)*j.w + x0) * inC
			copy(patch[(py*t+px0)*inC:(py*t+px1)*inC], j.src[from+px0*inC:from+px1*inC])
		}
		j.tr.input(&v[0], j.vSlot, &patch[0], t*inC, inC, inC/j.tr.lanes)
	}
}

// product runs the GEMM of one slot ξ over one row block of tiles:
// M[ξ] = V[ξ] · U[ξ], all panels, in depth blocks of equal size.
func (j *winogradJob) product(task int) {
	c, e := j.c, j.c.eng
	inC, outC, nr := c.spec.InC, c.spec.OutC, e.nr
	xi, rb := task/j.rowBlocks, task%j.rowBlocks
	m0 := rb * e.mc
	rows := min(j.tiles, m0+e.mc) - m0
	v := j.v[xi*j.vSlot+m0*inC : (xi+1)*j.vSlot]
	m := j.m[xi*j.mSlot+m0*outC : (xi+1)*j.mSlot]
	u := c.wino.u[xi*c.wino.uSlot : (xi+1)*c.wino.uSlot]
	_, step := e.depthBlocks(inC)
	for k0 := 0; k0 < inC; k0 += step {
		kb := min(step, inC-k0)
		flags := tileAccumulate
		if k0 == 0 {
			flags = 0
		}
		panels := outC / nr
		for p := range panels {
			b := u[(p*inC+k0)*nr : (p*inC+k0+kb)*nr]
			var next []float32 // the next panel's B, to prefetch
			if p+1 < panels {
				next = u[((p+1)*inC+k0)*nr : ((p+1)*inC+k0+kb)*nr]
			}
			e.kernel(kb, v[k0:], inC, b, m[p*nr:], outC, rows, nil, nil, nil, flags, next)
		}
	}
}

// outputRow transforms row r of tiles back, writing the 4×4 outputs of each
// (fewer at the image's last row and column) with bias and the epilogue.
func (j *winogradJob) outputRow(r int) {
	outC, wino := j.c.spec.OutC, j.tr.f
	img, ty := r/j.th, r%j.th
	y0 := ty * wino.M
	rows := min(wino.M, j.h-y0)
	bias := j.c.bias
	// Pointers the transform walks even when their flag is off must still
	// point into slices of OutC values or more.
	sum := bias
	if j.partial != nil {
		sum = j.partial[r*outC:][:outC]
	}
	t2 := wino.T() * wino.T()
	for tx := range j.tw {
		x0 := tx * wino.M
		cols := min(wino.M, j.w-x0)
		tile := r*j.tw + tx
		m := j.m[tile*outC:]
		_ = m[(t2-1)*j.mSlot+outC-1]
		at := ((img*j.h+y0)*j.w + x0) * j.ld
		last := at + ((rows-1)*j.w+cols-1)*j.ld + outC // one past the last value written
		y := j.dst[at:last]
		res := y
		if j.ep.Residual != nil {
			res = j.ep.Residual[at:last]
		}
		j.tr.output(&y[0], j.w*j.ld, j.ld, &m[0], j.mSlot, outC/j.tr.lanes, &bias[0], &res[0], &sum[0], rows, cols, j.flags)
	}
}

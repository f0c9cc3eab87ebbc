package nn

//go:generate go run asm.go

// The GEMM behind every convolution: dst[M×N] = A[M×K] · B[K×N] + bias, with
// A the im2col view of the input and B the weights, packed once at load. It
// is blocked the classic way (Goto/BLIS): a task owns mc output rows and a
// range of nr-wide column panels; for each kc-deep slice of K it gets its
// rows of A as a row-major block (see blockA), then runs the engine's
// mr×nr micro-kernel over every (row tile, column panel) pair, keeping the
// mr×nr accumulators in registers for the whole kc loop and applying bias,
// residual and ReLU as it writes the tile back.

// window is a run of input channels: the ones a panel's output channels
// read (all of them in a dense convolution, their groups' in a grouped one).
type window struct{ off, n int }

// panel is one nr-wide column panel of the GEMM's B: output channels
// col0…col0+ncol-1, reading input channel window win, its KH×KW×win.n×nr
// values at panels[off:].
type panel struct {
	col0, ncol, off int
	win             window
}

// layoutPanels places the panels of s for tiles nr wide. A dense
// convolution has ceil(OutC/nr) panels over all input channels. A grouped
// one whose groups are narrower than a tile packs nr/(OutC/Groups) whole
// groups into each panel, block-diagonally (the weights between one
// group's outputs and another's inputs are zeros), so every tile is full
// width; wider groups get their own panels.
func layoutPanels(s ConvSpec, nr int) []panel {
	g := s.groups()
	cin, cout := s.InC/g, s.OutC/g
	per := 1 // groups per panel
	if g > 1 && cout < nr && nr%cout == 0 {
		per = nr / cout
	}
	var ps []panel
	off := 0
	for g0 := 0; g0 < g; g0 += per {
		n := min(per, g-g0)
		win := window{g0 * cin, n * cin}
		for c := 0; c < n*cout; c += nr {
			p := panel{col0: g0*cout + c, ncol: min(nr, n*cout-c), off: off, win: win}
			ps = append(ps, p)
			off += s.KH * s.KW * win.n * nr
		}
	}
	return ps
}

// packWeights arranges PyTorch-layout weights ([OutC][InC/Groups][KH][KW])
// as the GEMM's B, one block per panel of ps: row k of a panel is window
// position (ky, kx) and input channel c of the panel's window, k = (ky·KW +
// kx)·win.n + c (the order an NHWC window is laid out in), and column j is
// output channel col0 + j; columns past ncol and the weights between
// different groups are zero. A kc-deep slice of a panel is then one
// contiguous micro-panel.
//
// It writes the panels in order, reading a panel's nr weight rows side by
// side: they stay in L1 while a depth runs along them, where writing in
// weight order would touch a new cache line for every value.
func packWeights(s ConvSpec, weight []float32, ps []panel, nr int) []float32 {
	last := ps[len(ps)-1]
	out := make([]float32, last.off+s.KH*s.KW*last.win.n*nr)
	cin, cout := s.InC/s.groups(), s.OutC/s.groups()
	taps := s.KH * s.KW
	base := make([]int, nr)  // where column j's weights start, or -1 past ncol
	first := make([]int, nr) // the window channel of column j's group's first input
	for _, p := range ps {
		for j := range nr {
			base[j] = -1
			if o := p.col0 + j; j < p.ncol {
				base[j] = o * cin * taps
				first[j] = o/cout*cin - p.win.off
			}
		}
		i := p.off
		for tap := range taps {
			for wc := range p.win.n { // channel of the window
				for j, b := range base {
					if c := wc - first[j]; b >= 0 && c >= 0 && c < cin { // column j reads this channel
						out[i+j] = weight[b+c*taps+tap]
					}
				}
				i += nr
			}
		}
	}
	return out
}

// geometry is a convolution applied to one input size.
type geometry struct {
	ConvSpec
	h, w, oh, ow int
}

// inPlace reports whether the im2col matrix is the input itself: a 1×1,
// stride-1, unpadded convolution reads row m of A as pixel m of the NHWC
// activation.
func (g *geometry) inPlace() bool {
	return g.KH == 1 && g.KW == 1 && g.Stride == 1 && g.Pad == 0
}

// blockA returns rows m0…m1-1, depths k0…k0+kb-1 of the im2col matrix of
// src as a row-major matrix a with row stride lda, readable for whole
// mr-row tiles: a holds (padded-1)·lda + kb values, padded = m1-m0 rounded
// up to mr, or with anyStart m1-m0+mr-1, for tiles that may start on any
// row (at image boundaries). A 1×1 stride-1 convolution returns a view of
// src (no copy) when the padding rows exist in it; anything else is copied
// into pack with zeros for the window's padding and for the padding rows.
func (g *geometry) blockA(pack, src []float32, m0, m1, k0, kb, mr int, anyStart bool, win window) (a []float32, lda int) {
	rows := m1 - m0
	padded := paddedRows(rows, mr, anyStart)
	if g.inPlace() && win.n == g.InC {
		if start := m0*g.InC + k0; start+(padded-1)*g.InC+kb <= len(src) {
			return src[start:], g.InC
		}
	}
	pack = pack[:padded*kb]
	for r := range rows {
		g.packRow(pack[r*kb:(r+1)*kb], src, m0+r, k0, win)
	}
	clear(pack[rows*kb:])
	return pack, kb
}

// paddedRows returns the rows blockA makes readable for rows rows of A:
// whole tiles of mr, or with anyStart rows+mr-1, for tiles that may start
// on any row.
func paddedRows(rows, mr int, anyStart bool) int {
	if anyStart {
		return rows + mr - 1
	}
	return (rows + mr - 1) / mr * mr
}

// packRow copies depths k0…k0+len(dst)-1 of row m of the im2col matrix of
// src over the input channels of win to dst. Row m is output pixel (image,
// oy, ox); depth k is window position (ky, kx) and channel win.off + c,
// k = (ky·KW + kx)·win.n + c. For one ky the window's KW positions are
// KW·InC contiguous values of the NHWC input, so with all channels each
// kernel row is one copy, with zeros where the window hangs over the
// padding; a group's channels are one copy per kernel position.
func (g *geometry) packRow(dst, src []float32, m, k0 int, win window) {
	img, rem := m/(g.oh*g.ow), m%(g.oh*g.ow)
	oy, ox := rem/g.ow, rem%g.ow
	k1 := k0 + len(dst)
	cn := win.n
	seg := g.KW * cn
	ix0 := ox*g.Stride - g.Pad                     // input column of kx = 0
	kxLo, kxHi := max(0, -ix0), min(g.KW, g.w-ix0) // kernel columns inside the image
	for ky := k0 / seg; ky*seg < k1; ky++ {
		s := ky * seg
		lo, hi := max(s, k0), min(s+seg, k1) // depths of this kernel row to fill
		iy := oy*g.Stride - g.Pad + ky
		if iy < 0 || iy >= g.h || kxLo >= kxHi {
			clear(dst[lo-k0 : hi-k0])
			continue
		}
		vlo, vhi := max(lo, s+kxLo*cn), min(hi, s+kxHi*cn) // depths inside the image
		if vlo >= vhi {
			clear(dst[lo-k0 : hi-k0])
			continue
		}
		clear(dst[lo-k0 : vlo-k0])
		pix := ((img*g.h+iy)*g.w + ix0) * g.InC // src index of kernel column 0, channel 0
		if cn == g.InC {
			base := pix - s // src index of depth d is base + d
			copyShort(dst[vlo-k0:vhi-k0], src[base+vlo:base+vhi])
		} else {
			for d := vlo; d < vhi; {
				kx, c := (d-s)/cn, (d-s)%cn
				n := min(cn-c, vhi-d)
				si := pix + kx*g.InC + win.off + c
				copyShort(dst[d-k0:d-k0+n], src[si:si+n])
				d += n
			}
		}
		clear(dst[vhi-k0 : hi-k0])
	}
}

// copyShort copies src to dst (equal lengths): runs of at most 8 values
// (a window clipped to a column or two of a 3-channel image) in a loop,
// cheaper than a call to memmove; anything longer with copy, whose vector
// moves beat the loop already at the stem's 21 values (7 columns × 3
// channels: the stem ran 25 % faster for it).
func copyShort(dst, src []float32) {
	if len(src) > 8 {
		copy(dst, src)
		return
	}
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v
	}
}

// depthBlocks returns how many blocks a GEMM of depth k runs in and the
// depth of each but the last, at most kc: blocks of equal size, so K = 576
// (3×3×64) runs as 2×288, not 256 + 256 + 64, whose short last block pays
// a C pass for little work.
func (e *engine) depthBlocks(k int) (blocks, step int) {
	blocks = (k + e.kc - 1) / e.kc
	return blocks, (k + blocks - 1) / blocks
}

// packAJob packs all of a convolution's A once, for column blocks that
// share it: a task is one (row block, depth block), packed by blockA into
// its place in shared (sharedOffset), in the depth blocks runPanels uses
// (depthBlocks).
type packAJob struct {
	g            geometry
	src, shared  []float32
	m, mc, mr, k int
	step, blocks int
	anyStart     bool
	win          window
}

func (j *packAJob) Run(_, task int) {
	m0, k0 := task/j.blocks*j.mc, task%j.blocks*j.step
	m1, kb := min(j.m, m0+j.mc), min(j.step, j.k-k0)
	off := sharedOffset(m0, m1, k0, j.k, j.mc, j.mr, j.anyStart)
	j.g.blockA(j.shared[off:off+paddedRows(m1-m0, j.mr, j.anyStart)*kb], j.src, m0, m1, k0, kb, j.mr, j.anyStart, j.win)
}

// sharedOffset is where the block of rows m0…m1-1 and depths from k0 of
// an A of depth k starts in a packAJob's buffer: row blocks of mc rows one
// after another, each its depth blocks one after another, a depth block
// the row block's padded rows (paddedRows) of its depths.
func sharedOffset(m0, m1, k0, k, mc, mr int, anyStart bool) int {
	return m0/mc*paddedRows(mc, mr, anyStart)*k + paddedRows(m1-m0, mr, anyStart)*k0
}

// packShared packs all m rows of g's A over window win for engine e's
// blocking into the workspace's shared buffer, across its threads, and
// returns it.
func (ws *Workspace) packShared(g geometry, src []float32, m int, anyStart bool, win window, e *engine) []float32 {
	k := g.KH * g.KW * win.n
	blocks, step := e.depthBlocks(k)
	rowBlocks := (m + e.mc - 1) / e.mc
	last := (rowBlocks - 1) * e.mc
	size := sharedOffset(last, m, 0, k, e.mc, e.mr, anyStart) + paddedRows(m-last, e.mr, anyStart)*k
	ws.sharedA = grow(ws.sharedA, size)
	ws.packA = packAJob{g: g, src: src, shared: ws.sharedA[:size], m: m, mc: e.mc, mr: e.mr, k: k,
		step: step, blocks: blocks, anyStart: anyStart, win: win}
	ws.Parallel(rowBlocks*blocks, &ws.packA)
	shared := ws.packA.shared
	ws.packA = packAJob{}
	return shared
}

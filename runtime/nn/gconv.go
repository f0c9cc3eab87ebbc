package nn

import (
	"fmt"

	"github.com/segen/segen/isa"
)

// Grouped 3×3 convolutions (ResNeXt's) on micro-kernels of their own.
//
// A grouped convolution does little work per input value — a group of 4
// channels feeds 4 outputs — so packing an im2col block for it would cost
// as much as the arithmetic, and a GEMM tile 16 or 32 channels wide over a
// group of 4 would compute mostly zeros. Instead each micro-kernel reads
// every output pixel's 3×3 window in place, through one pointer per tile
// row, from a list of pixels (their windows' and their outputs' offsets),
// Rows pixels at a time: a call runs a chunk of tile columns (each a few
// groups' output channels) over the pixels of a band of output rows.
// Pixels whose window lies inside the image read the layer's input itself;
// the others — the first and last rows and columns — read a copy of the
// band with a zero border in which only what they read is filled. Groups
// of 4 go by diagonals, others narrower than a vector in phases (see
// asm.GConvTile), so every FMA lane is useful. The write-back is the GEMM's: bias, residual, ReLU and the SE
// column sums.

// gconvKernel is one grouped micro-kernel (gconv_amd64.s) and its tile.
type gconvKernel struct {
	name                      string // of the assembly function
	isa                       isa.ISA
	in, out                   int // channels of a group
	rows, vecs, phases, lanes int
	diagonals                 bool
	kernel                    gconvFunc
	// run, if not nil, runs in the kernel's place on its checked slices
	// (tests run the kernels of a CPU's missing ISA on an interpreter).
	run func(a []float32, px *gconvPixels, cols, pix, row int, b, c, bias, res, sum []float32, flags int)
}

// gconvFunc is the signature of the grouped micro-kernels
// (asm.GConvSignature).
type gconvFunc func(a *float32, offs *int, n int, cols int, pix int, row int, b *float32, c *float32, bias *float32, res *float32, sum *float32, flags int)

// cols returns the output channels of a tile.
func (k *gconvKernel) cols() int { return k.vecs * k.lanes / k.phases }

// steps returns the weight vectors per window position and tile vector:
// the depth steps of one window position, or the four diagonals.
func (k *gconvKernel) steps() int { return k.in / k.phases }

// weights returns the packed weights of one tile column.
func (k *gconvKernel) weights() int { return 9 * k.steps() * k.vecs * k.lanes }

// groups returns the number of groups whose input a tile reads.
func (k *gconvKernel) groups() int { return (k.cols() + k.out - 1) / k.out }

// grouped returns e's grouped kernel for s, or nil when s is not a 3×3
// convolution over groups with a kernel of its shape.
func (e *engine) grouped(s ConvSpec) *gconvKernel {
	g := s.groups()
	if g == 1 || s.KH != 3 || s.KW != 3 || s.Pad != 1 {
		return nil
	}
	for i := range e.gconv {
		k := &e.gconv[i]
		if k.in == s.InC/g && k.out == s.OutC/g && s.OutC%k.cols() == 0 {
			return k
		}
	}
	return nil
}

// packGrouped arranges PyTorch-layout weights for k: per tile column (cols
// output channels), per window position (ky, kx) and step, vecs vectors of
// lanes values. With phases P, lane j·P + p of vector v is the tile's
// output channel v·lanes/P + j at input channel step·P + p of its group;
// with diagonals, lane j of step k is the weight between the channels
// gconvDiagonal(k, j) of the lane's group.
func packGrouped(s ConvSpec, weight []float32, k *gconvKernel) []float32 {
	cols, size := k.cols(), k.weights()
	out := make([]float32, s.OutC/cols*size)
	for tc := range s.OutC / cols {
		p := out[tc*size:][:size]
		per := k.lanes / k.phases
		i := 0
		for ky := range 3 {
			for kx := range 3 {
				for st := range k.steps() {
					for v := range k.vecs {
						for l := range k.lanes {
							o, c := tc*cols+v*per+l/k.phases, st*k.phases+l%k.phases
							if k.diagonals {
								do, dc := gconvDiagonal(st, l%4)
								o, c = tc*cols+l/4*4+do, dc
							}
							p[i] = weight[((o*k.in+c)*3+ky)*3+kx]
							i++
						}
					}
				}
			}
		}
	}
	return out
}

// gconvDiagonal is asm.GConvDiagonal: the output and input channels of a
// group of 4 that lane j of diagonal weight vector k joins. Its FMA reads
// the input turned by two (k ≥ 2) or not, and adds into the accumulator
// whose lane j holds output channel j+1 (k odd) or j.
func gconvDiagonal(k, j int) (o, c int) {
	return (j + k%2) % 4, (j + 2*(k/2)) % 4
}

// forwardGrouped is Forward on c's grouped kernel.
//
// A task is a band of output rows of one image × a block of tile columns.
// Its pixels whose window lies inside the image read the input in place;
// for the others it first copies what they read — the input rows of the
// band's first and last output rows, and the few pixels of the first and
// last columns' windows, the block's channels only — into a per-worker
// buffer laid out as the band's input with a zero border. Each chunk of
// tile columns is then one call over the interior pixels and one over the
// edge ones. A band's input is bounded (gconvBandBytes); bands too short
// to fill many tiles take narrower blocks, which lets them grow, as every
// band pads its two pixel lists to whole tiles and reads its window's
// overlap rows again.
func (c *Conv2d) forwardGrouped(dst, src []float32, n, h, w, oh, ow int, ep Epilogue, ws *Workspace) {
	s, k := c.spec, c.gk
	wp := w + 2
	tiles := s.OutC / k.cols()
	band := func(perBlock int) int { // output rows a band of blocks of perBlock tile columns may hold
		rows := gconvBandBytes/(4*wp*k.blockChannels(perBlock, s.InC)) - 3 // input rows beyond a single output row's three
		return max(1, min(oh, rows/s.Stride+1))
	}
	perBlock := tiles
	rows := band(perBlock)
	for perBlock > 1 && rows < oh && rows*ow < gconvBandTiles*k.rows {
		perBlock = (perBlock + 1) / 2
		rows = band(perBlock)
	}
	// Enough tasks for the threads to share: shorter bands while they keep
	// a few tiles, then narrower blocks. With sums, only narrower blocks:
	// a column's sum adds up its band's tiles, so bands cut for the
	// threads would make the sums depend on the thread count.
	for want := 4 * ws.threads; ws.threads > 1 && n*((oh+rows-1)/rows)*((tiles+perBlock-1)/perBlock) < want; {
		switch {
		case ep.Sums == nil && rows*ow >= 2*gconvThreadTiles*k.rows:
			rows = (rows + 1) / 2
		case perBlock > 1:
			perBlock = (perBlock + 1) / 2
		default:
			want = 0
		}
	}
	if per := k.out / k.cols(); per > 1 {
		// A block starts at a group's first tile (see asm.GConv).
		perBlock = (perBlock + per - 1) / per * per
	}
	colBlocks := (tiles + perBlock - 1) / perBlock
	channels := k.blockChannels(perBlock, s.InC)
	bands := (oh + rows - 1) / rows
	for i := range ws.scratch {
		sc := &ws.scratch[i]
		// Two lists of the band's pixels, each padded to whole tiles.
		sc.offs = growInts(sc.offs, 2*(rows*ow+2*k.rows))
		sc.pack = grow(sc.pack, ((rows-1)*s.Stride+3)*wp*channels)
	}
	lists := ws.gconv.lists
	if len(lists) < len(ws.scratch) {
		lists = make([]gconvLists, len(ws.scratch))
	}
	for i := range lists {
		lists[i].band = -1
	}
	job := gconvJob{c: c, src: src, dst: dst, ep: ep, ld: ep.stride(s.OutC), scratch: ws.scratch, lists: lists,
		h: h, w: w, oh: oh, ow: ow, rows: rows, bands: bands, colBlocks: colBlocks, perBlock: perBlock, tiles: tiles, channels: channels}
	if ep.Sums != nil {
		ws.partial = grow(ws.partial, n*bands*s.OutC)
		job.partial = ws.partial[:n*bands*s.OutC]
	}
	ws.gconv = job
	ws.Parallel(n*bands*colBlocks, &ws.gconv)
	ws.gconv = gconvJob{lists: lists}
	if ep.Sums != nil {
		addBandSums(ep.Sums, job.ld, job.partial, n, bands, s.OutC)
	}
}

// blockChannels returns the input channels (of inC) a block of per tile
// columns reads: blocks start at a group.
func (k *gconvKernel) blockChannels(per, inC int) int {
	return min(inC, (per*k.cols()+k.out-1)/k.out*k.in)
}

// gconvBandTiles is the fewest tiles of pixels a band should hold, unless
// it is the whole image or its block a single tile column. A variable, as
// gconvBandBytes is.
var gconvBandTiles = 16

// gconvThreadTiles is the fewest tiles of pixels a band is cut down to so
// that threads have tasks to share.
const gconvThreadTiles = 4

// gconvBandBytes bounds the input a task reads, and so its buffer of edge
// pixels (laid out as that input, but of which only the edges are
// written): two L2s. Taller bands of more channels pay off beyond L2: the
// chunks of tile columns stream their own channels of the band, and each
// reads the input row a window moves onto while the previous rows are
// still in L1 and L2. A variable so that tests make bands of small planes.
var gconvBandBytes = 1 << 20

// gconvJob is one grouped Forward call; a task is a (band, tile column
// block).
type gconvJob struct {
	c                          *Conv2d
	src, dst                   []float32
	ep                         Epilogue
	ld                         int // output pixel stride
	scratch                    []scratch
	lists                      []gconvLists // per worker
	h, w, oh, ow               int
	rows, bands                int // output rows per band, bands per image
	colBlocks, perBlock, tiles int
	channels                   int       // the patch's pixel stride: the most channels a block reads
	partial                    []float32 // with ep.Sums: n·bands rows of OutC sums
}

// gconvLists are the pixel lists of a band, in its worker's scratch.offs;
// every image and block of the band shares them, so a worker keeps those
// of the band it ran last (the blocks of a band are consecutive tasks).
type gconvLists struct {
	band        int // -1 before a Forward call's first task
	inner, edge gconvPixels
}

// gconvPixels lists output pixels for a grouped micro-kernel: two offsets
// a pixel, of its window's top-left input pixel and of its output, padded
// to whole tiles by repeating the last pixel.
type gconvPixels struct {
	offs           []int
	n              int
	minIn, maxIn   int
	minOut, maxOut int
}

// add appends a pixel.
func (p *gconvPixels) add(in, out int) {
	if p.n == 0 {
		p.minIn, p.maxIn, p.minOut, p.maxOut = in, in, out, out
	}
	p.minIn, p.maxIn = min(p.minIn, in), max(p.maxIn, in)
	p.minOut, p.maxOut = min(p.minOut, out), max(p.maxOut, out)
	p.offs = append(p.offs, in, out)
	p.n++
}

// pad repeats the last pixel up to a whole number of tiles of rows.
func (p *gconvPixels) pad(rows int) {
	for p.n > 0 && len(p.offs)/2%rows != 0 {
		p.offs = append(p.offs, p.offs[len(p.offs)-2:]...)
	}
}

// gconvInterior returns the output positions lo ≤ i < hi along one axis of
// an input of size values whose 3-wide window (stride, padding 1) lies
// inside the input; none when lo ≥ hi.
func gconvInterior(size, stride, out int) (lo, hi int) {
	if size < 3 {
		return 1, 1
	}
	return 1, min(out, (size-2)/stride+1)
}

// interior returns the output rows [y0, y1) and columns [x0, x1) of the
// band oy0 ≤ oy < oy1 whose windows lie inside the image; the band's other
// pixels are its edge.
func (j *gconvJob) interior(oy0, oy1 int) (y0, y1, x0, x1 int) {
	s := j.c.spec.Stride
	yA, yB := gconvInterior(j.h, s, j.oh)
	x0, x1 = gconvInterior(j.w, s, j.ow)
	if x0 >= x1 { // no interior column: every row is an edge row
		return oy0, oy0, x0, x1
	}
	y0 = max(oy0, yA)
	return y0, max(y0, min(oy1, yB)), x0, x1
}

// list fills l with the pixel lists of band bnd, output rows oy0 ≤ oy <
// oy1: the interior's windows from the image's first input pixel, the
// edge's from the patch's; outputs from the band's first.
func (j *gconvJob) list(l *gconvLists, offs []int, bnd, oy0, oy1 int) {
	s, k := j.c.spec, j.c.gk
	wp := j.w + 2
	y0, y1, x0, x1 := j.interior(oy0, oy1)
	l.band = bnd
	l.inner = gconvPixels{offs: offs[:0]}
	for oy := y0; oy < y1; oy++ {
		for ox := x0; ox < x1; ox++ {
			l.inner.add(((oy*s.Stride-1)*j.w+ox*s.Stride-1)*s.InC, ((oy-oy0)*j.ow+ox)*j.ld)
		}
	}
	l.inner.pad(k.rows)
	used := len(l.inner.offs)
	l.edge = gconvPixels{offs: offs[used:used]}
	for oy := oy0; oy < oy1; oy++ {
		for ox := 0; ox < j.ow; ox++ {
			if oy >= y0 && oy < y1 && ox == x0 {
				ox = x1 // past the interior
			}
			if ox < j.ow {
				l.edge.add(((oy-oy0)*s.Stride*wp+ox*s.Stride)*j.channels, ((oy-oy0)*j.ow+ox)*j.ld)
			}
		}
	}
	l.edge.pad(k.rows)
}

// fillPatch copies into patch what the edge pixels of band oy0 ≤ oy < oy1
// read of image img's channels ch0 … ch0+cn-1: input rows oy0·stride-1 …
// (oy1-1)·stride+1, zero outside the image, whole where an edge row's
// window covers them, elsewhere only the pixels of the first and last
// columns' windows.
func (j *gconvJob) fillPatch(patch []float32, img, oy0, oy1, ch0, cn int) {
	s := j.c.spec
	wp, pc := j.w+2, j.channels
	y0, y1, x0, x1 := j.interior(oy0, oy1)
	for r := range (oy1-oy0-1)*s.Stride + 3 {
		row := patch[r*wp*pc:][:wp*pc]
		iy := oy0*s.Stride - 1 + r
		if iy < 0 || iy >= j.h {
			clear(row)
			continue
		}
		clear(row[:pc])
		clear(row[(wp-1)*pc:])
		in := j.src[(img*j.h+iy)*j.w*s.InC:][:j.w*s.InC]
		put := func(xa, xb int) { // input pixels xa ≤ x < xb
			if cn == s.InC {
				copy(row[(xa+1)*pc:(xb+1)*pc], in[xa*cn:xb*cn])
				return
			}
			for x := xa; x < xb; x++ {
				copy(row[(x+1)*pc:][:cn], in[x*s.InC+ch0:][:cn])
			}
		}
		// Whether an edge row of the band has its window over patch row r.
		full := false
		for oy := oy0 + max(0, (r-2+s.Stride-1)/s.Stride); oy <= oy0+min(oy1-oy0-1, r/s.Stride); oy++ {
			full = full || oy < y0 || oy >= y1
		}
		switch {
		case full:
			put(0, j.w)
		case x1 < j.ow: // first and last columns
			put(0, min(j.w, (x0-1)*s.Stride+2))
			put(max(0, x1*s.Stride-1), j.w)
		default: // the last column is interior
			put(0, min(j.w, (x0-1)*s.Stride+2))
		}
	}
}

func (j *gconvJob) Run(worker, task int) {
	c, k := j.c, j.c.gk
	s := c.spec
	img, bnd := task/j.colBlocks/j.bands, task/j.colBlocks%j.bands
	t0 := task % j.colBlocks * j.perBlock
	t1 := min(j.tiles, t0+j.perBlock)
	cols, size := k.cols(), k.weights()
	g0, g1 := t0*cols/k.out, (t1*cols+k.out-1)/k.out // the groups the block reads
	ch0, cn := g0*k.in, (g1-g0)*k.in
	oy0 := bnd * j.rows
	oy1 := min(j.oh, oy0+j.rows)
	wp := j.w + 2
	sc := &j.scratch[worker]
	l := &j.lists[worker]
	if l.band != bnd {
		j.list(l, sc.offs, bnd, oy0, oy1)
	}
	patch := sc.pack[:((oy1-oy0-1)*s.Stride+3)*wp*j.channels]
	if l.edge.n > 0 {
		j.fillPatch(patch, img, oy0, oy1, ch0, cn)
	}

	flags := j.ep.lastFlags()
	var sums []float32
	if j.partial != nil {
		flags |= tileSum
		sums = j.partial[(img*j.bands+bnd)*s.OutC:][:s.OutC]
		for tc := t0; tc < t1; tc++ {
			clear(sums[tc*cols:][:cols])
		}
	}
	srcImg := img * j.h * j.w * s.InC
	out := (img*j.oh + oy0) * j.ow * j.ld // the band's first output pixel
	// One kernel call a pixel list and chunk of tile columns: for each
	// tile of pixels, the chunk's columns in turn read the tile's input
	// from L1 — the pixels' channels one after the other, which the
	// hardware prefetches well — and their weights from L2.
	chunk := max(1, gconvChunkBytes/(4*size))
	if per := k.out / cols; per > 1 {
		chunk = max(1, chunk/per) * per // whole groups (see asm.GConv)
	}
	for c0 := t0; c0 < t1; c0 += chunk {
		c1 := min(t1, c0+chunk)
		col0 := c0 * cols
		ch := col0 / k.out * k.in // the chunk's first input channel
		var res, sum []float32
		if j.ep.Residual != nil {
			res = j.ep.Residual[out+col0:]
		}
		if sums != nil {
			sum = sums[col0:]
		}
		for _, call := range [2]struct {
			px       *gconvPixels
			a        []float32
			pix, row int
		}{{&l.inner, j.src[srcImg+ch:], s.InC, j.w * s.InC}, {&l.edge, patch[ch-ch0:], j.channels, wp * j.channels}} {
			if call.px.n == 0 {
				continue
			}
			j.check(c0, c1, call.px, call.a, call.pix, call.row, out+col0, sums)
			k.call(call.a, call.px, c1-c0, call.pix, call.row, c.panels[c0*size:], j.dst[out+col0:], c.bias[col0:], res, sum, flags)
		}
	}
}

// call runs the micro-kernel on slices that gconvJob.check has checked:
// the assembly, or run when set.
func (k *gconvKernel) call(a []float32, px *gconvPixels, cols, pix, row int, b, c, bias, res, sum []float32, flags int) {
	if k.run != nil {
		k.run(a, px, cols, pix, row, b, c, bias, res, sum, flags)
		return
	}
	var pr, ps *float32
	if res != nil {
		pr = &res[0]
	}
	if sum != nil {
		ps = &sum[0]
	}
	k.kernel(&a[0], &px.offs[0], px.n, cols, pix, row, &b[0], &c[0], &bias[0], pr, ps, flags)
}

// gconvChunkBytes bounds the weights of the tile columns one kernel call
// runs: a quarter of a 512 KiB L2. A variable so that tests make chunks
// of few channels.
var gconvChunkBytes = 128 << 10

// reach returns how many values of a, and of the outputs from the first
// pixel's, a call of cols tile columns over px reads and writes (asm.GConv's
// contract), its windows pix and row apart.
func (k *gconvKernel) reach(cols int, px *gconvPixels, pix, row int) (in, out int) {
	return (cols-1)*k.cols()/k.out*k.in + px.maxIn + 2*row + 2*pix + k.groups()*k.in, px.maxOut + cols*k.cols()
}

// check panics unless the slices hold what the micro-kernel reads and
// writes for tile columns c0 ≤ tc < c1 over the pixels px, whose windows
// start in a (pix and row apart) and whose outputs in dst and the residual
// at out.
func (j *gconvJob) check(c0, c1 int, px *gconvPixels, a []float32, pix, row, out int, sums []float32) {
	c, k := j.c, j.c.gk
	cols, size := k.cols(), k.weights()
	in, written := k.reach(c1-c0, px, pix, row)
	last := out + written     // one past the last value written
	per := max(1, k.out/cols) // tiles a group
	ok := px.n >= 1 && c0 < c1 && c0%per == 0 && (c1-c0)%per == 0 &&
		len(px.offs) == 2*k.rows*((px.n+k.rows-1)/k.rows) && px.minIn >= 0 && px.minOut >= 0 &&
		len(a) >= in &&
		len(c.panels) >= c1*size && len(c.bias) >= c1*cols && len(j.dst) >= last &&
		(j.ep.Residual == nil || len(j.ep.Residual) >= last) &&
		(j.partial == nil || len(sums) >= c1*cols)
	if !ok {
		panic(fmt.Sprintf("nn: %s grouped %d→%d kernel: tile columns %d…%d, %d pixels (%d offsets, input %d…%d, output %d…%d); len(a) %d, len(panels) %d, len(dst) %d, len(res) %d, len(sums) %d",
			k.isa, k.in, k.out, c0, c1-1, px.n, len(px.offs), px.minIn, px.maxIn, px.minOut, px.maxOut, len(a), len(c.panels), len(j.dst), len(j.ep.Residual), len(sums)))
	}
}

// growInts returns buf if it holds n values, else a new slice of n.
func growInts(buf []int, n int) []int {
	if len(buf) >= n {
		return buf
	}
	return make([]int, n)
}

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
// group of 4 would compute mostly zeros. Instead the input is copied once
// into a zero-bordered NHWC buffer, and each micro-kernel reads every
// output pixel's 3×3 window from it in place, through one pointer per tile
// row: a tile is Rows consecutive output pixels (across rows and images)
// by a few groups' output channels. Groups narrower than a vector are
// computed in phases (see asm.GConvTile), so every FMA lane is useful. The
// write-back is the GEMM's: bias, residual, ReLU and the SE column sums.

// gconvKernel is one grouped micro-kernel (gconv_amd64.s) and its tile.
type gconvKernel struct {
	isa                       isa.ISA
	in, out                   int // channels of a group
	rows, vecs, phases, lanes int
	kernel                    gconvFunc
}

// gconvFunc is the signature of the grouped micro-kernels
// (asm.GConvSignature).
type gconvFunc func(a *float32, offs *int, pix int, row int, b *float32, c *float32, ldc int, rows int, bias *float32, res *float32, sum *float32, flags int)

// cols returns the output channels of a tile.
func (k *gconvKernel) cols() int { return k.vecs * k.lanes / k.phases }

// steps returns the depth steps of one window position.
func (k *gconvKernel) steps() int { return k.in / k.phases }

// weights returns the packed weights of one tile column.
func (k *gconvKernel) weights() int { return 9 * k.steps() * k.vecs * k.lanes }

// group returns the group of vector v relative to the tile's first.
func (k *gconvKernel) group(v int) int { return v * (k.lanes / k.phases) / k.out }

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
// output channels), per window position (ky, kx) and depth step, vecs
// vectors of lanes values; with phases P, lane j·P + p of vector v is the
// tile's output channel v·lanes/P + j at input channel step·P + p of its
// group.
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

// forwardGrouped is Forward on c's grouped kernel.
//
// A task is a band of output rows of one image × a block of tile columns.
// It first copies the input its band reads — the band's rows plus the
// window's overlap, the block's channels only — into a per-worker buffer
// with a zero border (sized to stay in L2), then runs the tiles over it:
// the input is read from memory about once, as a GEMM reads it, and no
// padded copy of the whole activation is ever written back.
func (c *Conv2d) forwardGrouped(dst, src []float32, n, h, w, oh, ow int, ep Epilogue, ws *Workspace) {
	s, k := c.spec, c.gk
	wp := w + 2
	tiles := s.OutC / k.cols()
	band := func(channels int) int { // output rows a band may hold
		rows := gconvPatchBytes/(4*wp*channels) - 3 // input rows beyond a single output row's three
		return max(1, min(oh, rows/s.Stride+1))
	}
	// blockChannels is the most input channels a block of per tile
	// columns reads (a block may start inside a group).
	blockChannels := func(per int) int { return min(s.InC, ((per*k.cols()+k.out-1)/k.out+1)*k.in) }
	bands := (oh + band(s.InC) - 1) / band(s.InC)
	colBlocks := 1
	if want := 4 * ws.threads; ws.threads > 1 && n*bands < want {
		colBlocks = min(tiles, (want+n*bands-1)/(n*bands))
	}
	// Short bands waste much of their last tile and copy the window's
	// overlap rows once more per band: split the channels further, which
	// lets the bands grow.
	for colBlocks < tiles && band(blockChannels((tiles+colBlocks-1)/colBlocks))*ow < gconvBandTiles*k.rows && band(blockChannels(1)) > band(s.InC) {
		colBlocks *= 2
	}
	colBlocks = min(colBlocks, tiles)
	perBlock := (tiles + colBlocks - 1) / colBlocks
	colBlocks = (tiles + perBlock - 1) / perBlock
	channels := blockChannels(perBlock)
	rows := band(channels)
	bands = (oh + rows - 1) / rows
	patch := ((rows-1)*s.Stride + 3) * wp * channels
	for i := range ws.scratch {
		sc := &ws.scratch[i]
		sc.offs = growInts(sc.offs, rows*ow+k.rows)
		sc.pack = grow(sc.pack, patch)
	}
	job := gconvJob{c: c, src: src, dst: dst, ep: ep, ld: ep.stride(s.OutC), scratch: ws.scratch, h: h, w: w, oh: oh, ow: ow,
		rows: rows, bands: bands, colBlocks: colBlocks, perBlock: perBlock, tiles: tiles}
	if ep.Sums != nil {
		ws.partial = grow(ws.partial, n*bands*s.OutC)
		job.partial = ws.partial[:n*bands*s.OutC]
	}
	ws.gconv = job
	ws.Parallel(n*bands*colBlocks, &ws.gconv)
	ws.gconv = gconvJob{}
	if ep.Sums != nil {
		// Each image's bands, added in order: the same for every thread count.
		for img := range n {
			sum := ep.Sums[img*job.ld:][:s.OutC]
			clear(sum)
			for bnd := range bands {
				for i, v := range job.partial[(img*bands+bnd)*s.OutC:][:s.OutC] {
					sum[i] += v
				}
			}
		}
	}
}

// gconvBandTiles is the fewest tiles of pixels a band should hold.
const gconvBandTiles = 4

// gconvPatchBytes bounds the input patch of a task: half of a 512 KiB L2.
const gconvPatchBytes = 256 << 10

// gconvChunkBytes bounds the weights of the tile columns a task runs
// together: half of a 32 KiB L1d.
const gconvChunkBytes = 16 << 10

// gconvJob is one grouped Forward call; a task is a (band, tile column
// block).
type gconvJob struct {
	c                          *Conv2d
	src, dst                   []float32
	ep                         Epilogue
	ld                         int // output pixel stride
	scratch                    []scratch
	h, w, oh, ow               int
	rows, bands                int // output rows per band, bands per image
	colBlocks, perBlock, tiles int
	partial                    []float32 // with ep.Sums: n·bands rows of OutC sums
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

	// The patch: input rows oy0·stride-1 … (oy1-1)·stride+1 of the block's
	// channels, zero outside the image.
	prows := (oy1-oy0-1)*s.Stride + 3
	patch := sc.pack[:prows*wp*cn]
	for r := range prows {
		row := patch[r*wp*cn:][:wp*cn]
		iy := oy0*s.Stride - 1 + r
		if iy < 0 || iy >= j.h {
			clear(row)
			continue
		}
		clear(row[:cn])
		clear(row[(wp-1)*cn:])
		in := j.src[(img*j.h+iy)*j.w*s.InC:][:j.w*s.InC]
		if cn == s.InC {
			copy(row[cn:], in)
			continue
		}
		for x := range j.w {
			copy(row[(x+1)*cn:][:cn], in[x*s.InC+ch0:][:cn])
		}
	}
	// The window offset of every pixel of the band, the last repeated
	// for the rows a partial tile computes but does not store.
	m := (oy1 - oy0) * j.ow
	offs := sc.offs[:m+k.rows]
	for i := range m {
		oy, ox := i/j.ow, i%j.ow
		offs[i] = (oy*s.Stride*wp + ox*s.Stride) * cn
	}
	for i := m; i < len(offs); i++ {
		offs[i] = offs[m-1]
	}

	flags := tileBias
	if j.ep.Residual != nil {
		flags |= tileResidual
	}
	if j.ep.ReLU {
		flags |= tileReLU
	}
	var sums []float32
	if j.partial != nil {
		flags |= tileSum
		sums = j.partial[(img*j.bands+bnd)*s.OutC:][:s.OutC]
		for tc := t0; tc < t1; tc++ {
			clear(sums[tc*cols:][:cols])
		}
	}
	p0 := (img*j.oh + oy0) * j.ow // the band's first output pixel
	row := wp * cn
	// Tile columns go in chunks whose weights stay in L1 while every tile
	// of the band runs over them: the input windows of a tile are then
	// read from L1 by the chunk's other columns.
	chunk := max(1, gconvChunkBytes/(4*size))
	for c0 := t0; c0 < t1; c0 += chunk {
		c1 := min(t1, c0+chunk)
		for tc := c0; tc < c1; tc++ {
			j.check(tc, p0, m, patch, ch0, offs, row, cn, sums)
		}
		for r := 0; r < m; r += k.rows {
			rows := min(k.rows, m-r)
			for tc := c0; tc < c1; tc++ {
				col0 := tc * cols
				var pr, ps *float32
				if j.ep.Residual != nil {
					pr = &j.ep.Residual[(p0+r)*j.ld+col0]
				}
				if sums != nil {
					ps = &sums[col0]
				}
				k.kernel(&patch[col0/k.out*k.in-ch0], &offs[r], cn, row, &c.panels[tc*size], &j.dst[(p0+r)*j.ld+col0], j.ld, rows, &c.bias[col0], pr, ps, flags)
			}
		}
	}
}

// check panics unless the slices of tile column tc hold what the
// micro-kernel reads and writes for the m pixels of a band starting at
// output pixel p0, whose window offsets into patch (channels ch0…ch0+cn-1)
// are offs, growing with the pixel, the last repeated.
func (j *gconvJob) check(tc, p0, m int, patch []float32, ch0 int, offs []int, row, cn int, sums []float32) {
	c, k := j.c, j.c.gk
	cols, size := k.cols(), k.weights()
	col0 := tc * cols
	a0 := col0/k.out*k.in - ch0 // the tile's first channel in the patch
	groups := k.group(k.vecs-1) + 1
	last := (p0+m-1)*j.ld + col0 + cols // one past the last value written
	ok := m >= 1 && len(offs) == m+k.rows && offs[0] >= 0 && a0 >= 0 && a0+groups*k.in <= cn &&
		len(patch) >= a0+offs[len(offs)-1]+2*row+2*cn+groups*k.in &&
		len(c.panels) >= (tc+1)*size && len(c.bias) >= col0+cols && len(j.dst) >= last &&
		(j.ep.Residual == nil || len(j.ep.Residual) >= last) &&
		(j.partial == nil || len(sums) >= col0+cols)
	if !ok {
		panic(fmt.Sprintf("nn: %s grouped %d→%d kernel: tile column %d, pixels %d+%d, %d offsets, channels %d+%d; len(patch) %d, len(panels) %d, len(dst) %d, len(res) %d, len(sums) %d",
			k.isa, k.in, k.out, tc, p0, m, len(offs), ch0, cn, len(patch), len(c.panels), len(j.dst), len(j.ep.Residual), len(sums)))
	}
}

// growInts returns buf if it holds n values, else a new slice of n.
func growInts(buf []int, n int) []int {
	if len(buf) >= n {
		return buf
	}
	return make([]int, n)
}

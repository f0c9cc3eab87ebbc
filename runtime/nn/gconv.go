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
func (c *Conv2d) forwardGrouped(dst, src []float32, n, h, w, oh, ow int, ep Epilogue, ws *Workspace) {
	s, k := c.spec, c.gk
	hp, wp := h+2, w+2
	ws.padded = grow(ws.padded, n*hp*wp*s.InC)
	ws.pad = padJob{dst: ws.padded[:n*hp*wp*s.InC], src: src, h: h, w: w, c: s.InC}
	ws.Parallel(n*hp, &ws.pad)
	ws.pad = padJob{}

	// Tasks are (pixel block, tile column block) pairs, as in the GEMM.
	m, mc := n*oh*ow, k.rows*16
	rowBlocks := (m + mc - 1) / mc
	tiles := s.OutC / k.cols()
	colBlocks := 1
	if want := 4 * ws.threads; ws.threads > 1 && rowBlocks < want {
		colBlocks = min(tiles, (want+rowBlocks-1)/rowBlocks)
	}
	perBlock := (tiles + colBlocks - 1) / colBlocks
	colBlocks = (tiles + perBlock - 1) / perBlock
	for i := range ws.scratch {
		if sc := &ws.scratch[i]; len(sc.offs) < mc+k.rows {
			sc.offs = make([]int, mc+k.rows)
		}
	}
	job := gconvJob{c: c, pad: ws.padded[:n*hp*wp*s.InC], dst: dst, ep: ep, scratch: ws.scratch,
		m: m, mc: mc, oh: oh, ow: ow, hp: hp, wp: wp, colBlocks: colBlocks, perBlock: perBlock, tiles: tiles}
	if ep.Sums != nil {
		job.span = min(n, mc/(oh*ow)+2)
		ws.partial = grow(ws.partial, rowBlocks*job.span*s.OutC)
		job.partial = ws.partial[:rowBlocks*job.span*s.OutC]
		clear(job.partial)
	}
	ws.gconv = job
	ws.Parallel(rowBlocks*colBlocks, &ws.gconv)
	ws.gconv = gconvJob{}
	if ep.Sums != nil {
		addPartialSums(ep.Sums, job.partial, rowBlocks, mc, m, oh*ow, job.span, s.OutC)
	}
}

// padJob copies n NHWC images into a buffer with a zero border of one
// pixel; a task is one padded row.
type padJob struct {
	dst, src []float32
	h, w, c  int
}

func (j *padJob) Run(_, task int) {
	hp, wp := j.h+2, j.w+2
	img, y := task/hp, task%hp
	row := j.dst[(img*hp+y)*wp*j.c:][:wp*j.c]
	if y == 0 || y == hp-1 {
		clear(row)
		return
	}
	clear(row[:j.c])
	copy(row[j.c:], j.src[(img*j.h+y-1)*j.w*j.c:][:j.w*j.c])
	clear(row[(wp-1)*j.c:])
}

// gconvJob is one grouped Forward call; a task is a (pixel block, tile
// column block).
type gconvJob struct {
	c                          *Conv2d
	pad, dst                   []float32
	ep                         Epilogue
	scratch                    []scratch
	m, mc, oh, ow, hp, wp      int
	colBlocks, perBlock, tiles int
	partial                    []float32 // with ep.Sums, as in convJob
	span                       int
}

func (j *gconvJob) Run(worker, task int) {
	c, k := j.c, j.c.gk
	s := c.spec
	m0 := task / j.colBlocks * j.mc
	m1 := min(j.m, m0+j.mc)
	t0 := task % j.colBlocks * j.perBlock
	t1 := min(j.tiles, t0+j.perBlock)
	pixels := j.oh * j.ow

	// The window offset of every pixel of the block, the last repeated
	// for the rows a partial tile computes but does not store.
	offs := j.scratch[worker].offs[:m1-m0+k.rows]
	img, rem := m0/pixels, m0%pixels
	oy, ox := rem/j.ow, rem%j.ow
	for i := range m1 - m0 {
		offs[i] = ((img*j.hp+oy*s.Stride)*j.wp + ox*s.Stride) * s.InC
		if ox++; ox == j.ow {
			if ox, oy = 0, oy+1; oy == j.oh {
				oy, img = 0, img+1
			}
		}
	}
	for i := m1 - m0; i < len(offs); i++ {
		offs[i] = offs[m1-m0-1]
	}

	flags := tileBias
	if j.ep.Residual != nil {
		flags |= tileResidual
	}
	if j.ep.ReLU {
		flags |= tileReLU
	}
	if j.partial != nil {
		flags |= tileSum
	}
	cols, size := k.cols(), k.weights()
	row := j.wp * s.InC
	// Tile columns go in chunks whose weights stay in L1 while every tile
	// of the block runs over them: the input windows of a tile are then
	// read from L1 by the chunk's columns too.
	chunk := max(1, gconvChunkBytes/(4*size))
	for c0 := t0; c0 < t1; c0 += chunk {
		c1 := min(t1, c0+chunk)
		for tc := c0; tc < c1; tc++ {
			j.check(tc, m0, m1, offs, row)
		}
		for r := m0; r < m1; {
			rows := min(k.rows, m1-r)
			img := r / pixels
			if j.partial != nil {
				rows = min(rows, (img+1)*pixels-r)
			}
			for tc := c0; tc < c1; tc++ {
				col0 := tc * cols
				var pr, ps *float32
				if j.ep.Residual != nil {
					pr = &j.ep.Residual[r*s.OutC+col0]
				}
				if j.partial != nil {
					ps = &j.partial[(task/j.colBlocks*j.span+img-m0/pixels)*s.OutC+col0]
				}
				k.kernel(&j.pad[col0/k.out*k.in], &offs[r-m0], s.InC, row, &c.panels[tc*size], &j.dst[r*s.OutC+col0], s.OutC, rows, &c.bias[col0], pr, ps, flags)
			}
			r += rows
		}
	}
}

// gconvChunkBytes bounds the weights of the tile columns a task runs
// together: half of a 32 KiB L1d.
const gconvChunkBytes = 16 << 10

// check panics unless the slices of tile column tc hold what the
// micro-kernel reads and writes for the block's pixels m0…m1-1, whose
// window offsets are offs (growing with the pixel, the last repeated).
func (j *gconvJob) check(tc, m0, m1 int, offs []int, row int) {
	c, k := j.c, j.c.gk
	s := c.spec
	cols, size := k.cols(), k.weights()
	col0 := tc * cols
	groups := k.group(k.vecs-1) + 1
	pixels := j.oh * j.ow
	last := (m1-1)*s.OutC + col0 + cols // one past the last value written
	ok := len(offs) == m1-m0+k.rows && offs[0] >= 0 &&
		len(j.pad) >= col0/k.out*k.in+offs[len(offs)-1]+2*row+2*s.InC+groups*k.in &&
		len(c.panels) >= (tc+1)*size && len(c.bias) >= col0+cols && len(j.dst) >= last &&
		(j.ep.Residual == nil || len(j.ep.Residual) >= last) &&
		(j.partial == nil || len(j.partial) >= ((m0/(j.mc)+1)*j.span-1)*s.OutC+col0+cols) &&
		(j.partial == nil || (m1-1)/pixels-m0/pixels < j.span)
	if !ok {
		panic(fmt.Sprintf("nn: %s grouped %d→%d kernel: tile column %d, pixels %d…%d, %d offsets; len(pad) %d, len(panels) %d, len(dst) %d, len(res) %d, len(partial) %d",
			k.isa, k.in, k.out, tc, m0, m1, len(offs), len(j.pad), len(c.panels), len(j.dst), len(j.ep.Residual), len(j.partial)))
	}
}

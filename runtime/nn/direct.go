package nn

// Direct convolutions: the GEMM read in place from a zero-padded copy of
// the input, without im2col.
//
// Row m of the im2col matrix of an NHWC input is output pixel m's window:
// for each kernel row ky, KW·InC values that are contiguous in the input,
// the next kernel row one input row further on; and neighbouring pixels of
// one output row start Stride·InC values apart. So with the input copied
// once into a buffer with a zero border of Pad pixels (or with none, from
// the input itself), a tile of pixels of one output row reads its A
// straight from that buffer as KH runs of
// KW·InC depth steps (the segmented micro-kernel, asm.GEMMSegmented), and
// the convolution copies its input once instead of KH·KW/Stride² times.
// That pays where copying windows costs much next to their products: the
// stems (7×7 over 3 channels: a third of the im2col stem's time went into
// packing), over rows of pixels long enough to fill the tiles.

// directMaxDepth is the deepest window a direct convolution takes: its
// whole depth is one block (the B panel of 512×nr values stays in L2, a
// tile's A rows in L1).
const directMaxDepth = 512

// directMinFill is the least share of the tiles of an output row that
// holds pixels: shorter rows waste the last tile's rows. A variable so
// that tests run convolutions of every shape direct.
var directMinFill = 0.9

// direct reports whether c runs as a direct convolution on an input of
// output rows ow pixels long.
func (c *Conv2d) direct(ow int) bool {
	s, e := c.spec, c.eng
	if e.segmented == nil || c.wino != nil || c.gk != nil || s.groups() != 1 || s.Depth() > directMaxDepth ||
		s.KH*s.KW == 1 { // a 1×1 window is one run of InC values: packing it costs little
		return false
	}
	tiles := (ow + e.mr - 1) / e.mr
	return float64(ow) >= directMinFill*float64(tiles*e.mr)
}

// directJob is one direct Forward call; a task is a band of output rows of
// one image, all of its panels.
type directJob struct {
	c           *Conv2d
	padded, dst []float32
	ep          Epilogue
	ld          int // output pixel stride
	scratch     []scratch
	oh, ow      int
	hp, wp      int // the padded input's height and width
	bands       int // bands an image, their output rows spread evenly
	partial     []float32
}

// forwardDirect is Forward as a direct convolution.
func (c *Conv2d) forwardDirect(dst, src []float32, n, h, w, oh, ow, ld int, ep Epilogue, ws *Workspace) {
	s, e := c.spec, c.eng
	hp, wp := h+2*s.Pad, w+2*s.Pad
	image := hp * wp * s.InC
	// The last tile of the last output row reads whole tiles of rows, on
	// past the padded image's end.
	last := ((n-1)*hp+(oh-1)*s.Stride)*wp*s.InC + reachA(e.mr, ow, s.Stride*s.InC, s.KW*s.InC, s.KH, (wp-s.KW)*s.InC)
	padded := src // without padding, the input itself when the last tile's reach stays inside it
	if s.Pad > 0 || last > len(src) {
		ws.padded = grow(ws.padded, max(n*image, last))
		padded = ws.padded[:max(n*image, last)]
		clear(padded[n*image:])
		// The copy split across the threads too: on one it was a twentieth
		// of the stem's time.
		chunk := max(1, (h+2*ws.threads-1)/(2*ws.threads))
		ws.pad = padJob{dst: padded, src: src, h: h, w: w, c: s.InC, pad: s.Pad, rows: chunk, chunks: (h + chunk - 1) / chunk}
		ws.Parallel(n*ws.pad.chunks, &ws.pad)
		ws.pad = padJob{}
	}
	// Bands of at most an L2's input rows, and enough of them for the threads.
	rows := max(1, min(oh, (256<<10)/(4*s.Stride*wp*s.InC)))
	for ws.threads > 1 && rows > 1 && n*((oh+rows-1)/rows) < 4*ws.threads {
		rows = (rows + 1) / 2
	}
	bands := (oh + rows - 1) / rows
	if ws.threads > 1 {
		// A whole number of bands a thread, their rows spread evenly
		// (Run): SE-ResNet-50's stem made ten bands of 12 rows but the last
		// of 4, so one thread ran 60 rows and the other 52.
		bands = min(oh, (bands+ws.threads-1)/ws.threads*ws.threads)
	}
	// The packing buffer too, which a direct convolution does not use: the
	// stem is the first convolution, and when the buffer was first grown
	// later in the pass instead, SE-ResNet-50's stage-2 downsample ran
	// 0.4–0.6 ms slower in every pass (where the heap put it against the
	// layers' other buffers).
	ws.reserve((e.mc+e.mr)*e.kc, e.mr*e.nr)
	job := directJob{c: c, padded: padded, dst: dst, ep: ep, ld: ld, scratch: ws.scratch,
		oh: oh, ow: ow, hp: hp, wp: wp, bands: bands}
	if ep.Sums != nil {
		ws.partial = grow(ws.partial, n*bands*s.OutC)
		job.partial = ws.partial[:n*bands*s.OutC]
	}
	ws.direct = job
	ws.Parallel(n*bands, &ws.direct)
	ws.direct = directJob{}
	if ep.Sums != nil {
		addBandSums(ep.Sums, ld, job.partial, n, bands, s.OutC)
	}
}

// padJob copies h×w×c NHWC images into dst, (h+2·pad)×(w+2·pad)×c each,
// inside a border of pad zero pixels; a task is a chunk of rows of an
// image, the first and last chunks with the border's rows.
type padJob struct {
	dst, src     []float32
	h, w, c, pad int
	rows, chunks int
}

func (j *padJob) Run(_, task int) {
	h, w, c, pad := j.h, j.w, j.c, j.pad
	wp := w + 2*pad
	img, y0 := task/j.chunks, task%j.chunks*j.rows
	y1 := min(h, y0+j.rows)
	dst := j.dst[img*(h+2*pad)*wp*c:][:(h+2*pad)*wp*c]
	src := j.src[img*h*w*c:][:h*w*c]
	if y0 == 0 {
		clear(dst[:pad*wp*c])
	}
	if y1 == h {
		clear(dst[(pad+h)*wp*c:])
	}
	for y := y0; y < y1; y++ {
		row := dst[(pad+y)*wp*c:][:wp*c]
		clear(row[:pad*c])
		copy(row[pad*c:], src[y*w*c:(y+1)*w*c])
		clear(row[(pad+w)*c:])
	}
}

func (j *directJob) Run(worker, task int) {
	c, e := j.c, j.c.eng
	s := c.spec
	img, bnd := task/j.bands, task%j.bands
	oy0, oy1 := bnd*j.oh/j.bands, (bnd+1)*j.oh/j.bands
	seg, gap := s.KW*s.InC, (j.wp-s.KW)*s.InC
	flags := tileBias | j.ep.lastFlags()
	var sums []float32
	if j.partial != nil {
		flags |= tileSum
		sums = j.partial[(img*j.bands+bnd)*s.OutC:][:s.OutC]
		clear(sums)
	}
	tile := j.scratch[worker].tile
	// Panel by panel, so that each panel's B stays in L1 down the band.
	for p, pn := range c.cols {
		b := c.panels[pn.off:][:s.Depth()*e.nr]
		var next []float32
		if p+1 < len(c.cols) {
			next = c.panels[c.cols[p+1].off:][:s.Depth()*e.nr]
		}
		bias := c.bias[pn.col0:]
		var sum []float32
		if sums != nil {
			sum = sums[pn.col0:]
		}
		for oy := oy0; oy < oy1; oy++ {
			a := j.padded[(img*j.hp+oy*s.Stride)*j.wp*s.InC:]
			out := ((img*j.oh+oy)*j.ow)*j.ld + pn.col0
			var res []float32
			if j.ep.Residual != nil {
				res = j.ep.Residual[out:]
			}
			if pn.ncol == e.nr {
				e.segmented(seg, s.KH, gap, a, s.Stride*s.InC, b, j.dst[out:], j.ld, j.ow, bias, res, sum, flags, next)
				next = nil // prefetched by the first row
				continue
			}
			// A panel narrower than the tile: each tile aside, then its
			// valid columns.
			for r := 0; r < j.ow; r += e.mr {
				rows := min(e.mr, j.ow-r)
				var rr []float32
				if res != nil {
					rr = res[r*j.ld:]
				}
				e.segmented(seg, s.KH, gap, a[r*s.Stride*s.InC:], s.Stride*s.InC, b, tile, e.nr, e.mr, nil, nil, nil, 0, nil)
				writeTile(tile, e.nr, j.dst[out+r*j.ld:], j.ld, rows, pn.ncol, bias, rr, sum, flags)
			}
		}
	}
}

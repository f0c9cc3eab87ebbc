// Package setail runs the tail of an SE block inside a network: from the
// channel sums its last convolution took in the write-back
// (nn.Epilogue.Sums), the squeeze, the excitation and the scale — alone, or
// with a ResNet block's residual add and ReLU — for a batch, spread over a
// workspace's threads.
package setail

import (
	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/se"
	"github.com/segen/segen/se/simd"
)

// Tail is the SE tail of one block at one activation shape and batch size.
// It holds the arguments of the call in progress, so a call allocates
// nothing; a Tail is not safe for concurrent use (each plan has its own).
type Tail struct {
	kernel se.Kernel
	n      int
	parts  []part // with fewer samples than threads: a sample's pixels in parts
	batch  batchJob
	rows   rowsJob
	// With large excitation layers (rows != nil), the excitation runs on
	// se/simd's row kernels, its rows split across the threads when
	// there are fewer samples than threads.
	excite exciteJob
}

// part is a run of one sample's pixels whose scale one task runs. With
// fewer samples than threads, splitting each sample by pixels keeps every
// thread busy (at batch 1 on two threads a whole sample on one goroutine
// made SE cost ResNet-50 3–6 % instead of about 1 %). An NHWC run of pixels
// is itself an NHWC activation, so each part has a kernel of its own shape,
// looked up like any other.
type part struct {
	start, pixels int
	kernel        se.Kernel
}

// New returns the tail of n samples of NHWC shape s on threads threads,
// with kernel's kernels (se.Lookup, or se.Generic to force the generic
// path). For fewer samples than threads it divides a sample's pixels into
// four parts per thread, of at least 8 pixels and at most se.MaxSide (a
// part is a kernel's shape, pixels×1): threads take parts as they finish,
// so a core slowed by other work takes fewer, where one part per thread
// would wait for the slowest.
//
// An excitation of at least splitWeights weights a layer runs on se/simd's
// row kernels (unless kernel gives the generic path), for every thread
// count and batch, so that a result does not depend on either: split by
// rows or not, each row is the same dot product in the same order.
func New(s se.Shape, n, threads int, kernel func(se.Shape) se.Kernel) *Tail {
	t := &Tail{kernel: kernel(s), n: n}
	if s.C*s.Hidden >= splitWeights && t.kernel.Impl() != "generic" {
		t.excite = exciteJob{hidden: make([]float32, n*s.Hidden), c: s.C, h: s.Hidden,
			hiddenRows: rowBlock(s.Hidden, threads), gateRows: rowBlock(s.C, threads)}
	}
	if n >= threads {
		return t
	}
	pixels := s.H * s.W
	per := min(max((pixels+4*threads-1)/(4*threads), 8), se.MaxSide)
	for start := 0; start < pixels; start += per {
		sub := s
		sub.H, sub.W = min(per, pixels-start), 1
		t.parts = append(t.parts, part{start: start, pixels: sub.H, kernel: kernel(sub)})
	}
	return t
}

// Kernel returns the kernel of the whole activation.
func (t *Tail) Kernel() se.Kernel { return t.kernel }

// Excite sets z (n × C) to the squeeze, sums over the pixel count, and
// gate (n × C) to its excitation through p, on ws's threads.
func (t *Tail) Excite(ws *nn.Workspace, gate, z, sums []float32, p *se.Params) {
	t.squeeze(z, sums)
	t.exciteAll(ws, gate, z, p)
}

// Gate sets gate (n × C) to the excitation through p of z, a squeeze the
// caller took (the mean of each channel), on ws's threads.
func (t *Tail) Gate(ws *nn.Workspace, gate, z []float32, p *se.Params) {
	t.exciteAll(ws, gate, z, p)
}

// squeeze sets z to sums over the pixel count.
func (t *Tail) squeeze(z, sums []float32) {
	s := t.kernel.Shape()
	pixels := float32(s.H * s.W)
	for i, v := range sums[:len(z)] {
		z[i] = v / pixels
	}
}

// exciteAll sets the gates of every sample, splitting large layers by rows
// across ws's threads.
func (t *Tail) exciteAll(ws *nn.Workspace, gate, z []float32, p *se.Params) {
	if t.excite.hidden == nil {
		t.kernel.Excite(gate, z, p)
		return
	}
	c := t.excite.c
	for i := range t.n {
		t.exciteRows(ws, i, gate[i*c:(i+1)*c], z[i*c:(i+1)*c], p)
	}
}

// Forward runs the whole tail: z and gate as Excite sets them, then out =
// relu(x · gate + shortcut), or out = x · gate with shortcut nil (x may be
// out). With a sample for every thread a task is one sample's excitation
// and scale; with fewer, the batch's excitation runs first and then each
// sample's scale in parts across the threads.
func (t *Tail) Forward(ws *nn.Workspace, gate, z, sums []float32, p *se.Params, out, x, shortcut []float32) {
	t.squeeze(z, sums)
	switch {
	case ws.Threads() == 1:
		t.exciteAll(ws, gate, z, p)
		scale(t.kernel, out, x, gate, shortcut)
	case t.parts == nil:
		t.batch = batchJob{t: t, p: p, z: z, gate: gate, out: out, x: x, shortcut: shortcut,
			c: t.kernel.Shape().C, size: len(out) / t.n}
		ws.Parallel(t.n, &t.batch)
		t.batch = batchJob{} // drop references to the caller's buffers
	default:
		t.exciteAll(ws, gate, z, p)
		c, size := t.kernel.Shape().C, len(out)/t.n
		for i := range t.n {
			s, e := i*size, (i+1)*size
			t.rows = rowsJob{parts: t.parts, c: c, gate: gate[i*c : (i+1)*c], out: out[s:e], x: x[s:e]}
			if shortcut != nil {
				t.rows.shortcut = shortcut[s:e]
			}
			ws.Parallel(len(t.parts), &t.rows)
		}
		t.rows = rowsJob{}
	}
}

// scale sets out = relu(x · gate + shortcut), or x · gate without shortcut.
func scale(k se.Kernel, out, x, gate, shortcut []float32) {
	if shortcut == nil {
		k.Scale(out, x, gate)
	} else {
		k.ScaleAddReLU(out, x, gate, shortcut)
	}
}

// batchJob is the tail of a batch; a task is one sample's excitation and
// scale.
type batchJob struct {
	t                         *Tail
	p                         *se.Params
	z, gate, out, x, shortcut []float32
	c, size                   int
}

func (j *batchJob) Run(_, i int) {
	s, e := i*j.size, (i+1)*j.size
	g, z := j.gate[i*j.c:(i+1)*j.c], j.z[i*j.c:(i+1)*j.c]
	if ex := &j.t.excite; ex.hidden != nil {
		h := ex.hidden[i*ex.h : (i+1)*ex.h]
		simd.FCReLU(h, j.p.W1, z, bias(j.p.B1, 0, ex.h))
		simd.FCSigmoid(g, j.p.W2, h, bias(j.p.B2, 0, ex.c))
	} else {
		j.t.kernel.Excite(g, z, j.p)
	}
	var shortcut []float32
	if j.shortcut != nil {
		shortcut = j.shortcut[s:e]
	}
	scale(j.t.kernel, j.out[s:e], j.x[s:e], g, shortcut)
}

// rowsJob is one sample's scale split by pixels; a task is one part.
type rowsJob struct {
	parts                  []part
	c                      int
	gate, out, x, shortcut []float32
}

func (j *rowsJob) Run(_, i int) {
	pt := j.parts[i]
	s, e := pt.start*j.c, (pt.start+pt.pixels)*j.c
	var shortcut []float32
	if j.shortcut != nil {
		shortcut = j.shortcut[s:e]
	}
	scale(pt.kernel, j.out[s:e], j.x[s:e], j.gate, shortcut)
}

// splitWeights is the fewest weights of an excitation layer (C × Hidden)
// worth splitting across threads: from there one sample's excitation, its
// weights streamed from memory, costs more than the two extra rounds of
// the workspace's threads (SE-ResNet-50's stage 4: 2 × 1 MiB, about
// 0.1 ms a block on one thread).
const splitWeights = 1 << 16

// rowBlock returns the rows of a task when rows are split for threads:
// two tasks a thread, whole multiples of 8 rows.
func rowBlock(rows, threads int) int {
	return max(8, (rows+2*threads*8-1)/(2*threads*8)*8)
}

// exciteRows sets sample i's gate from its squeeze z in two rounds of the
// threads: the hidden units by blocks of rows of W1, then the gate by
// blocks of rows of W2.
func (t *Tail) exciteRows(ws *nn.Workspace, i int, gate, z []float32, p *se.Params) {
	j := &t.excite
	j.p, j.z, j.gate, j.sample = p, z, gate, j.hidden[i*j.h:(i+1)*j.h]
	j.second = false
	ws.Parallel((j.h+j.hiddenRows-1)/j.hiddenRows, j)
	j.second = true
	ws.Parallel((j.c+j.gateRows-1)/j.gateRows, j)
	j.p, j.z, j.gate = nil, nil, nil
}

// exciteJob is one sample's excitation split by rows: a task is a block of
// hidden units (first round) or of gate channels (second).
type exciteJob struct {
	hidden               []float32 // n samples' hidden units
	c, h                 int
	hiddenRows, gateRows int
	second               bool
	p                    *se.Params
	z, gate, sample      []float32
}

func (j *exciteJob) Run(_, i int) {
	if !j.second {
		r0, r1 := i*j.hiddenRows, min(j.h, (i+1)*j.hiddenRows)
		simd.FCReLU(j.sample[r0:r1], j.p.W1[r0*j.c:r1*j.c], j.z, bias(j.p.B1, r0, r1))
		return
	}
	r0, r1 := i*j.gateRows, min(j.c, (i+1)*j.gateRows)
	simd.FCSigmoid(j.gate[r0:r1], j.p.W2[r0*j.h:r1*j.h], j.sample, bias(j.p.B2, r0, r1))
}

// bias returns rows r0 … r1-1 of b, or nil without bias (b nil or empty,
// as se.Params allows).
func bias(b []float32, r0, r1 int) []float32 {
	if len(b) == 0 {
		return nil
	}
	return b[r0:r1]
}

// Package setail runs the tail of an SE block inside a network: from the
// channel sums its last convolution took in the write-back
// (nn.Epilogue.Sums), the squeeze, the excitation and the scale — alone, or
// with a ResNet block's residual add and ReLU — for a batch, spread over a
// workspace's threads.
package setail

import (
	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/se"
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
// four parts per thread, of at least 8 pixels: threads take parts as they
// finish, so a core slowed by other work takes fewer, where one part per
// thread would wait for the slowest.
func New(s se.Shape, n, threads int, kernel func(se.Shape) se.Kernel) *Tail {
	t := &Tail{kernel: kernel(s), n: n}
	if n >= threads {
		return t
	}
	pixels := s.H * s.W
	per := max((pixels+4*threads-1)/(4*threads), 8)
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
// gate (n × C) to its excitation through p.
func (t *Tail) Excite(gate, z, sums []float32, p *se.Params) {
	t.squeeze(z, sums)
	t.kernel.Excite(gate, z, p)
}

// squeeze sets z to sums over the pixel count.
func (t *Tail) squeeze(z, sums []float32) {
	s := t.kernel.Shape()
	pixels := float32(s.H * s.W)
	for i, v := range sums[:len(z)] {
		z[i] = v / pixels
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
		t.kernel.Excite(gate, z, p)
		scale(t.kernel, out, x, gate, shortcut)
	case t.parts == nil:
		t.batch = batchJob{k: t.kernel, p: p, z: z, gate: gate, out: out, x: x, shortcut: shortcut,
			c: t.kernel.Shape().C, size: len(out) / t.n}
		ws.Parallel(t.n, &t.batch)
		t.batch = batchJob{} // drop references to the caller's buffers
	default:
		t.kernel.Excite(gate, z, p)
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
	k                         se.Kernel
	p                         *se.Params
	z, gate, out, x, shortcut []float32
	c, size                   int
}

func (j *batchJob) Run(_, i int) {
	s, e := i*j.size, (i+1)*j.size
	g := j.gate[i*j.c : (i+1)*j.c]
	j.k.Excite(g, j.z[i*j.c:(i+1)*j.c], j.p)
	var shortcut []float32
	if j.shortcut != nil {
		shortcut = j.shortcut[s:e]
	}
	scale(j.k, j.out[s:e], j.x[s:e], g, shortcut)
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

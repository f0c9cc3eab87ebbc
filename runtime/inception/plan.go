package inception

import (
	"fmt"

	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/runtime/setail"
	"github.com/segen/segen/runtime/tensor"
	"github.com/segen/segen/se"
)

// Plan is a model applied to one batch size: every activation buffer
// allocated once, sized for its largest use, and the SE kernel of every
// module looked up for its output's shape. A forward pass through a plan
// allocates nothing (with one thread; goroutines for more threads cost a
// few small allocations). A Plan is not safe for concurrent use;
// Model.Forward keeps a pool of them.
type Plan struct {
	m  *Model
	n  int
	ws *nn.Workspace

	input      []float32    // the NHWC input
	stem       [2][]float32 // the stem's activations, alternately
	io         [2][]float32 // module input and output, alternately
	r3, rd, da []float32    // the 3×3 reduce, double 3×3 reduce and first double 3×3 outputs
	pooled     []float32    // the pool branch's pool; later n × Features for the classifier
	sums       []float32    // n × C: a module output's channel sums, from its write-backs
	z, gate    []float32    // n × C: the squeeze and the gate of each sample

	steps []step // one per module
}

// step is one module at the plan's input size.
type step struct {
	h, w, oh, ow int          // input and output size
	sums         bool         // whether the write-backs sum the output (SE, or the final pool)
	se           *setail.Tail // nil without SE
}

// NewPlan prepares forward passes for batches of n images of 224×224.
func (m *Model) NewPlan(n int) *Plan {
	if n < 1 {
		panic(fmt.Sprintf("inception: plan for %d images", n))
	}
	p := &Plan{m: m, n: n, ws: nn.NewWorkspace(m.opts.Threads)}
	var io, r3, rd, da, pooled, c int
	h, w := Size, Size
	p.input = make([]float32, n*h*w*3)
	h, w = m.stem[0].Spec().Out(h, w) // 112
	first := n * h * w * 64
	h, w = stemPool.Out(h, w) // 56
	second := n * h * w * 192
	p.stem = [2][]float32{make([]float32, max(first, n*h*w*64)), make([]float32, max(second, n*h*w*64))}
	h, w = stemPool.Out(h, w) // 28
	io = n * h * w * 192
	for i, l := range m.modules {
		st := step{h: h, w: w, oh: h, ow: w}
		if l.stride2() {
			st.oh, st.ow = down3x3.Out(h, w)
		}
		c = l.out()
		io = max(io, n*st.oh*st.ow*c)
		r3 = max(r3, n*h*w*l.r3)
		rd = max(rd, n*h*w*l.rd)
		da = max(da, n*h*w*l.cd)
		pooled = max(pooled, n*h*w*l.in)
		last := i == len(m.modules)-1
		st.sums = l.se != nil || last
		if l.se != nil {
			shape := se.Shape{Layout: se.NHWC, C: c, H: st.oh, W: st.ow, Hidden: l.hidden, Squeeze: se.Avg, Bias: true}
			st.se = setail.New(shape, n, p.ws.Threads(), m.seKernel)
		}
		p.steps = append(p.steps, st)
		h, w = st.oh, st.ow
	}
	if h != 7 || w != 7 || c != Features {
		panic(fmt.Sprintf("inception: the last module gives %d×%d×%d, not 7×7×%d", h, w, c, Features))
	}
	p.io = [2][]float32{make([]float32, io), make([]float32, io)}
	p.r3, p.rd, p.da = make([]float32, r3), make([]float32, rd), make([]float32, da)
	p.pooled = make([]float32, max(pooled, n*Features))
	maxC := 0
	for _, l := range m.modules {
		maxC = max(maxC, l.out())
	}
	p.sums, p.z, p.gate = make([]float32, n*maxC), make([]float32, n*maxC), make([]float32, n*maxC)
	return p
}

// seKernel returns the SE kernel of shape s: se.Lookup's, or the generic
// one when the model's options ask for it.
func (m *Model) seKernel(s se.Shape) se.Kernel {
	if m.opts.UseGeneric {
		return se.Generic(s)
	}
	return se.Lookup(s)
}

// Kernels returns the SE kernel each module runs (nil without SE), so
// callers can see which implementation a shape got.
func (p *Plan) Kernels() []se.Kernel {
	ks := make([]se.Kernel, len(p.steps))
	for i, s := range p.steps {
		if s.se != nil {
			ks[i] = s.se.Kernel()
		}
	}
	return ks
}

// Forward sets logits (n × classes) from x, the plan's n NCHW images of
// 3×224×224 values. It panics if the lengths do not match the plan.
func (p *Plan) Forward(logits, x []float32) {
	m, n, ws := p.m, p.n, p.ws
	if len(x) != n*3*Size*Size || len(logits) != n*m.classes {
		panic(fmt.Sprintf("inception: plan for %d×3×%d×%d: len(x) = %d, len(logits) = %d", n, Size, Size, len(x), len(logits)))
	}
	tensor.NCHWToNHWC(p.input, x, n, 3, Size, Size)
	relu := nn.Epilogue{ReLU: true}

	// The stem: 224 → 112 → 56 → 56 → 56 → 28.
	a, b := p.stem[0], p.stem[1]
	h, w := m.stem[0].Spec().Out(Size, Size)
	m.stem[0].Forward(a[:n*h*w*64], p.input, n, Size, Size, relu, ws)
	ph, pw := stemPool.Out(h, w)
	stemPool.Forward(b[:n*ph*pw*64], a[:n*h*w*64], n, h, w, 64, ws)
	h, w = ph, pw
	m.stem[1].Forward(a[:n*h*w*64], b[:n*h*w*64], n, h, w, relu, ws)
	m.stem[2].Forward(b[:n*h*w*192], a[:n*h*w*64], n, h, w, relu, ws)
	ph, pw = stemPool.Out(h, w)
	in := p.io[0][:n*ph*pw*192]
	stemPool.Forward(in, b[:n*h*w*192], n, h, w, 192, ws)

	for i := range m.modules {
		l, st := &m.modules[i], &p.steps[i]
		out := p.io[(i+1)%2][:n*st.oh*st.ow*l.out()]
		p.module(l, st, out, in)
		if i < len(m.modules)-1 {
			if l.se != nil {
				size := n * l.out()
				st.se.Forward(ws, p.gate[:size], p.z[:size], p.sums[:size], l.se, out, out, nil)
			}
			in = out
			continue
		}
		// The final 7×7 average pool of the (scaled) output is the gate
		// times the squeeze: the last module needs no scale pass.
		pooled := p.pooled[:n*Features]
		if l.se != nil {
			st.se.Excite(ws, p.gate[:n*Features], p.z[:n*Features], p.sums[:n*Features], l.se)
			for j, g := range p.gate[:n*Features] {
				pooled[j] = p.z[j] * g
			}
		} else {
			p.squeeze(st, n*Features)
			copy(pooled, p.z[:n*Features])
		}
		m.classifier.Forward(logits, pooled, n, ws)
	}
}

// module runs one Inception module from in into out, each branch writing
// its channel range of out, and with st.sums its channel sums into p.sums.
func (p *Plan) module(l *layers, st *step, out, in []float32) {
	n, h, w, ws := p.n, st.h, st.w, p.ws
	c := l.out()
	into := func(off int) nn.Epilogue {
		ep := nn.Epilogue{ReLU: true, Stride: c}
		if st.sums {
			ep.Sums = p.sums[off : n*c]
		}
		return ep
	}
	relu := nn.Epilogue{ReLU: true}
	off := 0
	if l.conv1x1 != nil {
		l.conv1x1.Forward(out[off:], in, n, h, w, into(off), ws)
		off += l.b1
	}
	r3 := p.r3[:n*h*w*l.r3]
	l.reduce3.Forward(r3, in, n, h, w, relu, ws)
	l.conv3.Forward(out[off:], r3, n, h, w, into(off), ws)
	off += l.c3

	rd, da := p.rd[:n*h*w*l.rd], p.da[:n*h*w*l.cd]
	l.reduceD.Forward(rd, in, n, h, w, relu, ws)
	l.convDa.Forward(da, rd, n, h, w, relu, ws)
	l.convDb.Forward(out[off:], da, n, h, w, into(off), ws)
	off += l.cd

	switch l.pool {
	case downPool:
		// Straight into the output; its sums in a pass of their own (the
		// pool's tasks are output rows, not images).
		down3x3.ForwardInto(out[off:], c, in, n, h, w, l.in, ws)
		if st.sums {
			channelSums(p.sums[off:n*c], c, out[off:], n, st.oh*st.ow, l.in)
		}
	default:
		pooled := p.pooled[:n*h*w*l.in]
		if l.pool == avgPool {
			avg3x3.Forward(pooled, in, n, h, w, l.in, ws)
		} else {
			max3x3.Forward(pooled, in, n, h, w, l.in, ws)
		}
		l.convProj.Forward(out[off:], pooled, n, h, w, into(off), ws)
	}
}

// channelSums sets sums[i·stride + j] to the sum over the pixels of image i
// of channel j < c of x, whose pixels are stride values apart.
func channelSums(sums []float32, stride int, x []float32, n, pixels, c int) {
	for i := range n {
		s := sums[i*stride:][:c]
		clear(s)
		for px := range pixels {
			for j, v := range x[(i*pixels+px)*stride:][:c] {
				s[j] += v
			}
		}
	}
}

// squeeze sets p.z to p.sums over the module's output pixel count.
func (p *Plan) squeeze(st *step, size int) {
	pixels := float32(st.oh * st.ow)
	for j, v := range p.sums[:size] {
		p.z[j] = v / pixels
	}
}

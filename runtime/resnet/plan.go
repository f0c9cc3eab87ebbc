package resnet

import (
	"fmt"

	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/runtime/setail"
	"github.com/segen/segen/runtime/tensor"
	"github.com/segen/segen/se"
)

// Plan is a model applied to one input shape: every activation buffer
// allocated once, sized for the largest activation that uses it, and the SE
// kernel of every block looked up for its activation's shape. A forward
// pass through a plan allocates nothing (with one thread; goroutines for
// more threads cost a few small allocations). A Plan is not safe for
// concurrent use; Model.Forward keeps a pool of them.
type Plan struct {
	m       *Model
	n, h, w int
	ws      *nn.Workspace

	// Buffers by role. tmp[1] first holds the NHWC input, and the stem's
	// layers alternate between tmp[0] and tmp[1] before its pool writes
	// io[0]; io alternate as block input and output; tmp hold the residual
	// branch's intermediates (and a shortcut's pooled input, before the
	// branch runs); short the downsampled shortcut.
	io, tmp [2][]float32
	short   []float32
	pooled  []float32 // n × features

	steps []step    // one per block
	prof  *profiler // set during Profile
	sums  []float32 // n × C: the SE input's channel sums, from its convolution
	z     []float32 // n × C: the squeeze of each sample
	gate  []float32 // n × C: the gate of each sample

	// With the gate folded into a block's last convolution: that
	// convolution's input means, and its weights scaled by one sample's
	// gate.
	mean   []float32
	scaled nn.Conv2d
}

// step is one block at the plan's input size.
type step struct {
	h, w   int          // block input size
	oh, ow int          // block output size
	se     *setail.Tail // nil without SE
	fold   bool         // the SE gate folded into the last convolution, see foldsGate
}

// NewPlan prepares a forward pass for batches of n images of h×w pixels.
// It fails if the input is too small for a pooling window, if a block's
// shortcut and branch disagree on the output size (as PyTorch's would:
// the anti-aliased networks need sides that halve evenly), or if a block's
// activation is beyond the SE kernels' limits (se.MaxSide, se.MaxPlane).
func (m *Model) NewPlan(n, h, w int) (*Plan, error) {
	if n < 1 || h < 1 || w < 1 {
		return nil, fmt.Errorf("resnet: no plan for %d images of %d×%d", n, h, w)
	}
	p := &Plan{m: m, n: n, h: h, w: w, ws: nn.NewWorkspace(m.opts.Threads)}
	var size struct {
		io, tmp [2]int
		short   int
		se      int
	}
	need := func(s *int, v int) { *s = max(*s, v) }
	tooSmall := fmt.Errorf("resnet: %s: a %d×%d input is too small", m.arch.Name, h, w)

	need(&size.tmp[1], n*h*w*3)
	ch, cw, c := h, w, 3
	for k, l := range m.stem {
		ch, cw = l.out(ch, cw)
		c = l.channels(c)
		if ch < 1 || cw < 1 {
			return nil, tooSmall
		}
		if k == len(m.stem)-1 {
			need(&size.io[0], n*ch*cw*c)
		} else {
			need(&size.tmp[k%2], n*ch*cw*c)
		}
	}
	bh, bw := ch, cw
	for i, b := range m.blocks {
		st := step{h: bh, w: bw}
		sh, sw := bh, bw
		for k, l := range b.shortcut {
			sh, sw = l.out(sh, sw)
			if sh < 1 || sw < 1 {
				return nil, tooSmall
			}
			if k < len(b.shortcut)-1 {
				need(&size.tmp[0], n*sh*sw*b.inC)
			} else {
				need(&size.short, n*sh*sw*b.outC)
			}
		}
		ch, cw, c := bh, bw, b.inC
		for j, l := range b.branch {
			ch, cw = l.out(ch, cw)
			c = l.channels(c)
			if ch < 1 || cw < 1 {
				return nil, tooSmall
			}
			if j < len(b.branch)-1 {
				need(&size.tmp[j%2], n*ch*cw*c)
			} else {
				need(&size.io[(i+1)%2], n*ch*cw*c)
			}
		}
		if sh != ch || sw != cw {
			return nil, fmt.Errorf("resnet: %s on %d×%d input: %sshortcut gives %d×%d, the branch %d×%d; use sides divisible by 32",
				m.arch.Name, h, w, b.prefix, sh, sw, ch, cw)
		}
		st.oh, st.ow = ch, cw
		if b.se != nil {
			shape := se.Shape{Layout: se.NHWC, C: b.outC, H: ch, W: cw, Hidden: b.hidden, Squeeze: se.Avg, Bias: true}
			if err := shape.Validate(); err != nil {
				return nil, fmt.Errorf("resnet: %s on %d×%d input: %w", m.arch.Name, h, w, err)
			}
			st.se = setail.New(shape, n, p.ws.Threads(), m.seKernel)
			need(&size.se, n*b.outC)
			if st.fold = m.foldsGate(b, ch*cw); st.fold {
				need(&size.se, n*b.branch[len(b.branch)-1].conv.Spec().InC)
			}
		}
		p.steps = append(p.steps, st)
		bh, bw = ch, cw
	}
	for i := range 2 {
		p.io[i] = make([]float32, size.io[i])
		p.tmp[i] = make([]float32, size.tmp[i])
	}
	p.short = make([]float32, size.short)
	p.pooled = make([]float32, n*m.arch.Features())
	p.sums, p.z, p.gate = make([]float32, size.se), make([]float32, size.se), make([]float32, size.se)
	p.mean = make([]float32, size.se)
	return p, nil
}

// foldsGate reports whether block b's SE gate is folded into its last
// convolution, for an output of pixels a sample. A bottleneck's SE scales
// conv3(h) + bias, a 1×1 convolution's output, so its squeeze — the
// output's channel means — is conv3 applied to h's channel means (a linear
// map commutes with the mean), which h's own convolution takes in its
// write-back. The gate is then known before conv3 runs: scaling conv3's
// weights by it (nn.Conv2d.ScaleOutputs) makes conv3 write the gated
// output with its residual add and ReLU, as in a network without SE, where
// gating afterwards reads and writes the whole output once more. Scaling
// the weights reads and writes them once a sample: it pays where they are
// smaller than the output, with a margin of two (stages 1 and 2 of
// ResNet-50 at 224², not 3 and 4). Not for a branch ending in ReLU (the
// original basic block: SE then reads relu(conv(h))), nor where h comes
// from a pool (the anti-aliased networks) rather than a convolution.
func (m *Model) foldsGate(b block, pixels int) bool {
	k := len(b.branch)
	if m.opts.UseGeneric || m.arch.BranchReLU || k < 2 || b.branch[k-2].conv == nil || b.branch[k-1].conv == nil {
		return false
	}
	c := b.branch[k-1].conv
	s := c.Spec()
	return s.KH == 1 && s.KW == 1 && s.Stride == 1 && s.Pad == 0 && c.Scalable() && 2*s.InC <= pixels
}

// seKernel returns the SE kernel of shape s: se.Lookup's, or the generic
// one when the model's options ask for it.
func (m *Model) seKernel(s se.Shape) se.Kernel {
	if m.opts.UseGeneric {
		return se.Generic(s)
	}
	return se.Lookup(s)
}

// Folded reports for each block whether its SE gate is folded into its
// last convolution (see foldsGate): false for blocks without SE.
func (p *Plan) Folded() []bool {
	f := make([]bool, len(p.steps))
	for i, s := range p.steps {
		f[i] = s.fold
	}
	return f
}

// Kernels returns the SE kernel each block runs (nil for blocks without SE),
// so callers can see which implementation a shape got.
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
// 3×h×w normalised values. It panics if the lengths do not match the plan.
func (p *Plan) Forward(logits, x []float32) {
	m, n := p.m, p.n
	if len(x) != n*3*p.h*p.w || len(logits) != n*m.classes {
		panic(fmt.Sprintf("resnet: plan for %d×3×%d×%d: len(x) = %d, len(logits) = %d", n, p.h, p.w, len(x), len(logits)))
	}
	ws := p.ws
	input := p.tmp[1][:n*p.h*p.w*3]
	tensor.NCHWToNHWC(input, x, n, 3, p.h, p.w)
	cur, ch, cw, c := input, p.h, p.w, 3
	for k, l := range m.stem {
		oh, ow := l.out(ch, cw)
		oc := l.channels(c)
		dst := p.tmp[k%2]
		if k == len(m.stem)-1 {
			dst = p.io[0]
		}
		dst = dst[:n*oh*ow*oc]
		l.forward(dst, cur, n, ch, cw, c, nn.Epilogue{ReLU: true}, ws)
		p.lapLayer(l, -1, "", oh, ow)
		cur, ch, cw, c = dst, oh, ow, oc
	}

	var out []float32
	for i, b := range m.blocks {
		st := p.steps[i]
		in := p.io[i%2][:n*st.h*st.w*b.inC]
		out = p.io[(i+1)%2][:n*st.oh*st.ow*b.outC]
		shortcut := in
		if b.shortcut != nil {
			cur, ch, cw, c := in, st.h, st.w, b.inC
			for k, l := range b.shortcut {
				oh, ow := l.out(ch, cw)
				oc := l.channels(c)
				dst := p.short
				if k < len(b.shortcut)-1 {
					dst = p.tmp[0] // free until the branch runs
				}
				dst = dst[:n*oh*ow*oc]
				l.forward(dst, cur, n, ch, cw, c, nn.Epilogue{}, ws)
				p.lapLayer(l, i, "downsample", oh, ow)
				cur, ch, cw, c = dst, oh, ow, oc
			}
			shortcut = cur
		}
		cur, ch, cw, c := in, st.h, st.w, b.inC
		for j, l := range b.branch {
			oh, ow := l.out(ch, cw)
			oc := l.channels(c)
			last := j == len(b.branch)-1
			if last && b.se == nil {
				l.forward(out, cur, n, ch, cw, c, nn.Epilogue{Residual: shortcut, ReLU: true}, ws)
				p.lapLayer(l, i, "", oh, ow)
				break
			}
			if last && st.fold {
				p.gatedForward(i, l, out, cur, shortcut, ch, cw)
				break
			}
			ep := nn.Epilogue{ReLU: !last || m.arch.BranchReLU}
			// The last layer before SE writes the block's output, which
			// the SE tail then scales in place: its stores hit lines it
			// has just read, where a separate output would first be read
			// from memory (write-allocate), a quarter of its traffic. It
			// takes the SE squeeze, channel sums, in its write-back; with
			// the gate folded, the layer before it takes its own output's
			// sums instead (see foldsGate).
			dst := out
			if last || st.fold && j == len(b.branch)-2 {
				ep.Sums = p.sums[:n*oc]
			}
			if !last {
				dst = p.tmp[j%2][:n*oh*ow*oc]
			}
			l.forward(dst, cur, n, ch, cw, c, ep, ws)
			p.lapLayer(l, i, "", oh, ow)
			cur, ch, cw, c = dst, oh, ow, oc
		}
		if b.se != nil && !st.fold {
			// out = relu(SE(out) + shortcut), the squeeze being the sums
			// taken by the convolution that wrote out.
			c := b.outC
			st.se.Forward(ws, p.gate[:n*c], p.z[:n*c], p.sums[:n*c], b.se, out, out, shortcut)
			p.lapSE(i)
		}
	}
	last := p.steps[len(p.steps)-1]
	nn.GlobalAvgPool(p.pooled, out, n, last.oh, last.ow, m.arch.Features())
	m.fc.Forward(logits, p.pooled, n, ws)
	p.lap(2*float64(n*m.arch.Features()*m.classes), "avgpool+fc")
}

// gatedForward runs block i's last convolution l with its SE gate folded in
// (see foldsGate): out = relu(conv(x)·gate + shortcut) for the block's n
// samples of x, h×w×InC values each, whose channel sums the convolution
// that wrote x left in p.sums.
func (p *Plan) gatedForward(i int, l layer, out, x, shortcut []float32, h, w int) {
	n, ws, st, b := p.n, p.ws, p.steps[i], p.m.blocks[i]
	s := l.conv.Spec()
	mean, z, gate := p.mean[:n*s.InC], p.z[:n*s.OutC], p.gate[:n*s.OutC]
	for k, v := range p.sums[:n*s.InC] {
		mean[k] = v / float32(h*w)
	}
	l.conv.Forward(z, mean, n, 1, 1, nn.Epilogue{}, ws) // the squeeze: conv(mean x)
	st.se.Gate(ws, gate, z, b.se)
	in, size := h*w*s.InC, h*w*s.OutC
	for k := range n {
		l.conv.ScaleOutputs(&p.scaled, gate[k*s.OutC:(k+1)*s.OutC])
		p.lapSE(i)
		p.scaled.Forward(out[k*size:(k+1)*size], x[k*in:(k+1)*in], 1, h, w,
			nn.Epilogue{Residual: shortcut[k*size : (k+1)*size], ReLU: true}, ws)
		p.lapSamples(l, i, "", h, w, 1)
	}
}

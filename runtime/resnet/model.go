package resnet

import (
	"fmt"

	"github.com/segen/segen/internal/planpool"
	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/runtime/tensor"
	"github.com/segen/segen/se"
)

// Options tune how a model runs; the zero value is the default.
type Options struct {
	// Threads is the number of goroutines each layer may use; ≤ 0 means
	// runtime.GOMAXPROCS(0).
	Threads int
	// UseGeneric makes every SE module run se.Generic's plain-Go kernel
	// instead of what se.Lookup returns (the specialised kernel registered
	// for the shape, if any), and never fold an SE gate into a
	// convolution (see Plan.Folded): SE's whole work on the plainest
	// path, so tests can check both paths.
	UseGeneric bool
}

// Model is a ResNet or SE-ResNet with loaded weights. It is safe for
// concurrent use: its layers are immutable, and each forward pass takes a
// Plan (buffers for one input shape) from a pool, so after the first call
// for a shape a forward pass allocates only its result.
type Model struct {
	arch    Arch
	classes int
	opts    Options
	stem    []layer // convolutions with ReLU (batch norms folded in), then a pool
	blocks  []block
	fc      *nn.Linear

	plans planpool.Pool[[3]int, *Plan] // idle plans by (n, h, w)
}

// layer is one built step of a chain: a convolution or a pool.
type layer struct {
	conv *nn.Conv2d
	pool pooler
}

// out returns the layer's output size for an h×w input.
func (l layer) out(h, w int) (oh, ow int) {
	if l.conv != nil {
		return l.conv.Spec().Out(h, w)
	}
	return l.pool.Out(h, w)
}

// channels returns the layer's output channels for c input channels.
func (l layer) channels(c int) int {
	if l.conv != nil {
		return l.conv.Spec().OutC
	}
	return c
}

// forward runs the layer on n NHWC images of h×w×c values; a pool ignores
// ep (it only ever follows a ReLU).
func (l layer) forward(dst, src []float32, n, h, w, c int, ep nn.Epilogue, ws *nn.Workspace) {
	if l.conv != nil {
		l.conv.Forward(dst, src, n, h, w, ep, ws)
		return
	}
	l.pool.Forward(dst, src, n, h, w, c, ws)
}

// block is one residual block with its layers built.
type block struct {
	blockSpec
	branch   []layer
	shortcut []layer    // nil for identity
	se       *se.Params // nil without SE
}

// build makes the model from float values keyed by state-dict name, all
// present with the right lengths (check has run).
func build(a Arch, classes int, values map[string][]float32, opts Options) (*Model, error) {
	m := &Model{arch: a, classes: classes, opts: opts}
	layers := func(ls []layerSpec) ([]layer, error) {
		var out []layer
		for _, l := range ls {
			if l.conv == nil {
				out = append(out, layer{pool: l.pool})
				continue
			}
			c := l.conv
			w := values[c.conv+".weight"] // a fresh copy: folding scales it in place
			bn := nn.BatchNorm{
				Weight: values[c.bn+".weight"], Bias: values[c.bn+".bias"],
				Mean: values[c.bn+".running_mean"], Var: values[c.bn+".running_var"],
				Eps: 1e-5,
			}
			bias, err := bn.Fold(w)
			if err != nil {
				return nil, fmt.Errorf("resnet: %s: %w", c.bn, err)
			}
			conv, err := nn.NewConv2d(c.spec(), w, bias)
			if err != nil {
				return nil, err
			}
			out = append(out, layer{conv: conv})
		}
		return out, nil
	}
	var err error
	if m.stem, err = layers(a.stem()); err != nil {
		return nil, err
	}
	for _, bs := range a.blocks() {
		b := block{blockSpec: bs}
		if b.branch, err = layers(bs.branch); err != nil {
			return nil, err
		}
		if b.shortcut, err = layers(bs.shortcut); err != nil {
			return nil, err
		}
		if bs.se {
			p := bs.seName + "."
			b.se = &se.Params{
				W1: values[p+"fc1.weight"], B1: values[p+"fc1.bias"],
				W2: values[p+"fc2.weight"], B2: values[p+"fc2.bias"],
			}
		}
		m.blocks = append(m.blocks, b)
	}
	fc := a.classifier()
	if m.fc, err = nn.NewLinear(a.Features(), classes, values[fc+".weight"], values[fc+".bias"]); err != nil {
		return nil, err
	}
	return m, nil
}

// WithOptions returns a model that shares m's weights (nothing is copied)
// but runs with opts: another thread count, or the generic SE kernels.
func (m *Model) WithOptions(opts Options) *Model {
	return &Model{arch: m.arch, classes: m.classes, opts: opts, stem: m.stem, blocks: m.blocks, fc: m.fc}
}

// Arch returns the model's architecture.
func (m *Model) Arch() Arch { return m.arch }

// Classes returns the number of logits per sample.
func (m *Model) Classes() int { return m.classes }

// Forward runs the model on x, an NCHW batch [N, 3, H, W] of normalised
// images, and returns the logits [N, classes]. Any H, W ≥ 1 works (the
// network downsamples by 32, so below 32 the last stages see 1×1 maps).
func (m *Model) Forward(x *tensor.Tensor) (*tensor.Tensor, error) {
	if len(x.Shape) != 4 || x.Shape[1] != 3 || x.Shape[0] < 1 || x.Shape[2] < 1 || x.Shape[3] < 1 {
		return nil, fmt.Errorf("resnet: input shape %v, want [N 3 H W]", x.Shape)
	}
	if len(x.Data) != x.Len() {
		return nil, fmt.Errorf("resnet: input of shape %v has %d values, want %d", x.Shape, len(x.Data), x.Len())
	}
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	key := [3]int{n, h, w}
	p, ok := m.plans.Get(key)
	if !ok {
		var err error
		if p, err = m.NewPlan(n, h, w); err != nil {
			return nil, err
		}
	}
	out := tensor.New(n, m.classes)
	p.Forward(out.Data, x.Data)
	m.plans.Put(key, p)
	return out, nil
}

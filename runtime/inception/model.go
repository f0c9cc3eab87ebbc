package inception

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
	// instead of what se.Lookup returns, so tests can check both paths.
	UseGeneric bool
}

// Model is SE-BN-Inception or BN-Inception with loaded weights. It is safe
// for concurrent use: its layers are immutable, and each forward pass takes
// a Plan (buffers for one batch size) from a pool.
type Model struct {
	arch       Arch
	classes    int
	opts       Options
	stem       []*nn.Conv2d // conv1/7x7_s2, conv2/3x3_reduce, conv2/3x3, batch norms folded in
	modules    []layers
	classifier *nn.Linear

	plans planpool.Pool[int, *Plan] // idle plans by batch size
}

// layers is one Inception module with its layers built.
type layers struct {
	module
	// The convolutions, batch norms folded in; nil where the module has
	// no such branch.
	conv1x1, reduce3, conv3, reduceD, convDa, convDb, convProj *nn.Conv2d
	se                                                         *se.Params // nil without SE
}

// The stem's pools and the modules' pool branches, in Caffe's rounding;
// Caffe's average counts the padding.
var (
	stemPool = nn.MaxPool2d{K: 3, Stride: 2, Ceil: true}
	avg3x3   = nn.AvgPool2d{K: 3, Stride: 1, Pad: 1, Ceil: true, CountIncludePad: true}
	max3x3   = nn.MaxPool2d{K: 3, Stride: 1, Pad: 1, Ceil: true}
	down3x3  = nn.MaxPool2d{K: 3, Stride: 2, Ceil: true}
)

// build makes the model from float values keyed by name, all present with
// the right lengths (check has run).
func build(a Arch, classes int, values map[string][]float32, opts Options) (*Model, error) {
	m := &Model{arch: a, classes: classes, opts: opts}
	convBN := func(c conv) (*nn.Conv2d, error) {
		w := values[c.name+".weight"] // a fresh copy: folding scales it in place
		bn := c.name + "_bn."
		fold := nn.BatchNorm{
			Weight: values[bn+"weight"], Bias: values[bn+"bias"],
			Mean: values[bn+"running_mean"], Var: values[bn+"running_var"],
			Eps: 1e-5,
		}
		bias, err := fold.Fold(w)
		if err != nil {
			return nil, fmt.Errorf("inception: %s_bn: %w", c.name, err)
		}
		return nn.NewConv2d(nn.ConvSpec{InC: c.inC, OutC: c.outC, KH: c.k, KW: c.k, Stride: c.s, Pad: c.pad}, w, bias)
	}
	for _, c := range stem {
		cv, err := convBN(c)
		if err != nil {
			return nil, err
		}
		m.stem = append(m.stem, cv)
	}
	for _, mod := range modules {
		l := layers{module: mod}
		cs := mod.convs()
		built := make([]*nn.Conv2d, len(cs))
		for i, c := range cs {
			var err error
			if built[i], err = convBN(c); err != nil {
				return nil, err
			}
		}
		if mod.b1 > 0 {
			l.conv1x1, built = built[0], built[1:]
		}
		l.reduce3, l.conv3, l.reduceD, l.convDa, l.convDb = built[0], built[1], built[2], built[3], built[4]
		if mod.proj > 0 {
			l.convProj = built[5]
		}
		if a.SE {
			l.se = &se.Params{
				W1: values[mod.name+"_1x1_down.weight"], B1: values[mod.name+"_1x1_down.bias"],
				W2: values[mod.name+"_1x1_up.weight"], B2: values[mod.name+"_1x1_up.bias"],
			}
		}
		m.modules = append(m.modules, l)
	}
	var err error
	if m.classifier, err = nn.NewLinear(Features, classes, values["classifier.weight"], values["classifier.bias"]); err != nil {
		return nil, err
	}
	return m, nil
}

// WithOptions returns a model that shares m's weights (nothing is copied)
// but runs with opts: another thread count, or the generic SE kernels.
func (m *Model) WithOptions(opts Options) *Model {
	return &Model{arch: m.arch, classes: m.classes, opts: opts, stem: m.stem, modules: m.modules, classifier: m.classifier}
}

// Arch returns the model's architecture.
func (m *Model) Arch() Arch { return m.arch }

// Classes returns the number of logits per sample.
func (m *Model) Classes() int { return m.classes }

// Forward runs the model on x, an NCHW batch [N, 3, 224, 224] of
// preprocessed images, and returns the logits [N, classes].
func (m *Model) Forward(x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := CheckInput(x.Shape); err != nil {
		return nil, fmt.Errorf("%s: %w", m.arch.Name, err)
	}
	if len(x.Data) != x.Len() {
		return nil, fmt.Errorf("inception: input of shape %v has %d values, want %d", x.Shape, len(x.Data), x.Len())
	}
	n := x.Shape[0]
	p, ok := m.plans.Get(n)
	if !ok {
		p = m.NewPlan(n)
	}
	out := tensor.New(n, m.classes)
	p.Forward(out.Data, x.Data)
	m.plans.Put(n, p)
	return out, nil
}

// CheckInput reports whether shape is an input the networks take:
// [N, 3, 224, 224] with N ≥ 1. The final 7×7 average pool feeds the
// classifier exactly one pixel only at 224×224.
func CheckInput(shape []int) error {
	if len(shape) != 4 || shape[0] < 1 || shape[1] != 3 || shape[2] != Size || shape[3] != Size {
		return fmt.Errorf("inception: input shape %v, want [N 3 %d %d]: the network takes %d×%d images (its final 7×7 average pool must see a 7×7 map)",
			shape, Size, Size, Size, Size)
	}
	return nil
}

package inception

import "github.com/segen/segen/runtime/safetensors"

// Param is one tensor of the weights: its name and shape.
type Param = safetensors.Param

// bnStats are the four tensors of a batch norm: the Caffe Scale layer's γ
// and β as weight and bias, then the BatchNorm layer's statistics.
var bnStats = []string{"weight", "bias", "running_mean", "running_var"}

// Params returns the tensors a needs for a classifier of the given number
// of classes, in prototxt order: each layer's name with "/" replaced by
// "_"; a convolution's weight [out, in, k, k] followed by its batch norm,
// named after the BatchNorm layer (conv1_7x7_s2_bn.weight, …); each SE
// module's inception_3a_1x1_down and _1x1_up weights and biases; the
// classifier's weight [classes, 1024] and bias.
func (a Arch) Params(classes int) []Param {
	var ps []Param
	add := func(c conv) {
		ps = append(ps, Param{Name: c.name + ".weight", Shape: []int{c.outC, c.inC, c.k, c.k}})
		for _, s := range bnStats {
			ps = append(ps, Param{Name: c.name + "_bn." + s, Shape: []int{c.outC}})
		}
	}
	for _, c := range stem {
		add(c)
	}
	for _, m := range modules {
		for _, c := range m.convs() {
			add(c)
		}
		if a.SE {
			ps = append(ps,
				Param{Name: m.name + "_1x1_down.weight", Shape: []int{m.hidden, m.out(), 1, 1}},
				Param{Name: m.name + "_1x1_down.bias", Shape: []int{m.hidden}},
				Param{Name: m.name + "_1x1_up.weight", Shape: []int{m.out(), m.hidden, 1, 1}},
				Param{Name: m.name + "_1x1_up.bias", Shape: []int{m.out()}},
			)
		}
	}
	return append(ps,
		Param{Name: "classifier.weight", Shape: []int{classes, Features}},
		Param{Name: "classifier.bias", Shape: []int{classes}},
	)
}

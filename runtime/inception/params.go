package inception

// Param is one tensor of the weights: its name and shape.
type Param struct {
	Name  string
	Shape []int
}

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
		ps = append(ps, Param{c.name + ".weight", []int{c.outC, c.inC, c.k, c.k}})
		for _, s := range bnStats {
			ps = append(ps, Param{c.name + "_bn." + s, []int{c.outC}})
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
				Param{m.name + "_1x1_down.weight", []int{m.hidden, m.out(), 1, 1}},
				Param{m.name + "_1x1_down.bias", []int{m.hidden}},
				Param{m.name + "_1x1_up.weight", []int{m.out(), m.hidden, 1, 1}},
				Param{m.name + "_1x1_up.bias", []int{m.out()}},
			)
		}
	}
	return append(ps,
		Param{"classifier.weight", []int{classes, Features}},
		Param{"classifier.bias", []int{classes}},
	)
}

package resnet

import "strings"

// Param is one tensor of a timm state dict: its name and shape.
type Param struct {
	Name  string
	Shape []int
}

// bnStats are the four float tensors of a batch norm, in state-dict order.
// timm checkpoints also carry an integer num_batches_tracked per batch
// norm; inference does not use it, and loading ignores it.
var bnStats = []string{"weight", "bias", "running_mean", "running_var"}

// Params returns the float tensors a's timm state dict holds for a
// classifier of the given number of classes, in state-dict order.
func (a Arch) Params(classes int) []Param {
	var ps []Param
	layers := func(ls []layerSpec) {
		for _, l := range ls {
			if c := l.conv; c != nil {
				ps = append(ps, Param{c.conv + ".weight", []int{c.outC, c.inC / orOne(c.groups), c.k, c.k}})
				for _, s := range bnStats {
					ps = append(ps, Param{c.bn + "." + s, []int{c.outC}})
				}
			}
		}
	}
	layers(a.stem())
	for _, b := range a.blocks() {
		layers(b.branch)
		if b.se {
			p := b.seName + "."
			ps = append(ps,
				Param{p + "fc1.weight", []int{b.hidden, b.outC, 1, 1}},
				Param{p + "fc1.bias", []int{b.hidden}},
				Param{p + "fc2.weight", []int{b.outC, b.hidden, 1, 1}},
				Param{p + "fc2.bias", []int{b.outC}},
			)
		}
		layers(b.shortcut)
	}
	fc := a.classifier()
	return append(ps,
		Param{fc + ".weight", []int{classes, a.Features()}},
		Param{fc + ".bias", []int{classes}},
	)
}

// ignored reports whether a state-dict entry carries nothing inference
// needs: batch norms' num_batches_tracked counters.
func ignored(name string) bool {
	return name == "num_batches_tracked" || strings.HasSuffix(name, ".num_batches_tracked")
}

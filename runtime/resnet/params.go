package resnet

import "github.com/segen/segen/runtime/safetensors"

// Param is one tensor of a timm state dict: its name and shape.
type Param = safetensors.Param

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
				ps = append(ps, Param{Name: c.conv + ".weight", Shape: []int{c.outC, c.inC / orOne(c.groups), c.k, c.k}})
				for _, s := range bnStats {
					ps = append(ps, Param{Name: c.bn + "." + s, Shape: []int{c.outC}})
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
				Param{Name: p + "fc1.weight", Shape: []int{b.hidden, b.outC, 1, 1}},
				Param{Name: p + "fc1.bias", Shape: []int{b.hidden}},
				Param{Name: p + "fc2.weight", Shape: []int{b.outC, b.hidden, 1, 1}},
				Param{Name: p + "fc2.bias", Shape: []int{b.outC}},
			)
		}
		layers(b.shortcut)
	}
	fc := a.classifier()
	return append(ps,
		Param{Name: fc + ".weight", Shape: []int{classes, a.Features()}},
		Param{Name: fc + ".bias", Shape: []int{classes}},
	)
}

package resnet

import (
	"strings"
	"testing"
)

// TestGatesFold checks which blocks fold their SE gate into their last
// convolution (foldsGate): the bottlenecks whose output has at least twice
// as many pixels as the convolution has inputs (at 224², SE-ResNet-50's
// stages 1 and 2), not the blocks whose 1×1 reads a pool's output (the
// strided blocks of the anti-aliased networks), not a branch ending in
// ReLU (the original basic block), never with UseGeneric.
func TestGatesFold(t *testing.T) {
	cases := []struct {
		arch    string
		generic bool
		want    func(prefix string) bool
	}{
		{"seresnet50", false, func(p string) bool { return strings.HasPrefix(p, "layer1.") || strings.HasPrefix(p, "layer2.") }},
		{"seresnet50", true, func(string) bool { return false }},
		{"seresnetaa50d", false, func(p string) bool {
			return strings.HasPrefix(p, "layer1.") || strings.HasPrefix(p, "layer2.") && p != "layer2.0."
		}},
		{"legacy_seresnet18", false, func(string) bool { return false }},
		{"resnet50", false, func(string) bool { return false }},
	}
	for _, c := range cases {
		if testing.Short() && c.arch != "seresnet50" {
			continue // the weights are slow to make
		}
		m := randomModel(t, c.arch, 10, 1, Options{UseGeneric: c.generic})
		p, err := m.NewPlan(1, 224, 224)
		if err != nil {
			t.Fatal(err)
		}
		for i, folded := range p.Folded() {
			if prefix := m.blocks[i].prefix; folded != c.want(prefix) {
				t.Errorf("%s (generic %v): block %s folded = %v, want %v", c.arch, c.generic, prefix, folded, !folded)
			}
		}
	}
}

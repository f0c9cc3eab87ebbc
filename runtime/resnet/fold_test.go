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
	none := func(string) bool { return false } // what UseGeneric folds, in every network
	cases := []struct {
		arch string
		want func(prefix string) bool
	}{
		{"seresnet50", func(p string) bool { return strings.HasPrefix(p, "layer1.") || strings.HasPrefix(p, "layer2.") }},
		{"seresnetaa50d", func(p string) bool {
			return strings.HasPrefix(p, "layer1.") || strings.HasPrefix(p, "layer2.") && p != "layer2.0."
		}},
		{"legacy_seresnet18", none},
		{"resnet50", none},
	}
	for _, c := range cases {
		if (testing.Short() || raceEnabled) && c.arch != "seresnet50" {
			continue // the weights are slow to make, and the choice has no concurrency to race
		}
		m := randomModel(t, c.arch, 10, 1, Options{})
		for _, generic := range []bool{false, true} {
			want := c.want
			if generic {
				want = none
			}
			p, err := m.WithOptions(Options{UseGeneric: generic}).NewPlan(1, 224, 224)
			if err != nil {
				t.Fatal(err)
			}
			for i, folded := range p.Folded() {
				if prefix := m.blocks[i].prefix; folded != want(prefix) {
					t.Errorf("%s (generic %v): block %s folded = %v, want %v", c.arch, generic, prefix, folded, !folded)
				}
			}
		}
	}
}

package resnet

import (
	"math"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/tensor"
)

// TestAllArchs builds every architecture that TestParity does not compare
// with PyTorch with random weights and runs a small input through it: the
// output has the right shape and is finite.
func TestAllArchs(t *testing.T) {
	covered := map[string]bool{}
	for _, fx := range fixtures(t) {
		covered[fx.arch] = true
	}
	for _, name := range Archs() {
		if covered[name] {
			continue
		}
		t.Run(name, func(t *testing.T) {
			if name != "seresnet18" {
				heavyTest(t)
			}
			m, err := NewRandom(name, 7, 1, Options{})
			if err != nil {
				t.Fatal(err)
			}
			x := tensor.New(1, 3, 32, 32)
			for i := range x.Data {
				x.Data[i] = float32(math.Sin(float64(i)))
			}
			y, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			if len(y.Shape) != 2 || y.Shape[0] != 1 || y.Shape[1] != 7 {
				t.Fatalf("output shape %v, want [1 7]", y.Shape)
			}
			peak := 0.0
			for _, v := range y.Data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("non-finite logit: %v", y.Data)
				}
				peak = max(peak, math.Abs(float64(v)))
			}
			if peak < 0.1 || peak > 100 {
				t.Errorf("logits %v: max |logit| %g is not of order 1", y.Data, peak)
			}
		})
	}
}

func TestUnknownArch(t *testing.T) {
	_, err := NewRandom("resnet42", 10, 1, Options{})
	if err == nil || !strings.Contains(err.Error(), `"resnet42"`) || !strings.Contains(err.Error(), "seresnet152") {
		t.Fatalf("error %v does not name the arch and list the known ones", err)
	}
	if _, err := LookupArch("seresnet50.a1_in1k"); err != nil {
		t.Errorf("a timm pretrained tag is not ignored: %v", err)
	}
}

func TestForwardBadInput(t *testing.T) {
	m := randomModel(t, "seresnet18", 10, 1, Options{})
	for _, x := range []*tensor.Tensor{
		{Shape: []int{1, 4, 32, 32}, Data: make([]float32, 4*32*32)},
		{Shape: []int{3, 32, 32}, Data: make([]float32, 3*32*32)},
		{Shape: []int{1, 3, 32, 32}, Data: make([]float32, 5)},
		{Shape: []int{0, 3, 32, 32}},
	} {
		if _, err := m.Forward(x); err == nil {
			t.Errorf("Forward accepted shape %v with %d values", x.Shape, len(x.Data))
		}
	}
}

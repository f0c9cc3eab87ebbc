package resnet

import (
	"slices"
	"testing"
)

// TestProfile checks that a profiled pass computes what Forward does and
// accounts for every layer: one entry per convolution, pooling, SE tail and
// the classifier, in order, with the convolutions' FLOPs.
func TestProfile(t *testing.T) {
	m := randomModel(t, "seresnet18", 10, 1, Options{Threads: 1})
	p, err := m.NewPlan(1, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	x := randomInput(1, 32, 32)
	want, got := make([]float32, 10), make([]float32, 10)
	p.Forward(want, x.Data)
	layers := p.Profile(got, x.Data, nil)
	if !slices.Equal(got, want) {
		t.Errorf("profiled logits %v, want %v", got, want)
	}
	// seresnet18: stem, maxpool, per block two 3×3 and the SE tail, a
	// downsample in the first block of stages 2–4, the classifier.
	if n := 2 + 8*3 + 3 + 1; len(layers) != n {
		t.Fatalf("%d layers profiled, want %d: %v", len(layers), n, layers)
	}
	if layers[0].Class != "stem 7×7/2" || layers[1].Class != "maxpool" || layers[len(layers)-1].Class != "avgpool+fc" {
		t.Errorf("first and last layers %q, %q, %q", layers[0].Class, layers[1].Class, layers[len(layers)-1].Class)
	}
	// 32×32 input: stem 16×16 output, 64 channels of 7·7·3 products.
	if f := 2.0 * 16 * 16 * 64 * 7 * 7 * 3; layers[0].FLOPs != f {
		t.Errorf("stem FLOPs %v, want %v", layers[0].FLOPs, f)
	}
	classes := map[string]int{}
	for _, l := range layers {
		classes[l.Class]++
		if l.Time < 0 {
			t.Errorf("%s: negative time %v", l.Class, l.Time)
		}
	}
	for class, n := range map[string]int{"stage 1 3×3": 4, "stage 2 3×3/2": 1, "stage 2 3×3": 3, "stage 3 downsample": 1, "stage 4 SE": 2} {
		if classes[class] != n {
			t.Errorf("%d layers of class %q, want %d (all: %v)", classes[class], class, n, classes)
		}
	}
	if p.prof != nil {
		t.Error("the plan is still profiling after Profile")
	}
}

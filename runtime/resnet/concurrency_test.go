package resnet

import (
	"slices"
	"sync"
	"testing"

	"github.com/segen/segen/runtime/tensor"
)

// TestConcurrentForward runs one model from several goroutines at once, on
// two input shapes, and checks every result equals the sequential one:
// plans are per call, layers shared and read-only.
func TestConcurrentForward(t *testing.T) {
	m := randomModel(t, "seresnet18", 10, 1, Options{Threads: 2})
	inputs := [][3]int{{2, 32, 36}, {1, 32, 40}}
	var want [][]float32
	for _, s := range inputs {
		y, err := m.Forward(randomInput(s[0], s[1], s[2]))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, y.Data)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for r := range 2 {
				i := (g + r) % len(inputs)
				s := inputs[i]
				y, err := m.Forward(randomInput(s[0], s[1], s[2]))
				if err != nil {
					t.Error(err)
					return
				}
				if !slices.Equal(y.Data, want[i]) {
					t.Errorf("goroutine %d, run %d: logits differ from the sequential run", g, r)
				}
			}
		})
	}
	wg.Wait()
}

// TestThreadsAgree checks that the thread count does not change results
// beyond reordering-free work splits: each output value is computed by one
// goroutine in a fixed order, so they are bit-identical.
func TestThreadsAgree(t *testing.T) {
	// Three images on three threads, and fewer images than threads, where
	// the SE tails split by pixels; and a bottleneck network whose first
	// stage folds its SE gates into its convolutions (foldsGate), with
	// one image and with two.
	for _, c := range []struct {
		arch   string
		inputs []*tensor.Tensor
	}{
		{"seresnet18", []*tensor.Tensor{randomInput(3, 33, 29), randomInput(1, 40, 36), randomInput(2, 40, 36)}},
		{"seresnext26t_32x4d", []*tensor.Tensor{randomInput(1, 64, 64), randomInput(2, 96, 64)}},
	} {
		m := randomModel(t, c.arch, 10, 1, Options{Threads: 1})
		for _, x := range c.inputs {
			one, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			three, err := m.WithOptions(Options{Threads: 3}).Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(one.Data, three.Data) {
				t.Errorf("%s, input %v, 1 thread: %v\n3 threads: %v", c.arch, x.Shape, one.Data, three.Data)
			}
		}
	}
}

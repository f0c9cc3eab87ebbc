package inception

import (
	"slices"
	"sync"
	"testing"

	"github.com/segen/segen/runtime/tensor"
)

// TestConcurrentForward runs one model from several goroutines at once,
// each pass on a different thread count, and checks that every result is
// bit for bit the one-thread result: each output value is computed in a
// fixed order whatever the threads, and plans are never shared.
func TestConcurrentForward(t *testing.T) {
	if testing.Short() {
		t.Skip("several forward passes at 224×224")
	}
	m, err := NewRandom("se_bn_inception", 10, 3, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	x := &tensor.Tensor{Shape: []int{1, 3, Size, Size}, Data: RandomInput(1, 4)}
	want, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]*tensor.Tensor, 3)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() { got[i], errs[i] = m.WithOptions(Options{Threads: i + 1}).Forward(x) })
	}
	wg.Wait()
	for i, g := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !slices.Equal(g.Data, want.Data) {
			t.Errorf("%d threads: logits differ from one thread's", i+1)
		}
	}
}

// TestPlanAllocs checks that a forward pass through a warm one-thread plan
// allocates nothing.
func TestPlanAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("forward passes at 224×224; the race detector allocates")
	}
	m, err := NewRandom("se_bn_inception", 10, 3, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPlan(1)
	x, logits := RandomInput(1, 4), make([]float32, 10)
	if allocs := testing.AllocsPerRun(2, func() { p.Forward(logits, x) }); allocs != 0 {
		t.Errorf("a forward pass allocates %v times", allocs)
	}
}

package resnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/segen/segen/internal/cputime"
	"github.com/segen/segen/runtime/tensor"
)

// BenchmarkForward times a whole forward pass at 224×224 with well-scaled
// random weights (see random.go) on all cores, after one warm-up pass that
// builds the plan.
func BenchmarkForward(b *testing.B) {
	for _, arch := range []string{"seresnet50", "resnet50"} {
		m, err := NewRandom(arch, 1000, 1, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range []int{1} {
			b.Run(fmt.Sprintf("%s/batch%d", arch, n), func(b *testing.B) {
				x := randomInput(n, 224, 224)
				if _, err := m.Forward(x); err != nil {
					b.Fatal(err)
				}
				best := time.Duration(math.MaxInt64)
				cpu0 := cputime.Used()
				for b.Loop() {
					start := time.Now()
					if _, err := m.Forward(x); err != nil {
						b.Fatal(err)
					}
					best = min(best, time.Since(start))
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
				// The fastest pass: on a shared machine, the one least
				// disturbed by other programs.
				b.ReportMetric(float64(best.Nanoseconds())/1e6, "best-ms")
				// CPU time per pass (all threads): unlike the wall clock,
				// blind to the time spent waiting for a core.
				if cpu := cputime.Used() - cpu0; cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/1e6/float64(b.N), "cpu-ms")
				}
			})
		}
	}
}

// randomInput returns n standard-normal NCHW images, like normalised
// ImageNet inputs.
func randomInput(n, h, w int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(uint64(n), uint64(h*w)))
	x := tensor.New(n, 3, h, w)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

// TestNoAllocs checks that a forward pass through a warm plan allocates
// nothing on one thread, with and without SE blocks (at 32×32 their shapes
// are outside the spec: the runtime-sized kernels run), and with SE gates
// folded into convolutions (SE-ResNeXt-26t's first stage at 64×64).
func TestNoAllocs(t *testing.T) {
	for _, c := range []struct {
		arch string
		side int
	}{{"resnet18", 32}, {"seresnet18", 32}, {"seresnext26t_32x4d", 64}} {
		arch := c.arch
		if raceEnabled && arch == "seresnext26t_32x4d" {
			continue // allocations are the same under the race detector; its weights are slow
		}
		m := randomModel(t, arch, 10, 1, Options{Threads: 1})
		p, err := m.NewPlan(1, c.side, c.side)
		if err != nil {
			t.Fatal(err)
		}
		if arch == "seresnext26t_32x4d" && !p.Folded()[0] {
			t.Fatalf("%s: block 0 does not fold its gate at %d×%d", arch, c.side, c.side)
		}
		x := randomInput(1, c.side, c.side)
		logits := make([]float32, 10)
		if allocs := testing.AllocsPerRun(3, func() { p.Forward(logits, x.Data) }); allocs != 0 {
			t.Errorf("%s: Plan.Forward allocates %v times per pass", arch, allocs)
		}
	}
}

package inception

import (
	"testing"

	"github.com/segen/segen/runtime/tensor"
)

// BenchmarkForward times a forward pass of each network at batch 1 on one
// thread; the difference is the SE modules' cost.
func BenchmarkForward(b *testing.B) {
	for _, arch := range Archs() {
		b.Run(arch, func(b *testing.B) {
			m, err := NewRandom(arch, 1000, 1, Options{Threads: 1})
			if err != nil {
				b.Fatal(err)
			}
			x := &tensor.Tensor{Shape: []int{1, 3, Size, Size}, Data: RandomInput(1, 2)}
			p := m.NewPlan(1)
			logits := make([]float32, m.Classes())
			p.Forward(logits, x.Data)
			b.ResetTimer()
			for range b.N {
				p.Forward(logits, x.Data)
			}
		})
	}
}

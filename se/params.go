package se

import "fmt"

// Params are the excitation weights of one block, stored row-major as PyTorch
// stores fc1.weight [Hidden, C, 1, 1] and fc2.weight [C, Hidden, 1, 1].
type Params struct {
	W1 []float32 // Hidden×C
	B1 []float32 // Hidden; nil when the shape has no bias
	W2 []float32 // C×Hidden
	B2 []float32 // C; nil when the shape has no bias
}

// Check reports whether p has exactly the lengths shape s needs.
func (p *Params) Check(s Shape) error {
	if p == nil {
		return fmt.Errorf("se: params for %v are nil", s)
	}
	want := func(name string, got, n int) error {
		if got != n {
			return fmt.Errorf("se: params for %v: len(%s) = %d, want %d", s, name, got, n)
		}
		return nil
	}
	b := 0
	if s.Bias {
		b = 1
	}
	for _, err := range []error{
		want("W1", len(p.W1), s.Hidden*s.C),
		want("W2", len(p.W2), s.C*s.Hidden),
		want("B1", len(p.B1), b*s.Hidden),
		want("B2", len(p.B2), b*s.C),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

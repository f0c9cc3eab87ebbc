package se

import (
	"fmt"
	"testing"
)

func TestOps(t *testing.T) {
	want := []Op{"Squeeze", "Excite", "Scale", "ScaleAddReLU", "Forward", "ForwardAddReLU"}
	if got := Ops(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Ops() = %v, want %v", got, want)
	}
}

func TestBytesPerOp(t *testing.T) {
	// 24 floats per sample, 8+8 weights and 2+4 biases.
	s := Shape{Layout: NCHW, C: 4, H: 2, W: 3, Hidden: 2, Squeeze: Avg, Bias: true}
	for op, want := range map[Op]int64{
		Squeeze:        4 * (48 + 8),       // x, z
		Excite:         4 * (22 + 8 + 8),   // weights, z, s
		Scale:          4 * (48 + 8 + 48),  // x, s, dst
		ScaleAddReLU:   4 * (48 + 8 + 96),  // x, s, res, dst
		Forward:        4 * (96 + 22 + 48), // x twice, weights, dst
		ForwardAddReLU: 4 * (96 + 22 + 96), // x twice, weights, res, dst
	} {
		if got := BytesPerOp(s, op, 2); got != want {
			t.Errorf("BytesPerOp(%v, %s, 2) = %d, want %d", s, op, got, want)
		}
	}
	s.Bias = false
	if got, want := BytesPerOp(s, Excite, 1), int64(4*(16+4+4)); got != want {
		t.Errorf("BytesPerOp without biases, Excite = %d, want %d", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("BytesPerOp of an unknown op did not panic")
		}
	}()
	BytesPerOp(s, "Squash", 1)
}

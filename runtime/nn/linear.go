package nn

import "fmt"

// Linear is a fully connected layer y = W·x + b with W stored as PyTorch
// stores it: Out rows of In values. It is a 1×1 convolution of n one-pixel
// images, so it runs on the convolution engine's GEMM (whose packing takes
// W exactly in this layout) rather than on dot products of its own.
type Linear struct {
	In, Out int
	conv    *Conv2d
}

// NewLinear copies weight (Out×In) and bias (Out values; nil means zero).
func NewLinear(in, out int, weight, bias []float32) (*Linear, error) {
	if in < 1 || out < 1 || len(weight) != in*out || (bias != nil && len(bias) != out) {
		return nil, fmt.Errorf("nn: linear %d→%d: %d weights and %d biases, want %d and %d", in, out, len(weight), len(bias), in*out, out)
	}
	conv, err := NewConv2d(ConvSpec{InC: in, OutC: out, KH: 1, KW: 1, Stride: 1}, weight, bias)
	if err != nil {
		return nil, err
	}
	return &Linear{In: in, Out: out, conv: conv}, nil
}

// Forward sets dst (n×Out) from src (n×In).
func (l *Linear) Forward(dst, src []float32, n int, ws *Workspace) {
	if len(src) != n*l.In || len(dst) != n*l.Out {
		panic(fmt.Sprintf("nn: linear %d→%d on batch %d: len(src) = %d, len(dst) = %d", l.In, l.Out, n, len(src), len(dst)))
	}
	l.conv.Forward(dst, src, n, 1, 1, Epilogue{}, ws)
}

package nn

import "fmt"

// Linear is a fully connected layer y = W·x + b with W stored as PyTorch
// stores it: Out rows of In values.
type Linear struct {
	In, Out int
	weight  []float32 // Out×In
	bias    []float32 // Out
}

// NewLinear copies weight (Out×In) and bias (Out values; nil means zero).
func NewLinear(in, out int, weight, bias []float32) (*Linear, error) {
	if in < 1 || out < 1 || len(weight) != in*out || (bias != nil && len(bias) != out) {
		return nil, fmt.Errorf("nn: linear %d→%d: %d weights and %d biases, want %d and %d", in, out, len(weight), len(bias), in*out, out)
	}
	l := &Linear{In: in, Out: out, weight: append([]float32(nil), weight...), bias: make([]float32, out)}
	copy(l.bias, bias)
	return l, nil
}

// Forward sets dst (n×Out) from src (n×In).
func (l *Linear) Forward(dst, src []float32, n int, ws *Workspace) {
	if len(src) != n*l.In || len(dst) != n*l.Out {
		panic(fmt.Sprintf("nn: linear %d→%d on batch %d: len(src) = %d, len(dst) = %d", l.In, l.Out, n, len(src), len(dst)))
	}
	blocks := (l.Out + linearBlock - 1) / linearBlock
	ws.linear = linearJob{l: l, dst: dst, src: src, blocks: blocks}
	ws.Parallel(n*blocks, &ws.linear)
	ws.linear = linearJob{}
}

// linearBlock is the number of outputs a task computes.
const linearBlock = 64

// linearJob is one Linear.Forward call; a task is a block of one sample's
// outputs.
type linearJob struct {
	l        *Linear
	dst, src []float32
	blocks   int
}

func (j *linearJob) Run(_, task int) {
	l := j.l
	i, o0 := task/j.blocks, task%j.blocks*linearBlock
	x := j.src[i*l.In : (i+1)*l.In]
	for o := o0; o < min(l.Out, o0+linearBlock); o++ {
		j.dst[i*l.Out+o] = l.bias[o] + dot(l.weight[o*l.In:(o+1)*l.In], x)
	}
}

// dot returns the dot product of a and b (equal lengths) with four
// independent accumulators.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

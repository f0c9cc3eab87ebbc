package se

import "fmt"

// Op names a method of se.Kernel, for benchmarks, BytesPerOp and messages.
type Op string

// The operations of se.Kernel, in the order Ops returns them.
const (
	Squeeze        Op = "Squeeze"
	Excite         Op = "Excite"
	Scale          Op = "Scale"
	ScaleAddReLU   Op = "ScaleAddReLU"
	Forward        Op = "Forward"
	ForwardAddReLU Op = "ForwardAddReLU"
)

// Ops returns every operation, in the order of the se.Kernel interface.
func Ops() []Op {
	return []Op{Squeeze, Excite, Scale, ScaleAddReLU, Forward, ForwardAddReLU}
}

// BytesPerOp returns the memory traffic of one call of op on n samples of
// shape s: the bytes the op must read and write at the very least, so that
// a benchmark turns ns/op into a bandwidth comparable with the machine's.
//
//   - Squeeze reads x (n·C·H·W floats) and writes z (n·C).
//   - Excite reads W1, W2, the biases if any (once per call, whatever n) and
//     z, and writes s.
//   - Scale reads x and s and writes dst; ScaleAddReLU also reads res.
//   - Forward reads x twice, once to squeeze it and once to scale it, plus
//     the weights, and writes dst; ForwardAddReLU also reads res. The second
//     read of x is counted even though a small activation may still be in
//     cache: it is a real second pass for the large activations where
//     bandwidth matters, and counting it the same way at every size keeps
//     the GB/s of different shapes comparable. The internal z and s are not
//     counted (a fused kernel keeps them in registers or L1).
//
// It panics on an unknown op.
func BytesPerOp(s Shape, op Op, n int) int64 {
	act := int64(n) * int64(s.Size())  // one activation tensor
	vec := int64(n) * int64(s.C)       // one z or s
	weights := 2 * int64(s.Hidden*s.C) // W1 and W2
	if s.Bias {
		weights += int64(s.Hidden + s.C)
	}
	var floats int64
	switch op {
	case Squeeze:
		floats = act + vec
	case Excite:
		floats = weights + 2*vec
	case Scale:
		floats = 2*act + vec
	case ScaleAddReLU:
		floats = 3*act + vec
	case Forward:
		floats = 3*act + weights
	case ForwardAddReLU:
		floats = 4*act + weights
	default:
		panic(fmt.Sprintf("se: unknown op %q", op))
	}
	return 4 * floats
}

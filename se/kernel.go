package se

import (
	"fmt"
	"unsafe"
)

// Kernel runs the stages of one SE block shape. Every method takes a batch of
// n samples laid out one after another (n is implied by the slice lengths,
// which must be exact) and panics on lengths that do not fit the shape. An
// output may be the very same slice as an input of the same length (in-place
// operation) but must not partially overlap one. Kernels are safe for
// concurrent use. se.BlockName names the block of a generated package's
// kernel.
type Kernel interface {
	// Shape returns the block shape the kernel was built for.
	Shape() Shape
	// Impl names the implementation: "avx512", "avx2" or "go" for
	// specialised kernels, "generic-simd" and "generic" for the fallbacks.
	Impl() string

	// Squeeze sets z[n][c] to the pool (average, maximum or stochastic) of
	// channel c of sample n.
	// len(z) = n×C, len(x) = n×C×H×W.
	Squeeze(z, x []float32)
	// Excite sets s = sigmoid(W2·relu(W1·z + b1) + b2) for each sample.
	// len(s) = len(z) = n×C.
	Excite(s, z []float32, p *Params)
	// Scale sets dst[n][c][…] = x[n][c][…] × s[n][c].
	Scale(dst, x, s []float32)
	// ScaleAddReLU sets dst = max(x×s + res, 0), the SE-ResNet block tail.
	ScaleAddReLU(dst, x, s, res []float32)
	// Forward runs squeeze, excite and scale: dst = x × excite(squeeze(x)).
	Forward(dst, x []float32, p *Params)
	// ForwardAddReLU runs the whole SE-ResNet tail: dst = max(x×s + res, 0)
	// with s = excite(squeeze(x)).
	ForwardAddReLU(dst, x, res []float32, p *Params)
}

// The Check functions validate the arguments of the Kernel method of the same
// name for shape s and return the batch size n. They panic with a message
// naming the operation, the shape and the offending length. Generated kernels
// call them before entering assembly.

// CheckSqueeze validates Squeeze's arguments.
func (s Shape) CheckSqueeze(z, x []float32) int {
	n := s.batch("Squeeze", "x", x)
	s.want("Squeeze", "z", len(z), n*s.C)
	return n
}

// CheckExcite validates Excite's arguments.
func (s Shape) CheckExcite(sc, z []float32, p *Params) int {
	if len(z)%s.C != 0 {
		s.fail("Excite", fmt.Sprintf("len(z) = %d is not a multiple of C = %d", len(z), s.C))
	}
	s.want("Excite", "s", len(sc), len(z))
	if err := p.Check(s); err != nil {
		panic(err)
	}
	checkOverlap("Excite", s, sc, z)
	return len(z) / s.C
}

// CheckScale validates Scale's arguments.
func (s Shape) CheckScale(dst, x, sc []float32) int {
	n := s.batch("Scale", "x", x)
	s.want("Scale", "dst", len(dst), len(x))
	s.want("Scale", "s", len(sc), n*s.C)
	checkOverlap("Scale", s, dst, x)
	checkOverlap("Scale", s, dst, sc)
	return n
}

// CheckScaleAddReLU validates ScaleAddReLU's arguments.
func (s Shape) CheckScaleAddReLU(dst, x, sc, res []float32) int {
	n := s.CheckScale(dst, x, sc)
	s.want("ScaleAddReLU", "res", len(res), len(x))
	checkOverlap("ScaleAddReLU", s, dst, res)
	return n
}

// CheckForward validates Forward's arguments.
func (s Shape) CheckForward(dst, x []float32, p *Params) int {
	n := s.batch("Forward", "x", x)
	s.want("Forward", "dst", len(dst), len(x))
	if err := p.Check(s); err != nil {
		panic(err)
	}
	checkOverlap("Forward", s, dst, x)
	return n
}

// CheckForwardAddReLU validates ForwardAddReLU's arguments.
func (s Shape) CheckForwardAddReLU(dst, x, res []float32, p *Params) int {
	n := s.CheckForward(dst, x, p)
	s.want("ForwardAddReLU", "res", len(res), len(x))
	checkOverlap("ForwardAddReLU", s, dst, res)
	return n
}

func (s Shape) batch(op, name string, x []float32) int {
	if len(x) == 0 || len(x)%s.Size() != 0 {
		s.fail(op, fmt.Sprintf("len(%s) = %d is not a positive multiple of C×H×W = %d", name, len(x), s.Size()))
	}
	return len(x) / s.Size()
}

func (s Shape) want(op, name string, got, want int) {
	if got != want {
		s.fail(op, fmt.Sprintf("len(%s) = %d, want %d", name, got, want))
	}
}

func (s Shape) fail(op, msg string) {
	panic(fmt.Sprintf("se: %s %v: %s", op, s, msg))
}

// checkOverlap panics if a and b share memory without being the same slice.
func checkOverlap(op string, s Shape, a, b []float32) {
	if len(a) == 0 || len(b) == 0 {
		return
	}
	pa := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	pb := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	ea := pa + uintptr(len(a))*4
	eb := pb + uintptr(len(b))*4
	if pa < eb && pb < ea && (pa != pb || len(a) != len(b)) {
		s.fail(op, "buffers overlap partially; an output may only alias an input exactly")
	}
}

// Package se is the contract every Squeeze-and-Excitation kernel meets: the
// shape of a block, its parameters, the Kernel interface, the registry that
// generated packages fill in init, and the generic plain-Go kernels that work
// for any shape and define the semantics the specialised kernels must match.
package se

import (
	"fmt"
)

// Layout is the memory order of an activation tensor.
type Layout uint8

const (
	// NCHW stores each channel's H×W plane contiguously (PyTorch's default).
	NCHW Layout = iota
	// NHWC stores each pixel's C channel values contiguously (channels-last).
	NHWC
)

func (l Layout) String() string {
	switch l {
	case NCHW:
		return "nchw"
	case NHWC:
		return "nhwc"
	}
	return fmt.Sprintf("Layout(%d)", uint8(l))
}

// Pool is the squeeze reduction over a channel's spatial positions.
type Pool uint8

const (
	// Avg is global average pooling, the SE paper's squeeze.
	Avg Pool = iota
	// Max is global max pooling, the paper's ablation variant; NaN propagates.
	Max
	// Stochastic is the test-phase stochastic pooling of Zeiler and Fergus
	// (2013) over the whole plane: each value weighted by its probability
	// x/Σx, so z = Σx²/Σx, and 0 where Σx ≤ 0 (see ProbabilityWeighted).
	Stochastic
)

func (p Pool) String() string {
	switch p {
	case Avg:
		return "avg"
	case Max:
		return "max"
	case Stochastic:
		return "stochastic"
	}
	return fmt.Sprintf("Pool(%d)", uint8(p))
}

// Limits on a Shape. They keep every size comfortably inside int32 arithmetic
// and reject shapes no network uses.
const (
	MaxChannels = 16384
	MaxSide     = 4096
	MaxPlane    = 1 << 20 // H×W
)

// Shape describes one SE block: the activation it runs on and its excitation.
type Shape struct {
	Layout  Layout
	C       int  // channels
	H, W    int  // spatial size
	Hidden  int  // excitation width, W1 is Hidden×C
	Squeeze Pool // squeeze reduction
	Bias    bool // whether the two FC layers have biases
}

// Plane returns H×W, the number of spatial positions.
func (s Shape) Plane() int { return s.H * s.W }

// Size returns C×H×W, the number of values in one sample.
func (s Shape) Size() int { return s.C * s.H * s.W }

func (s Shape) String() string {
	bias := "bias"
	if !s.Bias {
		bias = "nobias"
	}
	return fmt.Sprintf("%s %d×%d×%d hidden %d %s %s", s.Layout, s.C, s.H, s.W, s.Hidden, s.Squeeze, bias)
}

// Validate reports whether s is a shape kernels can be built for.
func (s Shape) Validate() error {
	switch {
	case s.Layout != NCHW && s.Layout != NHWC:
		return fmt.Errorf("se: layout %v is not nchw or nhwc", s.Layout)
	case s.Squeeze != Avg && s.Squeeze != Max && s.Squeeze != Stochastic:
		return fmt.Errorf("se: squeeze %v is not avg, max or stochastic", s.Squeeze)
	case s.C < 1 || s.C > MaxChannels:
		return fmt.Errorf("se: channels must be between 1 and %d, got %d", MaxChannels, s.C)
	case s.H < 1 || s.H > MaxSide:
		return fmt.Errorf("se: height must be between 1 and %d, got %d", MaxSide, s.H)
	case s.W < 1 || s.W > MaxSide:
		return fmt.Errorf("se: width must be between 1 and %d, got %d", MaxSide, s.W)
	case s.H*s.W > MaxPlane:
		return fmt.Errorf("se: height×width must be at most %d, got %d", MaxPlane, s.H*s.W)
	case s.Hidden < 1 || s.Hidden > s.C:
		return fmt.Errorf("se: hidden must be between 1 and channels (%d), got %d", s.C, s.Hidden)
	}
	return nil
}

// TimmHidden returns the excitation width timm gives a block of c channels
// with its default reduction of 16: max(8, int(c/16+4)//8*8).
func TimmHidden(c int) int {
	h := int(float64(c)/16+4) / 8 * 8
	return max(8, h)
}

// Package tensor is the runtime's float32 tensor: a shape and the row-major
// values it describes. It deliberately has no operations beyond shape
// bookkeeping and layout conversion; layers live in runtime/nn.
package tensor

import (
	"fmt"
	"slices"
)

// Tensor is a dense row-major float32 tensor: the last dimension varies
// fastest. Which dimension means what (NCHW or NHWC) is the caller's
// convention, stated where a tensor crosses an API.
type Tensor struct {
	Shape []int
	Data  []float32
}

// New returns a zeroed tensor of the given shape. It panics on a negative
// dimension.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: slices.Clone(shape), Data: make([]float32, Count(shape))}
}

// From wraps data (not copied) as a tensor of the given shape. It returns an
// error if len(data) is not the product of shape.
func From(data []float32, shape ...int) (*Tensor, error) {
	if n := Count(shape); n != len(data) {
		return nil, fmt.Errorf("tensor: %d values do not fill shape %v (%d values)", len(data), shape, n)
	}
	return &Tensor{Shape: slices.Clone(shape), Data: data}, nil
}

// Count returns the number of values of a tensor of the given shape: the
// product of its dimensions, 1 for a scalar. It panics on a negative dimension.
func Count(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// Len returns the number of values t's shape describes.
func (t *Tensor) Len() int { return Count(t.Shape) }

// NCHWToNHWC writes src, n images of c×h×w values in channel-major order,
// into dst in pixel-major (channels-last) order. dst and src must not overlap.
func NCHWToNHWC(dst, src []float32, n, c, h, w int) {
	plane, size := h*w, c*h*w
	dst, src = dst[:n*size], src[:n*size]
	for i := range n {
		d, s := dst[i*size:(i+1)*size], src[i*size:(i+1)*size]
		for ch := range c {
			sp := s[ch*plane : (ch+1)*plane]
			for p, v := range sp {
				d[p*c+ch] = v
			}
		}
	}
}

// NHWCToNCHW is the inverse of NCHWToNHWC.
func NHWCToNCHW(dst, src []float32, n, c, h, w int) {
	plane, size := h*w, c*h*w
	dst, src = dst[:n*size], src[:n*size]
	for i := range n {
		d, s := dst[i*size:(i+1)*size], src[i*size:(i+1)*size]
		for ch := range c {
			dp := d[ch*plane : (ch+1)*plane]
			for p := range dp {
				dp[p] = s[p*c+ch]
			}
		}
	}
}

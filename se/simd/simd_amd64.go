//go:build amd64 && !purego

package simd

import (
	"github.com/segen/segen/isa"
	"github.com/segen/segen/se"
)

// The per-sample methods below pick the assembly for the layout, pooling
// and instruction set. Lengths were checked by the se.Shape.Check* call of
// the exported method that got here.

func (k kernel) squeeze(z, x []float32) {
	plane, avx512 := k.s.Plane(), k.isa == isa.AVX512
	switch {
	case k.s.Layout == se.NCHW && k.s.Squeeze == se.Avg && avx512:
		squeezeAvgNCHWAVX512(z, x, plane)
	case k.s.Layout == se.NCHW && k.s.Squeeze == se.Avg:
		squeezeAvgNCHWAVX2(z, x, plane)
	case k.s.Layout == se.NCHW && k.s.Squeeze == se.Max && avx512:
		squeezeMaxNCHWAVX512(z, x, plane)
	case k.s.Layout == se.NCHW && k.s.Squeeze == se.Max:
		squeezeMaxNCHWAVX2(z, x, plane)
	case k.s.Layout == se.NCHW && avx512:
		squeezeStochasticNCHWAVX512(z, x, plane)
	case k.s.Layout == se.NCHW:
		squeezeStochasticNCHWAVX2(z, x, plane)
	case k.s.Squeeze == se.Avg && avx512:
		squeezeAvgNHWCAVX512(z, x, plane)
	case k.s.Squeeze == se.Avg:
		squeezeAvgNHWCAVX2(z, x, plane)
	case k.s.Squeeze == se.Max && avx512:
		squeezeMaxNHWCAVX512(z, x, plane)
	case k.s.Squeeze == se.Max:
		squeezeMaxNHWCAVX2(z, x, plane)
	case avx512:
		squeezeStochasticNHWCAVX512(z, x, plane)
	default:
		squeezeStochasticNHWCAVX2(z, x, plane)
	}
}

// scale sets dst = x×s, or max(x×s + res, 0) when res is not nil.
func (k kernel) scale(dst, x, s, res []float32) {
	plane, avx512, nchw := k.s.Plane(), k.isa == isa.AVX512, k.s.Layout == se.NCHW
	switch {
	case res == nil && nchw && avx512:
		scaleNCHWAVX512(dst, x, s, plane)
	case res == nil && nchw:
		scaleNCHWAVX2(dst, x, s, plane)
	case res == nil && avx512:
		scaleNHWCAVX512(dst, x, s, plane)
	case res == nil:
		scaleNHWCAVX2(dst, x, s, plane)
	case nchw && avx512:
		scaleAddReLUNCHWAVX512(dst, x, s, res, plane)
	case nchw:
		scaleAddReLUNCHWAVX2(dst, x, s, res, plane)
	case avx512:
		scaleAddReLUNHWCAVX512(dst, x, s, res, plane)
	default:
		scaleAddReLUNHWCAVX2(dst, x, s, res, plane)
	}
}

// fc sets dst = act(W·x + b), act sigmoid or ReLU; b may be nil.
func (k kernel) fc(sigmoid bool, dst, w, x, b []float32) {
	switch {
	case sigmoid && k.isa == isa.AVX512:
		fcSigmoidAVX512(dst, w, x, b)
	case sigmoid:
		fcSigmoidAVX2(dst, w, x, b)
	case k.isa == isa.AVX512:
		fcReLUAVX512(dst, w, x, b)
	default:
		fcReLUAVX2(dst, w, x, b)
	}
}

package asm

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The constants of expf from the Cephes library: e^x = 2^n × e^r with
// n = round(x·log2 e) and |r| ≤ ln2/2, e^r from a degree-5 polynomial
// (about 1 ulp). ln 2 is split in two so r = x − n·ln2 is exact.
const (
	log2e   = 1.44269504088896341
	ln2Hi   = 0.693359375
	ln2Lo   = -2.12194440e-4
	expPoly = 6 // coefficients, highest degree first
)

var expCoeff = [expPoly]float32{
	1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
	4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
}

// The clamp bounds the exponent n. Below, e^-87.3 is just above the smallest
// normal float, and 1/(1+e^x) is already 1 there. Above, 88.8 gives n = 128,
// whose 2^n is +Inf, so 1/(1+e^x) is exactly 0 as in PyTorch (a gate of 0
// times an infinite input must give NaN, not Inf); inputs from 88.37 up
// round to n = 128 too, giving 0 where the true value is below 3e-39.
const (
	expMin = -87.3
	expMax = 88.8
)

// sigmoid sets v = 1/(1 + e^−v) in place. NaN stays NaN: the clamps take v
// as the operand VMINPS and VMAXPS return when either input is NaN, and the
// rest is arithmetic. Constants come from the file's table by broadcast,
// which keeps register pressure low on AVX2.
func (e *emitter) sigmoid(v reg.VecVirtual) {
	x := e.vec()
	e.VSUBPS(v, e.zero(), x) // x = −v
	e.VMAXPS(x, e.broadcast(expMin), x)
	e.VMINPS(x, e.broadcast(expMax), x)

	n := e.vec()
	e.VMULPS(e.broadcast(log2e), x, n)
	ni := e.vec()
	e.VCVTPS2DQ(n, ni) // round to nearest
	e.VCVTDQ2PS(ni, n)
	e.VFNMADD231PS(e.broadcast(ln2Hi), n, x) // x −= n·ln2Hi
	e.VFNMADD231PS(e.broadcast(ln2Lo), n, x) // x −= n·ln2Lo: x is now r

	p := e.broadcast(expCoeff[0])
	for _, c := range expCoeff[1:] {
		e.VFMADD213PS(e.broadcast(c), x, p) // p = p·r + c
	}
	r2 := e.vec()
	e.VMULPS(x, x, r2)
	e.VFMADD213PS(x, r2, p) // p = p·r² + r
	one := e.broadcast(1)
	e.VADDPS(one, p, p) // e^r

	e.VPADDD(e.broadcastInt(127), ni, ni) // biased exponent of 2^n
	e.VPSLLD(operand.U8(23), ni, ni)
	e.VMULPS(ni, p, p) // e^x

	e.VADDPS(one, p, p)
	e.VDIVPS(p, one, v) // 1 / (1 + e^−v)
}

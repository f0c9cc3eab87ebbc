// Package simd provides SE kernels for any shape, in AVX2 and AVX-512
// assembly with sizes known only at run time ("generic-simd"). Importing it
// makes se.Lookup return them for shapes that no generated package
// specialises; generated packages import it, so linking any of them makes
// every shape fast. Beside the specialised kernels, these show what
// specialisation buys.
//
// They share package asm's ISA description, masked tails, NaN-keeping max,
// horizontal reductions and sigmoid with the specialised kernels, and scale
// and scale-add-relu are the same one FMA (and VMAXPS) per vector. What
// differs, beyond trip counts known only at run time:
//
//   - NCHW squeeze reduces one channel at a time into one accumulator and
//     reduces it across lanes; the specialised squeeze picks by plane size
//     a flat run of whole vectors under opmask halves, Lanes channels at a
//     time with a transposing reduction, four channels with two
//     accumulators each, YMM vectors for planes of two or three ZMM
//     vectors, or eight accumulators for long planes.
//   - NHWC squeeze walks one vector of channels down all rows; the
//     specialised one holds blocks of columns in registers, several rows
//     per step, and streams rows wider than 24 vectors in order.
//   - The FC layers take one row at a time with four accumulators; the
//     specialised ones take four rows at a time with two accumulators each,
//     long rows with eight, and rows of at most one vector Lanes at a time
//     through one transpose.
//
// So "generic-simd" against "specialised" measures these algorithm choices
// as well as the constant sizes.
package simd

import (
	"fmt"

	"github.com/segen/segen/isa"
	"github.com/segen/segen/se"
)

//go:generate go run asm.go

func init() {
	if chosen != isa.Go {
		se.RegisterFallback(New)
	}
}

// targets are the instruction sets the package has kernels for.
var targets = []isa.ISA{isa.AVX2, isa.AVX512}

// chosen is the instruction set New uses: package isa's choice, as in
// generated packages, so one variable forces every kernel. On isa.Go New
// returns se's generic kernel.
var chosen = isa.Choose(targets...)

// New returns the runtime-sized kernel for s on the best instruction set
// this CPU runs (or SEGEN_ISA's choice), or se's generic kernel if none.
func New(s se.Shape) se.Kernel { return newKernel(s, chosen) }

// newKernel returns the runtime-sized kernel for s on instruction set i, or
// se's generic kernel when i is isa.Go.
func newKernel(s se.Shape, i isa.ISA) se.Kernel {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	if i == isa.Go {
		return se.Generic(s)
	}
	return kernel{s: s, isa: i}
}

// kernel runs shape s with the runtime-sized kernels of one instruction set.
type kernel struct {
	s   se.Shape
	isa isa.ISA
}

func (k kernel) Shape() se.Shape { return k.s }

// Impl returns "generic-simd"; ISA tells which instruction set runs.
func (k kernel) Impl() string { return "generic-simd" }

// ISA names the instruction set the kernel runs on.
func (k kernel) ISA() string { return k.isa.String() }

func (k kernel) Squeeze(z, x []float32) {
	n := k.s.CheckSqueeze(z, x)
	size, c := k.s.Size(), k.s.C
	for i := range n {
		k.squeeze(z[i*c:(i+1)*c], x[i*size:(i+1)*size])
	}
}

func (k kernel) Excite(sc, z []float32, p *se.Params) {
	k.s.CheckExcite(sc, z, p)
	var buf [maxStackHidden]float32
	h := scratch(buf[:], k.s.Hidden)
	for i := 0; i < len(z); i += k.s.C {
		k.excite(sc[i:i+k.s.C], z[i:i+k.s.C], h, p)
	}
}

func (k kernel) Scale(dst, x, sc []float32) {
	n := k.s.CheckScale(dst, x, sc)
	size, c := k.s.Size(), k.s.C
	for i := range n {
		k.scale(dst[i*size:(i+1)*size], x[i*size:(i+1)*size], sc[i*c:(i+1)*c], nil)
	}
}

func (k kernel) ScaleAddReLU(dst, x, sc, res []float32) {
	n := k.s.CheckScaleAddReLU(dst, x, sc, res)
	size, c := k.s.Size(), k.s.C
	for i := range n {
		k.scale(dst[i*size:(i+1)*size], x[i*size:(i+1)*size], sc[i*c:(i+1)*c], res[i*size:(i+1)*size])
	}
}

func (k kernel) Forward(dst, x []float32, p *se.Params) {
	n := k.s.CheckForward(dst, x, p)
	k.forward(dst, x, nil, p, n)
}

func (k kernel) ForwardAddReLU(dst, x, res []float32, p *se.Params) {
	n := k.s.CheckForwardAddReLU(dst, x, res, p)
	k.forward(dst, x, res, p, n)
}

// Scratch of up to these sizes lives on the stack, so blocks of the usual
// sizes allocate nothing per call; larger ones allocate.
const (
	maxStackChannels = 4096
	maxStackHidden   = 1024
)

// scratch returns n values of buf, or a new slice if buf is too short.
func scratch(buf []float32, n int) []float32 {
	if n <= len(buf) {
		return buf[:n]
	}
	return make([]float32, n)
}

func (k kernel) forward(dst, x, res []float32, p *se.Params, n int) {
	var zbuf, sbuf [maxStackChannels]float32
	var hbuf [maxStackHidden]float32
	z, sc, h := scratch(zbuf[:], k.s.C), scratch(sbuf[:], k.s.C), scratch(hbuf[:], k.s.Hidden)
	size := k.s.Size()
	for i := range n {
		xi, di := x[i*size:(i+1)*size], dst[i*size:(i+1)*size]
		var ri []float32
		if res != nil {
			ri = res[i*size : (i+1)*size]
		}
		k.squeeze(z, xi)
		k.excite(sc, z, h, p)
		k.scale(di, xi, sc, ri)
	}
}

// excite computes one sample's gate with the two FC kernels.
func (k kernel) excite(sc, z, h []float32, p *se.Params) {
	k.fc(false, h, p.W1, z, p.B1)
	k.fc(true, sc, p.W2, h, p.B2)
}

// FCReLU sets dst = ReLU(W·x + b) for a len(dst)×len(x) row-major W, and
// FCSigmoid dst = Sigmoid(W·x + b); b is nil or one value a row. They are
// the excitation's two layers for any run of rows, so that a caller can
// split one sample's excitation across threads by rows. They panic unless
// the lengths agree.
func FCReLU(dst, w, x, b []float32) { fc(false, dst, w, x, b) }

// FCSigmoid: see FCReLU.
func FCSigmoid(dst, w, x, b []float32) { fc(true, dst, w, x, b) }

func fc(sigmoid bool, dst, w, x, b []float32) {
	if len(w) != len(dst)*len(x) || (b != nil && len(b) != len(dst)) {
		panic(fmt.Sprintf("simd: fully connected layer of %d rows × %d columns: len(w) = %d, len(b) = %d", len(dst), len(x), len(w), len(b)))
	}
	if len(dst) == 0 {
		return
	}
	if chosen != isa.Go {
		kernel{isa: chosen}.fc(sigmoid, dst, w, x, b)
		return
	}
	for j := range dst {
		sum := se.Dense(w, b, x, j, b != nil)
		if sigmoid {
			dst[j] = se.Sigmoid(sum)
		} else {
			dst[j] = max(sum, 0)
		}
	}
}

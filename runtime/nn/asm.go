//go:build ignore

// This program generates the assembly of package nn with avo:
//
//	go generate ./runtime/nn
//
// gemm_amd64.s and gemm_stubs_amd64.go hold the GEMM micro-kernels of the
// convolution engine and the FMA throughput loop that measures the
// machine's peak, emitted by package asm; maxpool_amd64.s and
// maxpool_stubs_amd64.go hold the max-pooling window kernel, written here
// because nothing else uses it.
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"

	"github.com/segen/segen/asm"
)

// kernels are the micro-kernels emitted, one tile per ISA; engine_amd64.go
// holds the matching Go side (tile sizes, blocking, dispatch).
var kernels = []struct {
	name string
	isa  asm.ISA
	tile asm.GEMMTile
}{
	{"gemm14x32AVX512", asm.AVX512, asm.GEMMTile{Rows: 14, Vecs: 2}},
	{"gemm6x16AVX2", asm.AVX2, asm.GEMMTile{Rows: 6, Vecs: 2}},
}

func main() {
	f := asm.NewFile("nn")
	for _, k := range kernels {
		f.GEMM(k.name, k.isa, k.tile)
	}
	f.FMAPeak("fmaPeakAVX512", asm.AVX512)
	f.FMAPeak("fmaPeakAVX2", asm.AVX2)
	src, stubs, err := f.Render()
	if err != nil {
		log.Fatal(err)
	}
	write("gemm_amd64.s", src)
	write("gemm_stubs_amd64.go", stubs)

	ctx := build.NewContext()
	ctx.ConstraintExpr(asm.Constraint)
	maxPool(ctx, "maxPoolAVX512", 16, ctx.ZMM)
	maxPool(ctx, "maxPoolAVX2", 8, ctx.YMM)
	src, stubs, err = render(ctx)
	if err != nil {
		log.Fatal(err)
	}
	write("maxpool_amd64.s", src)
	write("maxpool_stubs_amd64.go", stubs)
}

func write(name string, data []byte) {
	if err := os.WriteFile(name, data, 0o644); err != nil {
		log.Fatal(err)
	}
}

func render(ctx *build.Context) (src, stubs []byte, err error) {
	ir, err := ctx.Result()
	if err != nil {
		return nil, nil, err
	}
	if err := pass.Compile.Execute(ir); err != nil {
		return nil, nil, err
	}
	cfg := printer.Config{Name: "segen", Pkg: "nn"}
	if src, err = printer.NewGoAsm(cfg).Print(ir); err != nil {
		return nil, nil, err
	}
	stubs, err = printer.NewStubs(cfg).Print(ir)
	return src, stubs, err
}

// maxPool emits
//
//	func(dst, src *float32, chunks, pix, row, kh, kw int)
//
// which sets chunks vectors of dst to the maximum over a kh×kw window of
// src, window element (y, x) at src + y·row + x·pix floats, NaN winning as
// in PyTorch. The window starts at its first element (no -Inf needed), and
// each vector of channels runs the whole window before the next, so the
// loads of one window are independent.
func maxPool(ctx *build.Context, name string, lanes int, vec func() reg.VecVirtual) {
	ctx.Function(name)
	ctx.Attributes(attr.NOSPLIT)
	ctx.SignatureExpr("func(dst, src *float32, chunks, pix, row, kh, kw int)")
	ctx.Pragma("noescape")
	ctx.Doc(fmt.Sprintf("%s sets chunks vectors of %d floats at dst to the NaN-keeping maximum over a kh×kw window of src (element (y, x) at src + y·row + x·pix floats). kh, kw ≥ 1.", name, lanes))
	load := func(p string) reg.GPVirtual {
		r := ctx.GP64()
		ctx.Load(ctx.Param(p), r)
		return r
	}
	dst, src, chunks := load("dst"), load("src"), load("chunks")
	pix, row := load("pix"), load("row")
	ctx.SHLQ(operand.U8(2), pix)
	ctx.SHLQ(operand.U8(2), row)
	kh, kw := load("kh"), load("kw")
	label := func(s string) string { return name + "_" + s }

	ctx.Label(label("chunk"))
	v := vec()
	ctx.VMOVUPS(operand.Mem{Base: src}, v)
	ry, y := ctx.GP64(), ctx.GP64()
	ctx.MOVQ(src, ry)
	ctx.MOVQ(kh, y)
	ctx.Label(label("y"))
	px, x := ctx.GP64(), ctx.GP64()
	ctx.MOVQ(ry, px)
	ctx.MOVQ(kw, x)
	ctx.Label(label("x"))
	// v = max(v, s) in both operand orders, OR-ed: VMAXPS returns its
	// second source when either is NaN, so one of the two is the NaN.
	s, t1 := vec(), vec()
	ctx.VMOVUPS(operand.Mem{Base: px}, s)
	ctx.VMAXPS(s, v, t1)
	ctx.VMAXPS(v, s, v)
	ctx.VORPS(t1, v, v)
	ctx.ADDQ(pix, px)
	ctx.DECQ(x)
	ctx.JNZ(operand.LabelRef(label("x")))
	ctx.ADDQ(row, ry)
	ctx.DECQ(y)
	ctx.JNZ(operand.LabelRef(label("y")))
	ctx.VMOVUPS(v, operand.Mem{Base: dst})
	ctx.ADDQ(operand.U32(4*lanes), src)
	ctx.ADDQ(operand.U32(4*lanes), dst)
	ctx.DECQ(chunks)
	ctx.JNZ(operand.LabelRef(label("chunk")))
	ctx.VZEROUPPER()
	ctx.RET()
}

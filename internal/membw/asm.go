//go:build ignore

// This program generates membw_amd64.s and stubs_amd64.go with avo:
//
//	go generate ./internal/membw
//
// The loops are the simplest that saturate one core's load and store ports:
// a sum with eight independent accumulators (so the add latency never limits
// the loads) and a copy moving four vectors per iteration. Each comes in an
// AVX2 and an AVX-512 variant; Go picks the widest the CPU runs, so the
// reference is as wide as the widest kernel it is compared with.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// isa describes one vector width.
type isa struct {
	name  string                // function name suffix
	bytes int                   // vector width in bytes
	vec   func() reg.VecVirtual // allocates a vector register
}

var isas = []isa{
	{"AVX2", 32, YMM},
	{"AVX512", 64, ZMM},
}

const (
	sumAccs  = 8 // sum accumulators (vectors loaded per iteration)
	copyVecs = 4 // vectors copied per iteration
)

func main() {
	ConstraintExpr("amd64,!purego")
	for _, i := range isas {
		sum(i)
		copyLoop(i)
	}
	Generate()
}

// sum emits sum<ISA>(x []float32) float32. len(x) must be a positive
// multiple of sumAccs vectors; the Go wrapper checks.
func sum(i isa) {
	lanes := i.bytes / 4
	TEXT("sum"+i.name, NOSPLIT, "func(x []float32) float32")
	Pragma("noescape")
	Doc(fmt.Sprintf("sum%s returns the sum of x. len(x) must be a positive multiple of %d.", i.name, sumAccs*lanes))
	p := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	acc := make([]reg.VecVirtual, sumAccs)
	for j := range acc {
		acc[j] = i.vec()
		if i.bytes == 64 {
			VPXORD(acc[j], acc[j], acc[j]) // VXORPS on ZMM would need AVX512DQ
		} else {
			VXORPS(acc[j], acc[j], acc[j])
		}
	}
	Label("loop")
	for j := range acc {
		VADDPS(Mem{Base: p, Disp: j * i.bytes}, acc[j], acc[j])
	}
	ADDQ(U32(sumAccs*i.bytes), p)
	SUBQ(U32(sumAccs*lanes), n)
	JNZ(LabelRef("loop"))

	// Pairwise tree over the accumulators, then across lanes.
	for w := sumAccs / 2; w >= 1; w /= 2 {
		for j := range w {
			VADDPS(acc[j+w], acc[j], acc[j])
		}
	}
	var y reg.VecVirtual = acc[0]
	if i.bytes == 64 {
		y = YMM()
		VEXTRACTF64X4(U8(1), acc[0], y)
		VADDPS(acc[0].AsY(), y, y)
	}
	x := XMM()
	VEXTRACTF128(U8(1), y, x)
	VADDPS(y.AsX(), x, x)
	t := XMM()
	VMOVHLPS(x, x, t)
	VADDPS(t, x, x)
	VPSHUFD(U8(1), x, t)
	VADDSS(t, x, x)
	Store(x, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// copyLoop emits copy<ISA>(dst, src []float32). len(src) must be a positive
// multiple of copyVecs vectors and len(dst) ≥ len(src); the Go wrapper checks.
func copyLoop(i isa) {
	lanes := i.bytes / 4
	TEXT("copy"+i.name, NOSPLIT, "func(dst, src []float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("copy%s copies src to dst. len(src) must be a positive multiple of %d, len(dst) ≥ len(src).", i.name, copyVecs*lanes))
	d := Load(Param("dst").Base(), GP64())
	s := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	v := make([]reg.VecVirtual, copyVecs)
	for j := range v {
		v[j] = i.vec()
	}
	Label("loop")
	for j := range v {
		VMOVUPS(Mem{Base: s, Disp: j * i.bytes}, v[j])
	}
	for j := range v {
		VMOVUPS(v[j], Mem{Base: d, Disp: j * i.bytes})
	}
	ADDQ(U32(copyVecs*i.bytes), s)
	ADDQ(U32(copyVecs*i.bytes), d)
	SUBQ(U32(copyVecs*lanes), n)
	JNZ(LabelRef("loop"))
	VZEROUPPER()
	RET()
}

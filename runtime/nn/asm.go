//go:build ignore

// This program generates gemm_amd64.s and gemm_stubs_amd64.go, the GEMM
// micro-kernels of the convolution engine and the FMA throughput loop that
// measures the machine's peak:
//
//	go generate ./runtime/nn
package main

import (
	"log"
	"os"

	"github.com/segen/segen/asm"
)

// kernels are the micro-kernels emitted, one tile per ISA; gemm_amd64.go
// holds the matching Go side (tile sizes, dispatch).
var kernels = []struct {
	name string
	isa  asm.ISA
	tile asm.GEMMTile
}{
	{"gemm14x32AVX512", asm.AVX512, asm.GEMMTile{Rows: 14, Vecs: 2}},
	{"gemm12x32AVX512", asm.AVX512, asm.GEMMTile{Rows: 12, Vecs: 2}},
	{"gemm8x32AVX512", asm.AVX512, asm.GEMMTile{Rows: 8, Vecs: 2}},
	{"gemm6x64AVX512", asm.AVX512, asm.GEMMTile{Rows: 6, Vecs: 4}},
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
	if err := os.WriteFile("gemm_amd64.s", src, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("gemm_stubs_amd64.go", stubs, 0o644); err != nil {
		log.Fatal(err)
	}
}

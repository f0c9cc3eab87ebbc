//go:build ignore

// This program writes the runtime-sized SIMD kernels of package simd:
// kernels_amd64.s and their Go declarations kernels_amd64.go. It uses the
// same emitters as the specialised kernels, so both share every instruction
// choice; only the trip counts differ.
package main

import (
	"fmt"
	"os"

	"github.com/segen/segen/asm"
	"github.com/segen/segen/se"
)

func main() {
	f := asm.NewFile("simd")
	for _, isa := range []asm.ISA{asm.AVX2, asm.AVX512} {
		for _, layout := range []se.Layout{se.NCHW, se.NHWC} {
			l := layoutName(layout)
			f.SqueezeAny("squeezeAvg"+l+isa.Suffix(), isa, layout, se.Avg)
			f.SqueezeAny("squeezeMax"+l+isa.Suffix(), isa, layout, se.Max)
			f.ScaleAny("scale"+l+isa.Suffix(), isa, layout, false)
			f.ScaleAny("scaleAddReLU"+l+isa.Suffix(), isa, layout, true)
		}
		f.FCAny("fcReLU"+isa.Suffix(), isa, asm.ReLU)
		f.FCAny("fcSigmoid"+isa.Suffix(), isa, asm.Sigmoid)
	}
	for _, isa := range []asm.ISA{asm.AVX2, asm.AVX512} {
		for _, layout := range []se.Layout{se.NCHW, se.NHWC} {
			f.SqueezeAny("squeezeStochastic"+layoutName(layout)+isa.Suffix(), isa, layout, se.Stochastic)
		}
	}
	src, stubs, err := f.Render()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for name, data := range map[string][]byte{"kernels_amd64.s": src, "kernels_amd64.go": stubs} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func layoutName(l se.Layout) string {
	if l == se.NHWC {
		return "NHWC"
	}
	return "NCHW"
}

//go:build ignore

// This program writes spec/sweep_<isa>.yaml, the shapes of asm.Sweep for
// each ISA.
package main

import (
	"fmt"
	"os"

	"github.com/segen/segen/asm"
	"github.com/segen/segen/gen"
)

func main() {
	for _, isa := range []asm.ISA{asm.AVX2, asm.AVX512} {
		if err := os.WriteFile("../spec/sweep_"+isa.String()+".yaml", gen.SweepSpec(isa), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

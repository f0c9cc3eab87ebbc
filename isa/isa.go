// Package isa is segen's one registry of instruction sets: it names them,
// knows what each needs of the CPU, reads the SEGEN_ISA override once and
// makes the choice. Generated kernel packages, se/simd, the convolution
// engine of runtime/nn, the bandwidth loops of internal/membw and CI
// (through "segen isa") all ask it, so every kernel in a process runs on
// the same instruction set and one variable forces them all.
//
// It imports nothing but golang.org/x/sys/cpu, so generated packages in any
// module can depend on it.
package isa

import (
	"fmt"
	"os"
	"strings"
)

// An ISA is an instruction set a kernel runs on.
type ISA uint8

const (
	Go     ISA = iota // portable Go: every build and CPU runs it
	AVX2              // AVX2 and FMA, 8 float32 lanes
	AVX512            // AVX-512 F, VL and DQ, with BMI2, 16 float32 lanes
)

// All lists every instruction set, best first.
var All = []ISA{AVX512, AVX2, Go}

// String returns the name specs, SEGEN_ISA and Kernel.Impl use: "go",
// "avx2" or "avx512".
func (i ISA) String() string {
	switch i {
	case Go:
		return "go"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("isa(%d)", uint8(i))
}

// Suffix returns the suffix of the functions written for i: "Go", "AVX2" or
// "AVX512".
func (i ISA) Suffix() string {
	if i == Go {
		return "Go"
	}
	return strings.ToUpper(i.String())
}

// Parse returns the instruction set called name.
func Parse(name string) (ISA, error) {
	for _, i := range All {
		if i.String() == name {
			return i, nil
		}
	}
	return Go, fmt.Errorf("unknown instruction set %q (known: go, avx2, avx512)", name)
}

// Runs reports whether this CPU and build run i. Go always runs; the
// assembly ones need amd64, no purego tag and the CPU features listed at
// AVX2 and AVX512.
func (i ISA) Runs() bool { return i == Go || cpuRuns(i) }

// Env is the environment variable that forces an instruction set.
const Env = "SEGEN_ISA"

// override is SEGEN_ISA's value, read once.
var override = os.Getenv(Env)

// Override returns the value of SEGEN_ISA ("" when unset).
func Override() string { return override }

// Supported returns the instruction sets of have that this CPU and build
// run, best first (in the order of All). Go is always among them.
func Supported(have ...ISA) []ISA {
	var s []ISA
	for _, i := range All {
		if i.Runs() && (i == Go || contains(have, i)) {
			s = append(s, i)
		}
	}
	return s
}

// Choose returns the instruction set a package with kernels for have (Go
// is implied) runs: the one SEGEN_ISA names if it is among them and this
// CPU runs it, else the best of them this CPU runs.
func Choose(have ...ISA) ISA {
	s := Supported(have...)
	for _, i := range s {
		if i.String() == override {
			return i
		}
	}
	return s[0]
}

func contains(s []ISA, i ISA) bool {
	for _, v := range s {
		if v == i {
			return true
		}
	}
	return false
}

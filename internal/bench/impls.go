package bench

import (
	"github.com/segen/segen/isa"
	"github.com/segen/segen/se"
	"github.com/segen/segen/se/simd"
)

// impl is one implementation the table compares: a name and how to get its
// kernel for a block from the block's registered (specialised) kernel.
// kernel returns nil when the implementation does not exist on this build or
// CPU, and its rows are left out.
type impl struct {
	name   string
	kernel func(specialised se.Kernel) se.Kernel
}

// impls are the implementations measured, in table order. Adding one is
// adding a line; speedups are always against baseline.
var impls = []impl{
	{"specialised", func(k se.Kernel) se.Kernel { return k }},
	{"specialised-avx2", otherISA(isa.AVX2)},
	{"specialised-go", otherISA(isa.Go)},
	{"generic-simd", func(k se.Kernel) se.Kernel {
		if g := simd.New(k.Shape()); g.Impl() == "generic-simd" {
			return g
		}
		return nil // no SIMD on this CPU or build: simd.New fell back to generic
	}},
	{"generic", func(k se.Kernel) se.Kernel { return se.Generic(k.Shape()) }},
}

// baseline is the implementation speedups are measured against.
const baseline = "generic"

// otherISA returns the implementation "the block's specialised kernel on
// instruction set i", when that is not the ISA the registered kernel
// already runs (that row is "specialised") and the CPU runs it.
func otherISA(i isa.ISA) func(se.Kernel) se.Kernel {
	return func(k se.Kernel) se.Kernel {
		if k.Impl() == i.String() {
			return nil
		}
		return se.Specialised(k.Shape(), i)
	}
}

// implKernel is an implementation's kernel for one block.
type implKernel struct {
	name string
	k    se.Kernel
}

// blockImpls returns the implementations available for block b.
func blockImpls(b Block) []implKernel {
	var out []implKernel
	for _, im := range impls {
		if k := im.kernel(b.Kernel); k != nil {
			out = append(out, implKernel{im.name, k})
		}
	}
	return out
}

// kernelISA names the instruction set k runs: specialised kernels report it
// as their Impl, generic-simd through an ISA method, generic is plain Go.
func kernelISA(k se.Kernel) string {
	if i, ok := k.(interface{ ISA() string }); ok {
		return i.ISA()
	}
	if k.Impl() == "generic" {
		return "go"
	}
	return k.Impl()
}

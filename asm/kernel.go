package asm

import (
	"fmt"
	"strings"
)

// A Kernel is a kernel of fixed size that File emits: Squeeze, Scale or
// FC. Its parameters are the one description of its signature, which the
// assembly, its Go declaration and every Go caller are written from.
type Kernel interface {
	// Params returns the kernel's parameters, in order.
	Params() []Param
	emit(f *File, name string, isa ISA)
}

// A Param is one parameter of a fixed-size kernel: a pointer to an array
// of Len float32 values.
type Param struct {
	Name string
	Len  int
}

// Kernel emits k as the function name on isa.
func (f *File) Kernel(name string, isa ISA, k Kernel) { k.emit(f, name, isa) }

// signature returns the Go signature of a kernel with parameters ps.
func signature(ps []Param) string {
	args := make([]string, len(ps))
	for i, p := range ps {
		args[i] = fmt.Sprintf("%s *[%d]float32", p.Name, p.Len)
	}
	return "func(" + strings.Join(args, ", ") + ")"
}

// Params returns z (C values) and x (C×Plane values).
func (k Squeeze) Params() []Param {
	return []Param{{"z", k.C}, {"x", k.C * k.Plane}}
}

// Params returns dst and x (C×Plane values), s (C) and, with AddReLU, res
// (C×Plane).
func (k Scale) Params() []Param {
	n := k.C * k.Plane
	ps := []Param{{"dst", n}, {"x", n}, {"s", k.C}}
	if k.AddReLU {
		ps = append(ps, Param{"res", n})
	}
	return ps
}

// Params returns dst (Rows values), w (Rows×K), x (K) and, with Bias, b
// (Rows).
func (k FC) Params() []Param {
	ps := []Param{{"dst", k.Rows}, {"w", k.Rows * k.K}, {"x", k.K}}
	if k.Bias {
		ps = append(ps, Param{"b", k.Rows})
	}
	return ps
}

func (k Squeeze) emit(f *File, name string, isa ISA) { f.Squeeze(name, isa, k) }
func (k Scale) emit(f *File, name string, isa ISA)   { f.Scale(name, isa, k) }
func (k FC) emit(f *File, name string, isa ISA)      { f.FC(name, isa, k) }

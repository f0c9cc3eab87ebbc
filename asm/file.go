package asm

import (
	"fmt"
	"math"
	"os"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"
)

// Constraint is the build constraint of every emitted assembly file and
// stub, in avo's "+build" syntax: amd64 && !purego.
const Constraint = "amd64,!purego"

// File collects the kernels of one Go package and renders them as a Go
// assembly file and the matching Go declarations.
type File struct {
	ctx    *build.Context
	pkg    string
	consts []uint32        // 32-bit constants, in first-use order
	offset map[uint32]int  // constant bits → byte offset in consts<>
	masks  bool            // whether a kernel used the lane mask table
	names  map[string]bool // functions emitted, to catch duplicates
	labels int             // labels emitted, for unique names

	tables     []table           // vector constants, in first-use order
	tableNames map[string]string // their contents → names
}

// NewFile starts an empty file for Go package pkg.
func NewFile(pkg string) *File {
	ctx := build.NewContext()
	ctx.ConstraintExpr(Constraint)
	return &File{ctx: ctx, pkg: pkg, offset: map[uint32]int{}, names: map[string]bool{}, tableNames: map[string]string{}}
}

// function starts the function name with the Go signature sig and returns an
// emitter for it.
func (f *File) function(name, sig string, isa ISA, doc ...string) *emitter {
	if f.names[name] {
		panic(fmt.Sprintf("asm: function %s emitted twice", name))
	}
	f.names[name] = true
	f.ctx.Function(name)
	f.ctx.Attributes(attr.NOSPLIT)
	f.ctx.SignatureExpr(sig)
	f.ctx.Pragma("noescape")
	f.ctx.Doc(doc...)
	return &emitter{Context: f.ctx, isa: isa, file: f}
}

// ret ends an AVX function: VZEROUPPER avoids the penalty of mixing AVX and
// SSE code in the caller (avo does not insert it).
func (e *emitter) ret() {
	e.VZEROUPPER()
	e.RET()
}

// constant returns the address of the 32-bit value bits in the file's
// constant table.
func (f *File) constant(bits uint32) operand.Mem {
	off, ok := f.offset[bits]
	if !ok {
		off = 4 * len(f.consts)
		f.offset[bits] = off
		f.consts = append(f.consts, bits)
	}
	return operand.Mem{Symbol: operand.Symbol{Name: "consts", Static: true}, Base: reg.StaticBase, Disp: off}
}

// laneMask returns the address of a vector whose first n int32 lanes are all
// ones and the rest zero: the AVX2 VMASKMOVPS mask of an n-lane tail. The
// table holds eight ones then eight zeros; the mask starts 8−n lanes in.
func (f *File) laneMask(n int) operand.Mem {
	f.masks = true
	return operand.Mem{Symbol: operand.Symbol{Name: "lanemasks", Static: true}, Base: reg.StaticBase, Disp: 4 * (8 - n)}
}

// Render compiles the file and returns the assembly source and the Go
// declarations of its functions.
func (f *File) Render() (asmSrc, stubs []byte, err error) {
	if f.masks {
		f.ctx.StaticGlobal("lanemasks")
		f.ctx.DataAttributes(attr.RODATA | attr.NOPTR)
		for i := range 16 {
			v := uint32(0)
			if i < 8 {
				v = math.MaxUint32
			}
			f.ctx.AppendDatum(operand.U32(v))
		}
	}
	if len(f.consts) > 0 {
		f.ctx.StaticGlobal("consts")
		f.ctx.DataAttributes(attr.RODATA | attr.NOPTR)
		for _, c := range f.consts {
			f.ctx.AppendDatum(operand.U32(c))
		}
	}
	for _, t := range f.tables {
		f.ctx.StaticGlobal(t.name)
		f.ctx.DataAttributes(attr.RODATA | attr.NOPTR)
		for _, v := range t.vals {
			f.ctx.AppendDatum(operand.U32(uint32(v)))
		}
	}
	ir, err := f.ctx.Result()
	if err != nil {
		return nil, nil, err
	}
	if err := pass.Compile.Execute(ir); err != nil {
		return nil, nil, err
	}
	cfg := printer.Config{Name: "segen", Pkg: f.pkg}
	if asmSrc, err = printer.NewGoAsm(cfg).Print(ir); err != nil {
		return nil, nil, err
	}
	if stubs, err = printer.NewStubs(cfg).Print(ir); err != nil {
		return nil, nil, err
	}
	return asmSrc, stubs, nil
}

// Write renders the file and writes the assembly to asmPath and the Go
// declarations to stubsPath: what every go:generate program of the tree
// ends with.
func (f *File) Write(asmPath, stubsPath string) error {
	src, stubs, err := f.Render()
	if err != nil {
		return err
	}
	if err := os.WriteFile(asmPath, src, 0o644); err != nil {
		return err
	}
	return os.WriteFile(stubsPath, stubs, 0o644)
}

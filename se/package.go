package se

import (
	"fmt"

	"github.com/segen/segen/isa"
)

// A Package is the table a generated package registers: the instruction
// sets it has assembly for and its blocks. What is the same in every
// generated package — choosing the instruction set, registering, finding a
// block's kernel on another instruction set — is here, once.
type Package struct {
	Targets []isa.ISA // the assembly the package has; Go is implied
	Blocks  []Block
}

// A Block is one block shape a package specialises.
type Block struct {
	Name  string               // the block's name in the spec
	Shape Shape                // what New's kernels compute
	New   func(isa.ISA) Kernel // the block's kernel on one of the package's ISAs
}

// ISAs returns the instruction sets the package's kernels run on with this
// CPU and build, best first; Go is always last.
func (p *Package) ISAs() []isa.ISA { return isa.Supported(p.Targets...) }

// ISA returns the instruction set Register uses: package isa's choice among
// ISAs (SEGEN_ISA's, when the package and this CPU run it, else the best).
func (p *Package) ISA() isa.ISA { return isa.Choose(p.Targets...) }

// Register makes each block's kernel on p.ISA() the one Lookup returns for
// its shape, and lets Specialised find its kernels on the package's other
// instruction sets. Generated packages call it from init.
func (p *Package) Register() {
	chosen := p.ISA()
	for _, b := range p.Blocks {
		register(b.New(chosen), &specialised{p, b})
	}
}

// specialised is what the registry keeps of a package's block.
type specialised struct {
	pkg   *Package
	block Block
}

// Specialised returns the kernel registered for s on instruction set i,
// or nil if no package specialises s or the package, this CPU or this build
// does not run i. Lookup returns the chosen one; benchmarks compare the
// others.
func Specialised(s Shape, i isa.ISA) Kernel {
	registry.RLock()
	b := registry.blocks[s]
	registry.RUnlock()
	if b == nil {
		return nil
	}
	for _, have := range b.pkg.ISAs() {
		if have == i {
			return b.block.New(i)
		}
	}
	return nil
}

// BlockName returns the spec name of the block registered for s, or a name
// made of the shape when it has none.
func BlockName(s Shape) string {
	registry.RLock()
	b := registry.blocks[s]
	registry.RUnlock()
	if b != nil {
		return b.block.Name
	}
	return fmt.Sprintf("%s_%dx%dx%d_h%d", s.Layout, s.C, s.H, s.W, s.Hidden)
}

package setest

import (
	"slices"
	"testing"

	"github.com/segen/segen/isa"
	"github.com/segen/segen/se"
	"github.com/segen/segen/se/random"
)

// Package is the test of a generated package p, registered in its init:
//
//   - "registered": se.Lookup returns every block's kernel on the
//     instruction set package isa chose, SEGEN_ISA's when it names one the
//     package was generated for (a silent fallback fails), and se.Specialised finds it on every other
//     one the CPU runs;
//   - "kernels": every block on every instruction set the CPU runs passes
//     Check, and says which one it runs;
//   - "noallocs": ForwardAddReLU keeps its scratch on the stack.
func Package(t *testing.T, p *se.Package) {
	t.Run("registered", func(t *testing.T) { registered(t, p) })
	t.Run("kernels", func(t *testing.T) {
		for _, b := range p.Blocks {
			for _, i := range p.ISAs() {
				k := b.New(i)
				t.Run(b.Name+"/"+i.String(), func(t *testing.T) {
					if got := k.Impl(); got != i.String() {
						t.Fatalf("Impl() = %q, want %q", got, i)
					}
					Check(t, k)
				})
			}
		}
	})
	t.Run("noallocs", func(t *testing.T) {
		for _, b := range p.Blocks {
			k, s := se.Lookup(b.Shape), b.Shape
			prm := random.Params(s, 1)
			x := random.Data(s.Size(), 2)
			dst := make([]float32, len(x))
			if n := testing.AllocsPerRun(2, func() { k.ForwardAddReLU(dst, x, x, prm) }); n != 0 {
				t.Errorf("%s: ForwardAddReLU allocates %v times per call", b.Name, n)
			}
		}
	})
}

func registered(t *testing.T, p *se.Package) {
	want := p.ISA()
	if o, err := isa.Parse(isa.Override()); err == nil && o != want && (o == isa.Go || slices.Contains(p.Targets, o)) {
		t.Fatalf("%s=%s, but this build and CPU run only %v", isa.Env, o, p.ISAs())
	}
	for _, b := range p.Blocks {
		if got := se.Lookup(b.Shape).Impl(); got != want.String() {
			t.Errorf("%s: se.Lookup runs %s, want %s", b.Name, got, want)
		}
		if got := se.BlockName(b.Shape); got != b.Name {
			t.Errorf("%s: se.BlockName = %s", b.Name, got)
		}
		for _, i := range isa.All {
			k, runs := se.Specialised(b.Shape, i), false
			for _, have := range p.ISAs() {
				runs = runs || have == i
			}
			switch {
			case runs && (k == nil || k.Impl() != i.String()):
				t.Errorf("%s: se.Specialised(%s) = %v", b.Name, i, k)
			case !runs && k != nil:
				t.Errorf("%s: se.Specialised(%s) = %v, but the package or CPU does not run it", b.Name, i, k.Impl())
			}
		}
	}
}

// BenchmarkPackage runs Benchmark of op on every block of p, named
// <block>/<impl> for benchstat: "specialised" is the kernel se.Lookup
// returns, "generic" se's plain Go, "generic-simd" the runtime-sized
// fallback (se/simd), and "specialised-<isa>" each instruction set the CPU
// runs.
func BenchmarkPackage(b *testing.B, p *se.Package, op se.Op) {
	type impl struct {
		name string
		k    se.Kernel
	}
	for _, blk := range p.Blocks {
		impls := []impl{{"specialised", se.Lookup(blk.Shape)}, {"generic", se.Generic(blk.Shape)}, {"generic-simd", se.Fallback(blk.Shape)}}
		for _, i := range p.ISAs() {
			impls = append(impls, impl{"specialised-" + i.String(), blk.New(i)})
		}
		for _, im := range impls {
			b.Run(blk.Name+"/"+im.name, func(b *testing.B) { Benchmark(b, im.k, op) })
		}
	}
}

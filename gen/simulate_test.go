package gen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/segen/segen/asm"
	"github.com/segen/segen/internal/asmsim"
	"github.com/segen/segen/se/setest"
)

// TestGeneratedKernelsSimulated runs every AVX-512 kernel of the
// committed generated packages, which this CPU may not have (their
// TestPackage runs the AVX2 ones on the CPU), on an interpreter of their instructions (internal/asmsim)
// against se's generic kernels (setest.CheckOps) on the shape each is
// specialised for. The plan of the package's spec names the kernels of
// each block; each takes arrays exactly as long as one sample, and the
// interpreter fails any access outside them, a masked-off lane's
// excepted (it is not accessed).
func TestGeneratedKernelsSimulated(t *testing.T) {
	for _, pkg := range []struct{ spec, dir string }{
		{"se.yaml", "sekernels"},
		{"stochastic.yaml", "stochastic"},
		{"awkward.yaml", "awkward"},
	} {
		s, err := LoadSpec(filepath.Join("..", "spec", pkg.spec))
		if err != nil {
			t.Fatal(err)
		}
		plan, err := NewPlan(s)
		if err != nil {
			t.Fatal(err)
		}
		text, err := os.ReadFile(filepath.Join("..", "generated", pkg.dir, "kernels_amd64.s"))
		if err != nil {
			t.Fatal(err)
		}
		prog, err := asmsim.Parse(string(text))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range plan.Blocks {
			t.Run(pkg.dir+"/"+b.Name, func(t *testing.T) {
				setest.CheckOps(t, b.Shape, simulatedBlock(t, prog, b, asm.AVX512.Suffix()))
			})
		}
	}
}

// simulatedBlock returns the kernels of block b of one instruction set on
// prog: Func + the instruction set's suffix, on pointers to arrays.
func simulatedBlock(t *testing.T, prog *asmsim.Program, b BlockPlan, suffix string) setest.Ops {
	// call runs name on the slices; the first is the output, copied back.
	call := func(name string, out []float32, in ...[]float32) {
		t.Helper()
		o := asmsim.Floats(out)
		args := []asmsim.Arg{o}
		for _, v := range in {
			if v != nil || b.Shape.Bias {
				args = append(args, asmsim.Floats(v))
			}
		}
		if err := prog.Call(name+suffix, 1<<24, args...); err != nil {
			t.Fatal(err)
		}
		copy(out, o.Floats())
	}
	return setest.Ops{
		Squeeze:      func(z, x []float32) { call("squeeze"+b.Camel, z, x) },
		Scale:        func(dst, x, s []float32) { call("scale"+b.Camel, dst, x, s) },
		ScaleAddReLU: func(dst, x, s, res []float32) { call("scaleAddReLU"+b.Camel, dst, x, s, res) },
		FC1:          func(h, w, z, bias []float32) { call(b.FC1.Name, h, w, z, bias) },
		FC2:          func(s, w, h, bias []float32) { call(b.FC2.Name, s, w, h, bias) },
	}
}

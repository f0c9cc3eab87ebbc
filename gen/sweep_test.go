package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/segen/segen/asm"
)

// TestSweep checks that each committed sweep spec is what asm.Sweep gives
// now, and renders it: run under -coverpkg=./asm, this test is the coverage
// of the SE emitters by the sweep, which .ci/run requires to be complete.
func TestSweep(t *testing.T) {
	for _, isa := range []asm.ISA{asm.AVX2, asm.AVX512} {
		want := SweepSpec(isa)
		path := filepath.Join("..", "spec", "sweep_"+isa.String()+".yaml")
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not what asm.Sweep(%s) gives (err %v); run go generate ./gen", path, isa.String(), err)
		}
		s, err := ParseSpec(path, want)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Files("true"); err != nil {
			t.Fatal(err)
		}
	}
}

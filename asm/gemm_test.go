package asm

import (
	"strings"
	"testing"
)

// TestGEMMRender emits the GEMM micro-kernel and the FMA loop for both ISAs
// and checks the kernel's shape: one broadcast and Vecs FMAs per row and
// depth step, VZEROUPPER before every RET, and the Go declarations.
func TestGEMMRender(t *testing.T) {
	f := NewFile("k")
	f.GEMM("gemmAVX512", AVX512, GEMMTile{Rows: 14, Vecs: 2})
	f.GEMM("gemmAVX2", AVX2, GEMMTile{Rows: 6, Vecs: 2})
	f.FMAPeak("peakAVX512", AVX512)
	src, stubs, err := f.Render()
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	// Main loop (4 steps) and tail (1 step): 5 depth steps per kernel; the
	// FMA loop broadcasts its two constants.
	if got, want := strings.Count(s, "VBROADCASTSS"), 5*(14+6)+2; got != want {
		t.Errorf("%d broadcasts, want %d", got, want)
	}
	if got, want := strings.Count(s, "VFMADD231PS"), 5*(28+12)+24; got != want {
		t.Errorf("%d FMAs, want %d", got, want)
	}
	if rets, vz := strings.Count(s, "\tRET"), strings.Count(s, "VZEROUPPER\n\tRET"); rets != 3 || vz != rets {
		t.Errorf("%d RETs, %d after VZEROUPPER", rets, vz)
	}
	for _, decl := range []string{"func gemmAVX512(kc int, a *float32, lda int", "func peakAVX512(n int) float32"} {
		if !strings.Contains(string(stubs), decl) {
			t.Errorf("stubs lack %q", decl)
		}
	}
}

// TestGEMMTooLarge checks that a tile that cannot fit the registers is refused.
func TestGEMMTooLarge(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a 7×4 AVX2 tile (28 accumulators in 16 registers) was emitted")
		}
	}()
	NewFile("k").GEMM("big", AVX2, GEMMTile{Rows: 7, Vecs: 4})
}

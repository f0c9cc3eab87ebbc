package asmsim

import (
	"strings"
	"testing"
)

// prog adds the four floats of a vector to a second vector, through a
// loop of two passes, and stores the sum after them.
const prog = `
#include "textflag.h"

// func add(x *float32, n int)
TEXT ·add(SB), NOSPLIT, $8-16
	MOVQ    x+0(FP), AX
	MOVQ    n+8(FP), CX
	MOVQ    CX, (SP)
	VXORPS  X0, X0, X0
loop1:
	VADDPS  (AX), X0, X0
	VADDPS  16(AX), X0, X0
	DECQ    (SP)
	JNZ     loop1
	MOVQ    (SP), DX
	VMOVUPS X0, 32(AX)(DX*4)
	RET
`

func TestCall(t *testing.T) {
	p, err := Parse(prog)
	if err != nil {
		t.Fatal(err)
	}
	x := Floats([]float32{1, 2, 3, 4, 10, 20, 30, 40, 0, 0, 0, 0})
	if err := p.Call("add", 100, x, 2); err != nil {
		t.Fatal(err)
	}
	for i, want := range []float32{22, 44, 66, 88} {
		if got := x.Float(8 + i); got != want {
			t.Errorf("lane %d = %v, want %v", i, got, want)
		}
	}
}

func TestCallFaults(t *testing.T) {
	p, err := Parse(prog)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []Arg
		want string
	}{
		{"short slice", []Arg{Floats(make([]float32, 11)), 1}, "of a region of 11"},
		{"nil pointer", []Arg{(*Region)(nil), 1}, "outside every region"},
		{"runaway loop", []Arg{Floats(make([]float32, 12)), 1 << 40}, "more than 100 instructions"},
	} {
		err := p.Call("add", 100, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	if _, err := Parse("TEXT ·f(SB), NOSPLIT, $0-0\n\tVPDPBUSD Z1, Z2, Z3\n"); err != nil {
		t.Fatal(err)
	}
	p, _ = Parse("TEXT ·f(SB), NOSPLIT, $0-0\n\tVPDPBUSD Z1, Z2, Z3\n\tRET\n")
	if err := p.Call("f", 10); err == nil || !strings.Contains(err.Error(), "not interpreted") {
		t.Errorf("an unknown instruction: error %v", err)
	}
}

// maskProg loads a 3-float x under the mask 0b101 with zeroing and with
// merging over y, stores both to z, and stores a vector of twos to x
// under the mask: lanes off the mask, past x's end, must not be accessed.
const maskProg = `
TEXT ·masked(SB), NOSPLIT, $0-24
	MOVQ      x+0(FP), AX
	MOVQ      y+8(FP), BX
	MOVQ      z+16(FP), DX
	MOVL      $0x00000005, CX
	KMOVW     CX, K1
	VMOVUPS   (BX), Z1
	VMOVUPS   (BX), Z2
	VMOVUPS.Z (AX), K1, Z1
	VMOVUPS   (AX), K1, Z2
	VMOVUPS   Z1, (DX)
	VMOVUPS   Z2, 64(DX)
	VBROADCASTSS two<>+0(SB), Z3
	VMOVUPS   Z3, K1, (AX)
	RET
DATA two<>+0(SB)/4, $0x40000000
`

func TestMasks(t *testing.T) {
	p, err := Parse(maskProg)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float32, 16)
	for i := range y {
		y[i] = float32(10 + i)
	}
	x, z := Floats([]float32{1, 5, 3}), Floats(make([]float32, 32))
	if err := p.Call("masked", 100, x, Floats(y), z); err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 32)
	want[0], want[2] = 1, 3 // zeroing
	copy(want[16:], y)      // merging
	want[16], want[18] = 1, 3
	for i, w := range want {
		if got := z.Float(i); got != w {
			t.Errorf("z[%d] = %v, want %v", i, got, w)
		}
	}
	for i, w := range []float32{2, 5, 2} { // lane 1 is off the mask
		if got := x.Float(i); got != w {
			t.Errorf("x[%d] = %v, want %v", i, got, w)
		}
	}
}

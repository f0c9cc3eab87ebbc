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

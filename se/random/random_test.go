package random

import (
	"slices"
	"testing"

	"github.com/segen/segen/se"
)

// recorder is a kernel that notes which method each call reached and with
// which buffers, so Loop's wiring can be checked call by call.
type recorder struct {
	se.Kernel
	calls []string
	in    *Inputs
}

func (r *recorder) note(op string, args ...[]float32) {
	names := map[*float32]string{&r.in.X[0]: "X", &r.in.Res[0]: "Res", &r.in.Z[0]: "Z", &r.in.Gates[0]: "Gates", &r.in.Dst[0]: "Dst", &r.in.Out[0]: "Out"}
	call := op
	for _, a := range args {
		call += " " + names[&a[0]]
	}
	r.calls = append(r.calls, call)
}

func (r *recorder) Squeeze(z, x []float32)                { r.note("Squeeze", z, x) }
func (r *recorder) Excite(s, z []float32, p *se.Params)   { r.note("Excite", s, z); r.checkParams(p) }
func (r *recorder) Scale(dst, x, s []float32)             { r.note("Scale", dst, x, s) }
func (r *recorder) ScaleAddReLU(dst, x, s, res []float32) { r.note("ScaleAddReLU", dst, x, s, res) }
func (r *recorder) Forward(dst, x []float32, p *se.Params) {
	r.note("Forward", dst, x)
	r.checkParams(p)
}
func (r *recorder) ForwardAddReLU(dst, x, res []float32, p *se.Params) {
	r.note("ForwardAddReLU", dst, x, res)
	r.checkParams(p)
}

func (r *recorder) checkParams(p *se.Params) {
	if p != r.in.Params {
		r.calls = append(r.calls, "other params")
	}
}

// TestInputsLoop checks that Loop calls the op it names n times on the
// buffers of its signature: outputs apart from inputs, the residual only
// where the op adds one.
func TestInputsLoop(t *testing.T) {
	s := se.Shape{Layout: se.NCHW, C: 8, H: 3, W: 3, Hidden: 2, Bias: true}
	in := NewInputs(s)
	want := map[se.Op]string{
		se.Squeeze:        "Squeeze Out X",
		se.Excite:         "Excite Out Z",
		se.Scale:          "Scale Dst X Gates",
		se.ScaleAddReLU:   "ScaleAddReLU Dst X Gates Res",
		se.Forward:        "Forward Dst X",
		se.ForwardAddReLU: "ForwardAddReLU Dst X Res",
	}
	for _, op := range se.Ops() {
		r := &recorder{Kernel: se.Generic(s), in: in}
		in.Loop(r, op)(3)
		if w := []string{want[op], want[op], want[op]}; !slices.Equal(r.calls, w) {
			t.Errorf("%s: calls %q, want %q", op, r.calls, w)
		}
	}
}

// TestNewInputs checks the sizes of each buffer and that the gates lie in
// the sigmoid's range.
func TestNewInputs(t *testing.T) {
	s := se.Shape{Layout: se.NHWC, C: 16, H: 2, W: 5, Hidden: 4}
	in := NewInputs(s)
	for name, c := range map[string]struct{ got, want int }{
		"X": {len(in.X), s.Size()}, "Res": {len(in.Res), s.Size()}, "Dst": {len(in.Dst), s.Size()},
		"Z": {len(in.Z), s.C}, "Gates": {len(in.Gates), s.C}, "Out": {len(in.Out), s.C},
		"W1": {len(in.Params.W1), s.Hidden * s.C}, "B1": {len(in.Params.B1), 0},
	} {
		if c.got != c.want {
			t.Errorf("len(%s) = %d, want %d", name, c.got, c.want)
		}
	}
	for i, g := range in.Gates {
		if g < 0 || g >= 1 {
			t.Fatalf("gate %d = %v, outside [0, 1)", i, g)
		}
	}
	if slices.Equal(in.X, in.Res) {
		t.Error("X and Res are the same values: each input needs its own seed")
	}
}

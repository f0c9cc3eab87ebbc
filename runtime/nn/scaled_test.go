package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestScaleOutputs checks on every engine that a convolution with its
// outputs scaled (ScaleOutputs) computes conv(x)·scale: panels as wide as
// a tile and narrower, a strided 1×1, a k×k window that runs as an im2col
// GEMM, and a destination first used by a larger convolution, whose
// storage is reused.
func TestScaleOutputs(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	specs := []ConvSpec{
		{InC: 96, OutC: 64, KH: 1, KW: 1, Stride: 1},        // larger first: its storage is reused
		{InC: 24, OutC: 40, KH: 1, KW: 1, Stride: 1},        // a narrow last panel on every engine
		{InC: 300, OutC: 9, KH: 1, KW: 1, Stride: 1},        // depth past kc, one narrow panel
		{InC: 16, OutC: 33, KH: 1, KW: 1, Stride: 2},        // strided
		{InC: 5, OutC: 20, KH: 3, KW: 3, Stride: 2, Pad: 1}, // im2col
	}
	for _, e := range engines() {
		var scaled Conv2d
		for _, s := range specs {
			conv, err := newConv2d(s, randSlice(r, s.OutC*s.Depth()), randSlice(r, s.OutC), e)
			if err != nil {
				t.Fatal(err)
			}
			if !conv.Scalable() {
				t.Fatalf("%s: %v is not Scalable", e.isa, s)
			}
			n, h, w := 2, 9, 7
			oh, ow := s.Out(h, w)
			src := randSlice(r, n*h*w*s.InC)
			want, got := make([]float32, n*oh*ow*s.OutC), make([]float32, n*oh*ow*s.OutC)
			conv.Forward(want, src, n, h, w, Epilogue{}, NewWorkspace(1))
			scale := randSlice(r, s.OutC)
			conv.ScaleOutputs(&scaled, scale)
			scaled.Forward(got, src, n, h, w, Epilogue{}, NewWorkspace(2))
			tol := 1e-5 * math.Sqrt(float64(s.Depth()))
			for i, v := range got {
				ref := float64(want[i]) * float64(scale[i%s.OutC])
				if d := math.Abs(float64(v) - ref); !(d <= tol*math.Max(1, math.Abs(ref))) {
					t.Fatalf("%s: %v: out[%d] = %v, want %v", e.isa, s, i, v, ref)
				}
			}
		}
	}
}

// TestScaleOutputsRefuses checks the panics: a convolution whose weights
// are not GEMM panels (Winograd's, a grouped kernel's) and a scale of the
// wrong length.
func TestScaleOutputsRefuses(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, e := range engines() {
		for _, c := range []struct {
			spec  ConvSpec
			scale int
		}{
			{ConvSpec{InC: 16, OutC: 32, KH: 3, KW: 3, Stride: 1, Pad: 1}, 32},                // Winograd on the assembly engines
			{ConvSpec{InC: 128, OutC: 128, KH: 3, KW: 3, Stride: 1, Pad: 1, Groups: 32}, 128}, // grouped kernel
			{ConvSpec{InC: 8, OutC: 24, KH: 1, KW: 1, Stride: 1}, 23},
		} {
			conv, err := newConv2d(c.spec, randSlice(r, c.spec.OutC*c.spec.Depth()), nil, e)
			if err != nil {
				t.Fatal(err)
			}
			if conv.Scalable() && c.scale == c.spec.OutC {
				continue // the Go engine runs these as a GEMM
			}
			func() {
				defer func() {
					msg := fmt.Sprint(recover())
					if !strings.Contains(msg, "cannot scale outputs") {
						t.Errorf("%s: %v by %d values: panic %q", e.isa, c.spec, c.scale, msg)
					}
				}()
				conv.ScaleOutputs(&Conv2d{}, make([]float32, c.scale))
			}()
		}
	}
}

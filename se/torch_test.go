package se_test

import (
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/se"
)

// fixture is one PyTorch reference case written by tools/se_fixtures.py.
type fixture struct {
	shape se.Shape
	n     int // batch
	p     *se.Params
	// Activations are in the shape's layout; z and s are [n, C].
	x, res, z, s, y, yAddReLU tensor
}

// tensor is a reference tensor with its dimensions, kept to name the worst
// element of a mismatch by its coordinates.
type tensor struct {
	v    []float32
	dims []int
}

// TestTorchFixtures checks every stage of the generic kernel against
// PyTorch's timm SEModule on the committed fixtures.
func TestTorchFixtures(t *testing.T) {
	paths, err := filepath.Glob("../testdata/se/*.safetensors")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/se (run /usr/bin/python3 tools/se_fixtures.py): %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			fx := loadFixture(t, path)
			k := se.Generic(fx.shape)
			size := len(fx.x.v)

			z := make([]float32, fx.n*fx.shape.C)
			k.Squeeze(z, fx.x.v)
			compare(t, "Squeeze", z, fx.z)

			// Excite and the scale stages start from PyTorch's own z and s,
			// so each stage is checked on its own.
			s := make([]float32, len(z))
			k.Excite(s, fx.z.v, fx.p)
			compare(t, "Excite", s, fx.s)

			dst := make([]float32, size)
			k.Scale(dst, fx.x.v, fx.s.v)
			compare(t, "Scale", dst, fx.y)
			k.ScaleAddReLU(dst, fx.x.v, fx.s.v, fx.res.v)
			compare(t, "ScaleAddReLU", dst, fx.yAddReLU)

			k.Forward(dst, fx.x.v, fx.p)
			compare(t, "Forward", dst, fx.y)
			k.ForwardAddReLU(dst, fx.x.v, fx.res.v, fx.p)
			compare(t, "ForwardAddReLU", dst, fx.yAddReLU)

			// In place: the output may be the input itself.
			copy(dst, fx.x.v)
			k.Forward(dst, dst, fx.p)
			compare(t, "Forward in place", dst, fx.y)
			copy(dst, fx.x.v)
			k.ForwardAddReLU(dst, dst, fx.res.v, fx.p)
			compare(t, "ForwardAddReLU in place", dst, fx.yAddReLU)
		})
	}
}

// compare fails the test if max|got−want| > 1e-5 × max(1, max|want|),
// naming the worst element. A NaN on one side only is a mismatch.
func compare(t *testing.T, stage string, got []float32, want tensor) {
	t.Helper()
	if len(got) != len(want.v) {
		t.Fatalf("%s: %d values, want %d", stage, len(got), len(want.v))
	}
	scale := 1.0
	for _, v := range want.v {
		scale = max(scale, math.Abs(float64(v)))
	}
	worst, at := 0.0, -1
	for i := range got {
		g, w := float64(got[i]), float64(want.v[i])
		d := math.Abs(g - w)
		if math.IsNaN(g) || math.IsNaN(w) {
			if math.IsNaN(g) == math.IsNaN(w) {
				continue
			}
			d = math.Inf(1)
		}
		if d > worst || at < 0 {
			worst, at = d, i
		}
	}
	tol := 1e-5 * scale
	t.Logf("%-24s max|Δ| = %.3g (tolerance %.3g)", stage, worst, tol)
	if worst > tol {
		t.Errorf("%s: max|Δ| = %.3g > %.3g at %v (index %d): got %v, PyTorch %v",
			stage, worst, tol, coords(at, want.dims), at, got[at], want.v[at])
	}
}

// coords turns a flat row-major index into coordinates of dims.
func coords(i int, dims []int) []int {
	c := make([]int, len(dims))
	for d := len(dims) - 1; d >= 0; d-- {
		c[d] = i % dims[d]
		i /= dims[d]
	}
	return c
}

func loadFixture(t *testing.T, path string) fixture {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	meta := func(key string) string {
		v, ok := f.Metadata[key]
		if !ok {
			t.Fatalf("%s: no %q metadata", path, key)
		}
		return v
	}
	atoi := func(key string) int {
		v, err := strconv.Atoi(meta(key))
		if err != nil {
			t.Fatalf("%s: metadata %q: %v", path, key, err)
		}
		return v
	}
	var sh se.Shape
	switch l := meta("layout"); l {
	case "nchw":
		sh.Layout = se.NCHW
	case "nhwc":
		sh.Layout = se.NHWC
	default:
		t.Fatalf("%s: layout %q", path, l)
	}
	switch q := meta("squeeze"); q {
	case "avg":
		sh.Squeeze = se.Avg
	case "max":
		sh.Squeeze = se.Max
	default:
		t.Fatalf("%s: squeeze %q", path, q)
	}
	sh.Bias = meta("bias") == "true"
	sh.C, sh.H, sh.W, sh.Hidden = atoi("channels"), atoi("height"), atoi("width"), atoi("hidden")
	if err := sh.Validate(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := atoi("batch")

	get := func(name string, dims ...int) tensor {
		tt, ok := f.Lookup(name)
		if !ok {
			t.Fatalf("%s: no tensor %q", path, name)
		}
		if !slices.Equal(tt.Shape, dims) {
			t.Fatalf("%s: tensor %q has shape %v, want %v", path, name, tt.Shape, dims)
		}
		v, err := tt.Float32s()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return tensor{v, dims}
	}
	act := []int{n, sh.C, sh.H, sh.W}
	if sh.Layout == se.NHWC {
		act = []int{n, sh.H, sh.W, sh.C}
	}
	fx := fixture{
		shape: sh, n: n,
		x: get("x", act...), res: get("res", act...),
		z: get("z", n, sh.C), s: get("s", n, sh.C),
		y: get("y", act...), yAddReLU: get("y_add_relu", act...),
		p: &se.Params{
			W1: get("fc1.weight", sh.Hidden, sh.C, 1, 1).v,
			W2: get("fc2.weight", sh.C, sh.Hidden, 1, 1).v,
		},
	}
	if sh.Bias {
		fx.p.B1 = get("fc1.bias", sh.Hidden).v
		fx.p.B2 = get("fc2.bias", sh.C).v
	}
	if err := fx.p.Check(sh); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	t.Logf("%v, batch %d", sh, n)
	return fx
}

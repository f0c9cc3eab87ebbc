package se

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// small is a shape with distinct C, H, W and Hidden, so a length error
// cannot pass by coincidence.
var small = Shape{Layout: NCHW, C: 4, H: 2, W: 3, Hidden: 2, Squeeze: Avg, Bias: true}

func smallParams() *Params {
	return &Params{W1: make([]float32, 8), B1: make([]float32, 2), W2: make([]float32, 8), B2: make([]float32, 4)}
}

// mustPanic runs f and checks that it panics with a message (string or
// error) containing every one of want.
func mustPanic(t *testing.T, name string, f func(), want ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", name)
			return
		}
		var msg string
		switch v := r.(type) {
		case string:
			msg = v
		case error:
			msg = v.Error()
		default:
			t.Errorf("%s: panic with %T %v, want a string or an error", name, r, r)
			return
		}
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: panic %q does not contain %q", name, msg, w)
			}
		}
	}()
	f()
}

func TestCheckLengths(t *testing.T) {
	s, p := small, smallParams()
	f := func(n int) []float32 { return make([]float32, n) }
	const prefix = "se: "
	name := small.String() // "nchw 4×2×3 hidden 2 avg bias"
	for _, c := range []struct {
		name string
		f    func()
		want []string
	}{
		{"Squeeze x empty", func() { s.CheckSqueeze(f(4), nil) }, []string{prefix + "Squeeze " + name, "len(x) = 0 is not a positive multiple of C×H×W = 24"}},
		{"Squeeze x ragged", func() { s.CheckSqueeze(f(4), f(25)) }, []string{"Squeeze", "len(x) = 25"}},
		{"Squeeze z", func() { s.CheckSqueeze(f(3), f(24)) }, []string{"Squeeze", "len(z) = 3, want 4"}},
		{"Squeeze z batch", func() { s.CheckSqueeze(f(4), f(48)) }, []string{"len(z) = 4, want 8"}},
		{"Excite z", func() { s.CheckExcite(f(5), f(5), p) }, []string{"Excite", "len(z) = 5 is not a multiple of C = 4"}},
		{"Excite s", func() { s.CheckExcite(f(4), f(8), p) }, []string{"Excite", "len(s) = 4, want 8"}},
		{"Excite params", func() { s.CheckExcite(f(4), f(4), &Params{}) }, []string{"params for " + name, "len(W1) = 0, want 8"}},
		{"Excite nil params", func() { s.CheckExcite(f(4), f(4), nil) }, []string{"params for " + name + " are nil"}},
		{"Scale x", func() { s.CheckScale(f(24), f(23), f(4)) }, []string{"Scale", "len(x) = 23"}},
		{"Scale dst", func() { s.CheckScale(f(23), f(24), f(4)) }, []string{"Scale", "len(dst) = 23, want 24"}},
		{"Scale s", func() { s.CheckScale(f(48), f(48), f(4)) }, []string{"Scale", "len(s) = 4, want 8"}},
		{"ScaleAddReLU res", func() { s.CheckScaleAddReLU(f(24), f(24), f(4), f(23)) }, []string{"ScaleAddReLU", "len(res) = 23, want 24"}},
		{"Forward x", func() { s.CheckForward(f(24), f(0), p) }, []string{"Forward", "len(x) = 0"}},
		{"Forward dst", func() { s.CheckForward(f(25), f(24), p) }, []string{"Forward", "len(dst) = 25, want 24"}},
		{"Forward params", func() { s.CheckForward(f(24), f(24), &Params{W1: f(8), W2: f(8)}) }, []string{"len(B1) = 0, want 2"}},
		{"ForwardAddReLU res", func() { s.CheckForwardAddReLU(f(24), f(24), f(48), p) }, []string{"ForwardAddReLU", "len(res) = 48, want 24"}},
		// The generic kernel checks before touching memory.
		{"Generic Squeeze", func() { Generic(s).Squeeze(f(3), f(24)) }, []string{"len(z) = 3"}},
		{"Generic Excite", func() { Generic(s).Excite(f(4), f(8), p) }, []string{"len(s) = 4"}},
		{"Generic Scale", func() { Generic(s).Scale(f(24), f(24), f(3)) }, []string{"len(s) = 3"}},
		{"Generic ScaleAddReLU", func() { Generic(s).ScaleAddReLU(f(24), f(24), f(4), f(2)) }, []string{"len(res) = 2"}},
		{"Generic Forward", func() { Generic(s).Forward(f(24), f(24), nil) }, []string{"nil"}},
		{"Generic ForwardAddReLU", func() { Generic(s).ForwardAddReLU(f(24), f(24), nil, p) }, []string{"len(res) = 0"}},
	} {
		mustPanic(t, c.name, c.f, c.want...)
	}

	// Correct lengths return the batch size.
	if n := s.CheckSqueeze(f(12), f(72)); n != 3 {
		t.Errorf("CheckSqueeze batch = %d, want 3", n)
	}
	if n := s.CheckExcite(f(8), f(8), p); n != 2 {
		t.Errorf("CheckExcite batch = %d, want 2", n)
	}
	if n := s.CheckScaleAddReLU(f(48), f(48), f(8), f(48)); n != 2 {
		t.Errorf("CheckScaleAddReLU batch = %d, want 2", n)
	}
	if n := s.CheckForwardAddReLU(f(24), f(24), f(24), p); n != 1 {
		t.Errorf("CheckForwardAddReLU batch = %d, want 1", n)
	}
}

func TestCheckOverlap(t *testing.T) {
	s, p := small, smallParams()
	buf := make([]float32, 64)
	const partial = "buffers overlap partially; an output may only alias an input exactly"
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Scale dst/x shifted", func() { s.CheckScale(buf[0:24], buf[1:25], make([]float32, 4)) }},
		{"Scale dst/x shifted back", func() { s.CheckScale(buf[1:25], buf[0:24], make([]float32, 4)) }},
		{"Scale dst/s same start", func() { s.CheckScale(buf[0:24], make([]float32, 24), buf[0:4]) }},
		{"Scale dst/s inside", func() { s.CheckScale(buf[0:24], make([]float32, 24), buf[20:24]) }},
		{"ScaleAddReLU dst/res", func() { s.CheckScaleAddReLU(buf[0:24], make([]float32, 24), make([]float32, 4), buf[23:47]) }},
		{"Excite s/z", func() { s.CheckExcite(buf[0:4], buf[2:6], p) }},
		{"Forward dst/x", func() { s.CheckForward(buf[0:24], buf[12:36], p) }},
		{"ForwardAddReLU dst/res", func() { s.CheckForwardAddReLU(buf[8:32], make([]float32, 24), buf[0:24], p) }},
		{"Generic Scale", func() { Generic(s).Scale(buf[0:24], buf[4:28], make([]float32, 4)) }},
	} {
		mustPanic(t, c.name, c.f, partial)
	}

	// Exact aliasing and adjacent, non-overlapping slices are fine.
	s.CheckScale(buf[0:24], buf[0:24], buf[24:28])
	s.CheckScaleAddReLU(buf[0:24], buf[0:24], buf[24:28], buf[0:24])
	s.CheckExcite(buf[0:4], buf[0:4], p)
	s.CheckForward(buf[24:48], buf[24:48], p)
	s.CheckForwardAddReLU(buf[0:24], buf[0:24], buf[0:24], p)
	s.CheckForwardAddReLU(buf[0:24], buf[0:24], buf[24:48], p)
}

// TestInPlace checks that every generic stage gives the same result when
// the output is the input.
func TestInPlace(t *testing.T) {
	for _, s := range []Shape{small, {Layout: NHWC, C: 5, H: 3, W: 2, Hidden: 3, Squeeze: Max}} {
		k := Generic(s)
		p := &Params{W1: ramp(s.Hidden*s.C, 0.1), W2: ramp(s.C*s.Hidden, -0.07)}
		if s.Bias {
			p.B1, p.B2 = ramp(s.Hidden, 0.02), ramp(s.C, -0.03)
		}
		x, res := ramp(2*s.Size(), 0.3), ramp(2*s.Size(), -0.2)
		sc := ramp(2*s.C, 0.05)

		want := make([]float32, len(x))
		k.Forward(want, x, p)
		got := slices.Clone(x)
		k.Forward(got, got, p)
		equal(t, s, "Forward", got, want)

		k.ForwardAddReLU(want, x, res, p)
		got = slices.Clone(x)
		k.ForwardAddReLU(got, got, res, p)
		equal(t, s, "ForwardAddReLU", got, want)

		k.ScaleAddReLU(want, x, sc, res)
		got = slices.Clone(res)
		k.ScaleAddReLU(got, x, sc, got)
		equal(t, s, "ScaleAddReLU into res", got, want)

		wantS := make([]float32, len(sc))
		k.Excite(wantS, sc, p)
		gotS := slices.Clone(sc)
		k.Excite(gotS, gotS, p)
		equal(t, s, "Excite", gotS, wantS)
	}
}

// ramp returns n deterministic values of both signs.
func ramp(n int, step float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%7-3) * step * float32(1+i%3)
	}
	return v
}

func equal(t *testing.T, s Shape, what string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%v: %s: [%d] = %v, want %v", s, what, i, got[i], want[i])
			return
		}
	}
}

func TestParamsCheck(t *testing.T) {
	f := func(n int) []float32 { return make([]float32, n) }
	nobias := small
	nobias.Bias = false
	for _, c := range []struct {
		name string
		s    Shape
		p    *Params
		want string // "" for valid
	}{
		{"valid bias", small, &Params{W1: f(8), B1: f(2), W2: f(8), B2: f(4)}, ""},
		{"valid nobias", nobias, &Params{W1: f(8), W2: f(8)}, ""},
		{"nil", small, nil, "params for nchw 4×2×3 hidden 2 avg bias are nil"},
		{"W1", small, &Params{W1: f(7), B1: f(2), W2: f(8), B2: f(4)}, "len(W1) = 7, want 8"},
		{"W2", small, &Params{W1: f(8), B1: f(2), W2: f(9), B2: f(4)}, "len(W2) = 9, want 8"},
		{"B1 missing", small, &Params{W1: f(8), W2: f(8), B2: f(4)}, "len(B1) = 0, want 2"},
		{"B2 short", small, &Params{W1: f(8), B1: f(2), W2: f(8), B2: f(3)}, "len(B2) = 3, want 4"},
		{"bias on a nobias shape", nobias, &Params{W1: f(8), B1: f(2), W2: f(8)}, "len(B1) = 2, want 0"},
	} {
		err := c.p.Check(c.s)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestTimmHidden(t *testing.T) {
	for c, want := range map[int]int{64: 8, 128: 8, 256: 16, 512: 32, 1024: 64, 2048: 128, 1: 8, 16: 8, 96: 8, 100: 8, 192: 16} {
		if got := TimmHidden(c); got != want {
			t.Errorf("TimmHidden(%d) = %d, want %d", c, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Shape{Layout: NCHW, C: 8, H: 4, W: 4, Hidden: 2}
	with := func(f func(*Shape)) Shape { s := ok; f(&s); return s }
	for _, s := range []Shape{
		ok,
		with(func(s *Shape) { s.Layout, s.Squeeze, s.Bias = NHWC, Max, true }),
		with(func(s *Shape) { s.Squeeze = Stochastic }),
		with(func(s *Shape) { s.C, s.Hidden = 1, 1 }),
		with(func(s *Shape) { s.C, s.Hidden = MaxChannels, MaxChannels }),
		with(func(s *Shape) { s.H, s.W = 1, 1 }),
		with(func(s *Shape) { s.H, s.W = MaxSide, MaxPlane/MaxSide }),
		with(func(s *Shape) { s.H, s.W = MaxPlane/MaxSide, MaxSide }),
		with(func(s *Shape) { s.H, s.W = 1024, 1024 }),
	} {
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%v) = %v, want nil", s, err)
		}
	}
	for _, c := range []struct {
		s    Shape
		want string
	}{
		{with(func(s *Shape) { s.Layout = 2 }), "layout Layout(2) is not nchw or nhwc"},
		{with(func(s *Shape) { s.Squeeze = 3 }), "squeeze Pool(3) is not avg, max or stochastic"},
		{with(func(s *Shape) { s.C = 0 }), "channels must be between 1 and 16384, got 0"},
		{with(func(s *Shape) { s.C = -8 }), "channels must be between 1 and 16384, got -8"},
		{with(func(s *Shape) { s.C = MaxChannels + 1 }), "got 16385"},
		{with(func(s *Shape) { s.H = 0 }), "height must be between 1 and 4096, got 0"},
		{with(func(s *Shape) { s.H = MaxSide + 1 }), "height must be between 1 and 4096, got 4097"},
		{with(func(s *Shape) { s.W = 0 }), "width must be between 1 and 4096, got 0"},
		{with(func(s *Shape) { s.W = MaxSide + 1 }), "width must be between 1 and 4096, got 4097"},
		{with(func(s *Shape) { s.H, s.W = 1025, 1024 }), "height×width must be at most 1048576, got 1049600"},
		{with(func(s *Shape) { s.H, s.W = MaxSide, MaxSide }), "height×width must be at most"},
		{with(func(s *Shape) { s.Hidden = 0 }), "hidden must be between 1 and channels (8), got 0"},
		{with(func(s *Shape) { s.Hidden = 9 }), "hidden must be between 1 and channels (8), got 9"},
	} {
		err := c.s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%v) = %v, want %q", c.s, err, c.want)
		}
		mustPanic(t, "Generic("+c.s.String()+")", func() { Generic(c.s) }, c.want)
		mustPanic(t, "Lookup("+c.s.String()+")", func() { Lookup(c.s) }, c.want)
	}
}

// TestMaxSqueezeNaN checks that a NaN anywhere in a channel makes its max
// NaN (as torch's adaptive_max_pool2d does), in both layouts, and that the
// other channels are unaffected.
func TestMaxSqueezeNaN(t *testing.T) {
	nan := float32(math.NaN())
	for _, layout := range []Layout{NCHW, NHWC} {
		s := Shape{Layout: layout, C: 3, H: 3, W: 3, Hidden: 1, Squeeze: Max}
		for pos := range s.Plane() { // first, middle and last positions included
			x := ramp(s.Size(), 0.5)
			for i := range x {
				x[i] = -float32(math.Inf(1)) // an all -Inf channel pools to -Inf, not NaN
			}
			x[index(s, 1, pos)] = nan
			for p := range s.Plane() {
				x[index(s, 2, p)] = float32(p)
			}
			z := make([]float32, s.C)
			Generic(s).Squeeze(z, x)
			if !math.IsInf(float64(z[0]), -1) || !math.IsNaN(float64(z[1])) || z[2] != float32(s.Plane()-1) {
				t.Errorf("%v: NaN at position %d: z = %v, want [-Inf NaN %d]", s, pos, z, s.Plane()-1)
			}
		}
	}
}

// index returns the offset of channel c at spatial position p in one sample.
func index(s Shape, c, p int) int {
	if s.Layout == NCHW {
		return c*s.Plane() + p
	}
	return p*s.C + c
}

// TestReLUNaN checks that the block tail propagates NaN from x, s or res,
// as PyTorch's relu does, instead of clamping it to 0.
func TestReLUNaN(t *testing.T) {
	nan := float32(math.NaN())
	s := Shape{Layout: NHWC, C: 2, H: 1, W: 2, Hidden: 1}
	k := Generic(s)
	dst := make([]float32, 4)
	k.ScaleAddReLU(dst, []float32{nan, 1, 1, -5}, []float32{1, 1}, []float32{-1, -3, nan, 1})
	// [0]: x NaN; [1]: 1×1−3 → 0; [2]: res NaN; [3]: −5+1 → 0.
	if !math.IsNaN(float64(dst[0])) || dst[1] != 0 || !math.IsNaN(float64(dst[2])) || dst[3] != 0 {
		t.Errorf("ScaleAddReLU = %v, want [NaN 0 NaN 0]", dst)
	}
	k.ScaleAddReLU(dst, []float32{-1, -1, -1, -1}, []float32{nan, 1}, []float32{0, 0, 0, 0})
	if !math.IsNaN(float64(dst[0])) || dst[1] != 0 || !math.IsNaN(float64(dst[2])) || dst[3] != 0 {
		t.Errorf("ScaleAddReLU with a NaN gate = %v, want [NaN 0 NaN 0]", dst)
	}
	// The excitation's inner ReLU propagates NaN too.
	sc := make([]float32, 2)
	k.Excite(sc, []float32{nan, 0}, &Params{W1: []float32{1, 1}, W2: []float32{1, 1}})
	if !math.IsNaN(float64(sc[0])) || !math.IsNaN(float64(sc[1])) {
		t.Errorf("Excite(NaN) = %v, want NaN", sc)
	}
}

func TestSigmoid(t *testing.T) {
	for _, c := range []struct{ x, want float32 }{
		{0, 0.5}, {float32(math.Inf(1)), 1}, {float32(math.Inf(-1)), 0}, {100, 1}, {-200, 0}, {2, 0.8807971},
	} {
		if got := Sigmoid(c.x); got != c.want {
			t.Errorf("Sigmoid(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if !math.IsNaN(float64(Sigmoid(float32(math.NaN())))) {
		t.Error("Sigmoid(NaN) is not NaN")
	}
}

// fake is a test-only specialised kernel: the generic one under another name.
type fake struct {
	Kernel
	impl string
}

func (f fake) Impl() string { return f.impl }

// saveRegistry restores the registry when the test ends, so the test's
// registrations do not leak into other tests.
func saveRegistry(t *testing.T) {
	registry.Lock()
	kernels := make(map[Shape]Kernel, len(registry.kernels))
	for s, k := range registry.kernels {
		kernels[s] = k
	}
	fallback := registry.fallback
	registry.Unlock()
	t.Cleanup(func() {
		registry.Lock()
		registry.kernels, registry.fallback = kernels, fallback
		registry.Unlock()
	})
}

func TestRegistry(t *testing.T) {
	saveRegistry(t)
	a := Shape{Layout: NHWC, C: 7, H: 3, W: 5, Hidden: 3, Squeeze: Max}
	b := Shape{Layout: NCHW, C: 7, H: 3, W: 5, Hidden: 3, Squeeze: Max, Bias: true}
	other := Shape{Layout: NCHW, C: 9, H: 2, W: 2, Hidden: 1}

	if k := Lookup(other); k.Impl() != "generic" || k.Shape() != other {
		t.Errorf("Lookup with nothing registered = %s %v, want the generic kernel", k.Impl(), k.Shape())
	}
	Register(fake{Generic(a), "fake-a"})
	Register(fake{Generic(b), "fake-b"})
	if k := Lookup(a); k.Impl() != "fake-a" {
		t.Errorf("Lookup(a) = %s, want fake-a", k.Impl())
	}
	if k := Lookup(b); k.Impl() != "fake-b" {
		t.Errorf("Lookup(b) = %s, want fake-b", k.Impl())
	}
	if k := Lookup(other); k.Impl() != "generic" {
		t.Errorf("Lookup(other) = %s, want generic", k.Impl())
	}
	var shapes []Shape
	for _, k := range Registered() {
		shapes = append(shapes, k.Shape())
	}
	if ia, ib := slices.Index(shapes, a), slices.Index(shapes, b); ia < 0 || ib < 0 || ib > ia {
		t.Errorf("Registered() shapes = %v, want b (nchw) before a (nhwc)", shapes)
	}

	mustPanic(t, "duplicate", func() { Register(fake{Generic(a), "again"}) },
		"se: Register: shape "+a.String()+" already has a fake-a kernel")
	mustPanic(t, "invalid shape", func() { Register(fake{generic{Shape{C: 0, H: 1, W: 1, Hidden: 1}}, "bad"}) },
		"channels must be between")
	if k := Lookup(a); k.Impl() != "fake-a" {
		t.Errorf("after a duplicate Register, Lookup(a) = %s, want fake-a", k.Impl())
	}

	// A fallback replaces Generic for unregistered shapes only; the last
	// registration wins.
	RegisterFallback(func(s Shape) Kernel { return fake{Generic(s), "simd-1"} })
	RegisterFallback(func(s Shape) Kernel { return fake{Generic(s), "simd-2"} })
	if k := Lookup(other); k.Impl() != "simd-2" || k.Shape() != other {
		t.Errorf("Lookup(other) with a fallback = %s %v, want simd-2", k.Impl(), k.Shape())
	}
	if k := Lookup(a); k.Impl() != "fake-a" {
		t.Errorf("Lookup(a) with a fallback = %s, want the registered fake-a", k.Impl())
	}
}

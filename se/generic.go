package se

import "math"

// Generic returns the plain-Go kernel for s: clear, idiomatic code that works
// for any valid shape. It defines the semantics every specialised kernel is
// tested against, and is what Lookup returns when nothing better is linked.
func Generic(s Shape) Kernel {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	return generic{s}
}

type generic struct{ s Shape }

func (g generic) Shape() Shape { return g.s }
func (g generic) Impl() string { return "generic" }

func (g generic) Squeeze(z, x []float32) {
	n := g.s.CheckSqueeze(z, x)
	size, c := g.s.Size(), g.s.C
	for i := range n {
		SqueezeSample(g.s, z[i*c:(i+1)*c], x[i*size:(i+1)*size])
	}
}

func (g generic) Excite(sc, z []float32, p *Params) {
	g.s.CheckExcite(sc, z, p)
	var buf [maxStackScratch]float32
	hidden := scratch(buf[:], g.s.Hidden)
	for i := 0; i < len(z); i += g.s.C {
		ExciteSample(g.s, sc[i:i+g.s.C], z[i:i+g.s.C], hidden, p)
	}
}

func (g generic) Scale(dst, x, sc []float32) {
	n := g.s.CheckScale(dst, x, sc)
	size, c := g.s.Size(), g.s.C
	for i := range n {
		ScaleSample(g.s, dst[i*size:(i+1)*size], x[i*size:(i+1)*size], sc[i*c:(i+1)*c], nil)
	}
}

func (g generic) ScaleAddReLU(dst, x, sc, res []float32) {
	n := g.s.CheckScaleAddReLU(dst, x, sc, res)
	size, c := g.s.Size(), g.s.C
	for i := range n {
		ScaleSample(g.s, dst[i*size:(i+1)*size], x[i*size:(i+1)*size], sc[i*c:(i+1)*c], res[i*size:(i+1)*size])
	}
}

func (g generic) Forward(dst, x []float32, p *Params) {
	n := g.s.CheckForward(dst, x, p)
	g.forward(dst, x, nil, p, n)
}

func (g generic) ForwardAddReLU(dst, x, res []float32, p *Params) {
	n := g.s.CheckForwardAddReLU(dst, x, res, p)
	g.forward(dst, x, res, p, n)
}

func (g generic) forward(dst, x, res []float32, p *Params, n int) {
	size, c := g.s.Size(), g.s.C
	var stack [maxStackScratch]float32
	buf := scratch(stack[:], 2*c+g.s.Hidden)
	z, sc, hidden := buf[:c], buf[c:2*c], buf[2*c:]
	for i := range n {
		xi, di := x[i*size:(i+1)*size], dst[i*size:(i+1)*size]
		SqueezeSample(g.s, z, xi)
		ExciteSample(g.s, sc, z, hidden, p)
		var ri []float32
		if res != nil {
			ri = res[i*size : (i+1)*size]
		}
		ScaleSample(g.s, di, xi, sc, ri)
	}
}

// SqueezeSample pools one sample x (C×H×W values in s.Layout) into z (C values).
func SqueezeSample(s Shape, z, x []float32) {
	plane := s.Plane()
	switch {
	case s.Layout == NCHW && s.Squeeze == Avg:
		for c := range z {
			var sum float32
			for _, v := range x[c*plane : (c+1)*plane] {
				sum += v
			}
			z[c] = sum / float32(plane)
		}
	case s.Layout == NCHW && s.Squeeze == Max:
		for c := range z {
			m := float32(math.Inf(-1))
			for _, v := range x[c*plane : (c+1)*plane] {
				m = max(m, v)
			}
			z[c] = m
		}
	case s.Layout == NCHW:
		for c := range z {
			var sum, squares float32
			for _, v := range x[c*plane : (c+1)*plane] {
				sum += v
				squares += v * v
			}
			z[c] = ProbabilityWeighted(sum, squares)
		}
	case s.Squeeze == Avg:
		clear(z)
		for p := range plane {
			for c, v := range x[p*s.C : (p+1)*s.C] {
				z[c] += v
			}
		}
		for c := range z {
			z[c] /= float32(plane)
		}
	case s.Squeeze == Max:
		for c := range z {
			z[c] = float32(math.Inf(-1))
		}
		for p := range plane {
			for c, v := range x[p*s.C : (p+1)*s.C] {
				z[c] = max(z[c], v)
			}
		}
	default:
		// Each channel is a column with a stride of C: walking it keeps the
		// two sums in registers and needs no scratch.
		for c := range z {
			var sum, squares float32
			for p := range plane {
				v := x[p*s.C+c]
				sum += v
				squares += v * v
			}
			z[c] = ProbabilityWeighted(sum, squares)
		}
	}
}

// ProbabilityWeighted returns the stochastic squeeze of values whose sum is
// sum and whose sum of squares is squares: their average weighted by the
// probabilities x/Σx, Σx²/Σx, or 0 where Σx ≤ 0. That is the test phase of
// Zeiler and Fergus' stochastic pooling, exactly as Caffe computes it for
// every input without NaN. With IEEE arithmetic the special values follow:
// a NaN in the plane makes both sums NaN, which is not ≤ 0, so z is NaN, as
// the average and the maximum propagate it (Caffe's test, sum > 0, would
// return 0); +Inf gives Inf/Inf = NaN; −Inf (without +Inf or NaN) makes
// Σx = −Inf ≤ 0, so z is 0. Where Σx ≤ 0 the result is +0.
func ProbabilityWeighted(sum, squares float32) float32 {
	if sum <= 0 {
		return 0
	}
	return squares / sum
}

// ExciteSample computes the gate of one sample: sc = sigmoid(W2·relu(W1·z +
// b1) + b2). hidden is scratch of s.Hidden values.
func ExciteSample(s Shape, sc, z, hidden []float32, p *Params) {
	for j := range s.Hidden {
		hidden[j] = max(Dense(p.W1, p.B1, z, j, s.Bias), 0)
	}
	for c := range s.C {
		sc[c] = Sigmoid(Dense(p.W2, p.B2, hidden, c, s.Bias))
	}
}

// Dense returns output j of a fully connected layer on x: row j of w
// (len(x) columns, row-major) times x, plus b[j] with bias, summed in
// column order from the bias. It is the generic excitation's layer, and
// the plain-Go path of se/simd's row kernels.
func Dense(w, b, x []float32, j int, bias bool) float32 {
	var sum float32
	if bias {
		sum = b[j]
	}
	for i, v := range x {
		sum += w[j*len(x)+i] * v
	}
	return sum
}

// ScaleSample sets dst = x × s per channel for one sample; with res it sets
// dst = max(x×s + res, 0), propagating NaN as PyTorch's ReLU does.
func ScaleSample(s Shape, dst, x, sc, res []float32) {
	plane := s.Plane()
	if s.Layout == NCHW {
		for c, g := range sc {
			for i := c * plane; i < (c+1)*plane; i++ {
				dst[i] = scaled(x[i], g, res, i)
			}
		}
		return
	}
	for p := range plane {
		for c, g := range sc {
			i := p*s.C + c
			dst[i] = scaled(x[i], g, res, i)
		}
	}
}

// scaled returns v×g, or max(v×g + res[i], 0) when there is a residual.
func scaled(v, g float32, res []float32, i int) float32 {
	if res == nil {
		return v * g
	}
	return max(v*g+res[i], 0)
}

// Sigmoid returns 1/(1+e^-x), computed in float64 so it is exact to float32
// rounding for every input, ±Inf included.
func Sigmoid(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}

// Scratch of up to maxStackScratch values lives on the stack, so blocks of
// the usual sizes allocate nothing per call (SE-ResNet's largest, C = 2048
// with hidden 128, needs 4224); larger ones allocate.
const maxStackScratch = 8192

// scratch returns n values of buf, or a new slice if buf is too short.
func scratch(buf []float32, n int) []float32 {
	if n <= len(buf) {
		return buf[:n]
	}
	return make([]float32, n)
}

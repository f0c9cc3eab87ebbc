package setest

import (
	"math"
	"sync"

	"github.com/segen/segen/se"
	"github.com/segen/segen/se/random"
)

// dataset is the inputs of every op for n samples and se.Generic's results
// on them. Samples are independent, so a trial of batch m uses the first m
// samples of everything. A dataset is never handed to a kernel (trials copy
// it), so it stays valid while cached.
type dataset struct {
	special bool // inputs hold NaN and ±Inf
	n       int
	x, res  []float32 // n×C×H×W
	z, s    []float32 // n×C: the inputs of se.Excite and of se.Scale
	p       *se.Params
	want    map[se.Op][]float32 // se.Generic's output of each op
	atol    map[se.Op]float64   // absolute tolerance of each op; exact if negative
	spans   []span              // for a stochastic Squeeze, what each output may be, instead of atol
}

// cache keeps the datasets of the last shape checked: a generated package
// checks each shape once per instruction set, one after the other, and the
// generic reference is the slow part of a Check under -race. One entry
// bounds the memory kept.
var cache struct {
	sync.Mutex
	shape           se.Shape
	normal, special *dataset
}

// datasets returns the plain and the NaN/Inf dataset for s, each with as
// many samples as the trials use.
func datasets(s se.Shape, trials []trial) (normal, special *dataset) {
	cache.Lock()
	if cache.normal != nil && cache.shape == s {
		normal, special = cache.normal, cache.special
	}
	cache.Unlock()
	if normal != nil {
		return normal, special
	}
	var n [2]int
	for _, t := range trials {
		i := 0
		if t.special {
			i = 1
		}
		n[i] = max(n[i], t.n)
	}
	normal, special = newDataset(s, n[0], false), newDataset(s, n[1], true)
	cache.Lock()
	cache.shape, cache.normal, cache.special = s, normal, special
	cache.Unlock()
	return normal, special
}

func newDataset(s se.Shape, n int, special bool) *dataset {
	size, C := s.Size(), s.C
	d := &dataset{
		special: special, n: n,
		p:   random.Params(s, 1),
		x:   random.Data(n*size, 2),
		res: random.Data(n*size, 3),
		z:   random.Data(n*C, 4),
		s:   random.Gates(n*C, 5),
	}
	// Give each channel of each sample its own mean, as real activations
	// have: the squeezed z, and with it the gates, then spread over a range
	// instead of all sitting near 0 and ½, so a kernel that mixes up
	// channels or samples is off by far more than the tolerance.
	means := random.Data(n*C, 6)
	if s.Squeeze == se.Stochastic {
		stochasticMeans(means)
	}
	addMeans(s, d.x, means)
	if special {
		d.poke(s)
	}
	if s.Squeeze == se.Stochastic {
		d.spans = stochasticSpans(s, d.x, n)
	}

	g := se.Generic(s)
	d.want = map[se.Op][]float32{}
	for _, op := range se.Ops() {
		d.want[op] = make([]float32, len(d.z))
		if op != se.Squeeze && op != se.Excite {
			d.want[op] = make([]float32, len(d.x))
		}
	}
	g.Squeeze(d.want[se.Squeeze], d.x)
	g.Excite(d.want[se.Excite], d.z, d.p)
	g.Scale(d.want[se.Scale], d.x, d.s)
	g.ScaleAddReLU(d.want[se.ScaleAddReLU], d.x, d.s, d.res)
	g.Forward(d.want[se.Forward], d.x, d.p)
	g.ForwardAddReLU(d.want[se.ForwardAddReLU], d.x, d.res, d.p)

	mx, mr, ms := maxAbs(d.x), maxAbs(d.res), maxAbs(d.s)
	d.atol = map[se.Op]float64{
		se.Squeeze:        atol * mx,
		se.Excite:         atol, // gates are in [0, 1]
		se.Scale:          atol * mx * ms,
		se.ScaleAddReLU:   atol * (mx*ms + mr),
		se.Forward:        atol * mx,
		se.ForwardAddReLU: atol * (mx + mr),
	}
	if s.Squeeze == se.Max {
		d.atol[se.Squeeze] = -1 // a maximum involves no rounding
	}
	return d
}

// poke puts NaN and ±Inf into the inputs, at the first, middle and last
// positions of a sample, where vector loops have their edges and tails.
// Samples differ (sample i by i mod 4): 0 has NaN, +Inf and −Inf in x, 1
// none, 2 only +Inf, 3 only −Inf. A NaN makes a whole sample of se.Forward NaN,
// so the Inf-only samples are what test its Inf handling, and the clean one
// that nothing leaks between samples. res and s get all three in every
// sample, since se.ScaleAddReLU and se.Scale work element by element.
func (d *dataset) poke(s se.Shape) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	size, C := s.Size(), s.C
	for i := range d.n {
		x, res := d.x[i*size:(i+1)*size], d.res[i*size:(i+1)*size]
		z, g := d.z[i*C:(i+1)*C], d.s[i*C:(i+1)*C]
		switch i % 4 {
		case 0:
			x[0], x[size-1], x[size/2] = nan, inf, -inf
			z[0] = nan
		case 2:
			x[size/3] = inf
			z[C-1] = inf
		case 3:
			x[2*size/3] = -inf
			z[C/2] = -inf
		}
		res[size/4], res[(size/4+1)%size], res[(size/4+2)%size] = inf, -inf, nan
		g[C/4], g[C/2], g[C-1] = -inf, inf, nan
	}
}

// addMeans sets x = (x + the mean of its sample and channel) / 2.
//
//go:norace
func addMeans(s se.Shape, x, means []float32) {
	size := s.Size()
	for i := range x {
		x[i] = (x[i] + means[i/size*s.C+channel(s, i%size)]) / 2
	}
}

// channel returns the channel of the i-th value of a sample.
func channel(s se.Shape, i int) int {
	if s.Layout == se.NCHW {
		return i / s.Plane()
	}
	return i % s.C
}

// maxAbs returns the largest finite |v|, at least the smallest normal float
// so a tolerance built from it is never zero.
//
//go:norace
func maxAbs(v []float32) float64 {
	m := 0x1p-126
	for _, f := range v {
		a := abs(float64(f))
		if a > m && a <= math.MaxFloat32 {
			m = a
		}
	}
	return m
}

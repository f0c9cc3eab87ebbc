package resnet

import (
	"fmt"
	"strings"
	"time"
)

// LayerTime is how long one layer of a profiled forward pass took.
type LayerTime struct {
	// Class groups the layers of the network: "stem 7×7/2", "maxpool",
	// "stage 2 1×1", "stage 2 3×3/2", "stage 2 downsample", "stage 2 SE",
	// "avgpool+fc".
	Class string
	FLOPs float64 // two per multiply-add of the direct convolution; 0 for layers without a product
	Time  time.Duration
}

// profiler is the state of a profiled pass: the layers timed so far, the
// clock and its reading at the end of the previous layer.
type profiler struct {
	layers []LayerTime
	clock  func() time.Duration
	last   time.Duration
}

// Profile runs Forward(logits, x) and returns the time of every layer in
// the order they ran, read from clock (nil: the wall clock). Each layer is
// timed from the end of the one before, so the times add up to the whole
// pass. On a shared machine a one-thread profile is steadier on the
// calling thread's CPU clock, which stops while other programs run.
func (p *Plan) Profile(logits, x []float32, clock func() time.Duration) []LayerTime {
	if clock == nil {
		start := time.Now()
		clock = func() time.Duration { return time.Since(start) }
	}
	p.prof = &profiler{clock: clock, last: clock()}
	defer func() { p.prof = nil }()
	p.Forward(logits, x)
	return p.prof.layers
}

// lap ends a layer of class that did flops. Callers format a class only
// when p.prof is set, so an unprofiled pass allocates nothing.
func (p *Plan) lap(flops float64, class string) {
	if p.prof == nil {
		return
	}
	now := p.prof.clock()
	p.prof.layers = append(p.prof.layers, LayerTime{Class: class, FLOPs: flops, Time: now - p.prof.last})
	p.prof.last = now
}

// lapLayer ends layer l of block i (-1: the stem) on an oh×ow output; a
// downsample says so by role, the others are named by their kernel.
func (p *Plan) lapLayer(l layer, i int, role string, oh, ow int) {
	p.lapSamples(l, i, role, oh, ow, p.n)
}

// lapSamples is lapLayer for a layer run on samples of the batch.
func (p *Plan) lapSamples(l layer, i int, role string, oh, ow, samples int) {
	if p.prof == nil {
		return
	}
	where := "stem"
	if i >= 0 {
		var stage int
		fmt.Sscanf(p.m.blocks[i].prefix, "layer%d.", &stage)
		where = fmt.Sprintf("stage %d", stage)
	}
	if l.conv == nil {
		if i < 0 {
			p.lap(0, "maxpool")
		} else {
			p.lap(0, strings.TrimSpace(fmt.Sprintf("%s %s pool", where, role)))
		}
		return
	}
	s := l.conv.Spec()
	flops := 2 * float64(samples*oh*ow*s.OutC*s.Depth())
	kernel := fmt.Sprintf("%d×%d", s.KH, s.KW)
	if s.Stride > 1 {
		kernel += fmt.Sprintf("/%d", s.Stride)
	}
	if s.Groups > 1 {
		kernel += " grouped"
	}
	if role == "" {
		role = kernel
	}
	p.lap(flops, where+" "+role)
}

// lapSE ends block i's SE work: its tail, or what a gate folded into the
// last convolution costs before that convolution runs.
func (p *Plan) lapSE(i int) {
	if p.prof == nil {
		return
	}
	var stage int
	fmt.Sscanf(p.m.blocks[i].prefix, "layer%d.", &stage)
	p.lap(0, fmt.Sprintf("stage %d SE", stage))
}

//go:build amd64 && !purego

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segen/segen/internal/asmsim"
)

// TestGroupedKernelsSimulated runs every grouped micro-kernel of
// gconv_amd64.s, the AVX-512 ones included, which this CPU may not have,
// on an interpreter of its instructions (internal/asmsim) against the
// reference convolution. Each slice a call is handed is exactly as long as
// the kernel's contract says, and the interpreter fails any access outside
// them. The calls take several tile columns and tiles of pixels, with a
// partial last one, and the residual, ReLU and sums; kernels the CPU has also run on it, on the same
// slices, which checks the interpreter.
func TestGroupedKernelsSimulated(t *testing.T) {
	prog := simProgram(t, "gconv_amd64.s")
	native := map[string]bool{}
	for _, e := range engines() {
		for _, k := range e.gconv {
			native[k.name] = true
		}
	}
	r := rand.New(rand.NewPCG(17, 18))
	for i := range gconvKernels {
		k := &gconvKernels[i]
		for _, stride := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/stride%d", k.name, stride), func(t *testing.T) {
				simulateGrouped(t, r, prog, k, stride, native[k.name])
			})
		}
	}
}

// simulateGrouped checks k on one image through a zero-padded copy of its
// input, every output pixel in one list.
func simulateGrouped(t *testing.T, r *rand.Rand, prog *asmsim.Program, k *gconvKernel, stride int, native bool) {
	groups := max(2, 2*k.cols()/k.out)
	s := ConvSpec{InC: groups * k.in, OutC: groups * k.out, KH: 3, KW: 3, Stride: stride, Pad: 1, Groups: groups}
	const h, w = 6, 5
	oh, ow := s.Out(h, w)
	weight, bias, src := randSlice(r, s.OutC*s.Depth()), randSlice(r, s.OutC), randSlice(r, h*w*s.InC)
	m := oh * ow
	res := randSlice(r, m*s.OutC)
	want := refConv(s, weight, bias, src, 1, h, w, Epilogue{Residual: res, ReLU: true})
	panels := packGrouped(s, weight, k)

	// The padded input and the pixel list, padded to whole tiles.
	wp := w + 2
	padded := make([]float32, (h+2)*wp*s.InC)
	for y := range h {
		copy(padded[((y+1)*wp+1)*s.InC:], src[y*w*s.InC:(y+1)*w*s.InC])
	}
	px := gconvPixels{}
	for p := range m {
		oy, ox := p/ow, p%ow
		px.add((oy*stride*wp+ox*stride)*s.InC, p*s.OutC)
	}
	px.pad(k.rows)

	cols, size, tiles := k.cols(), k.weights(), s.OutC/k.cols()
	chunk := tiles / 2 // two calls, the second starting inside the tensor
	if per := k.out / cols; per > 1 {
		chunk = (chunk + per - 1) / per * per
	}
	got, sums := make([]float32, len(res)), make([]float32, s.OutC)
	var hw []float32
	if native {
		hw = make([]float32, len(res))
	}
	for c0 := 0; c0 < tiles; c0 += chunk {
		c1 := min(tiles, c0+chunk)
		col0 := c0 * cols
		ch := col0 / k.out * k.in
		// The call's slices, as long as GConv's contract says.
		row, pix := wp*s.InC, s.InC
		a := padded[ch:][:(c1-c0-1)*cols/k.out*k.in+px.maxIn+2*row+2*pix+k.groups()*k.in]
		outLen := px.maxOut + (c1-c0)*cols
		b := panels[c0*size : c1*size]
		cr, rr := got[col0:][:outLen], res[col0:][:outLen]
		biasR, sumR := bias[col0:][:(c1-c0)*cols], sums[col0:][:(c1-c0)*cols]
		regions := []*asmsim.Region{asmsim.Floats(a), asmsim.Ints(px.offs), asmsim.Floats(b), asmsim.Floats(cr), asmsim.Floats(biasR), asmsim.Floats(rr), asmsim.Floats(sumR)}
		flags := tileResidual | tileReLU | tileSum
		if err := prog.Call(k.name, 1<<26, regions[0], regions[1], px.n, c1-c0, pix, row, regions[2], regions[3], regions[4], regions[5], regions[6], flags); err != nil {
			t.Fatal(err)
		}
		for i := range cr {
			cr[i] = regions[3].Float(i)
		}
		for i := range sumR {
			sumR[i] = regions[6].Float(i)
		}
		if native {
			hsum := make([]float32, len(sumR))
			k.kernel(&a[0], &px.offs[0], px.n, c1-c0, pix, row, &b[0], &hw[col0], &biasR[0], &rr[0], &hsum[0], flags)
			for i, v := range hsum {
				if d := math.Abs(float64(v - sumR[i])); d > 1e-4*math.Max(1, math.Abs(float64(v))) {
					t.Fatalf("column sum %d: interpreter %v, CPU %v", col0+i, sumR[i], v)
				}
			}
		}
	}
	tol := 1e-5 * math.Sqrt(float64(s.Depth()))
	for i, v := range got {
		if d := math.Abs(float64(v) - want[i]); !(d <= tol*math.Max(1, math.Abs(want[i]))) {
			t.Fatalf("pixel %d channel %d = %v, want %v", i/s.OutC, i%s.OutC, v, want[i])
		}
		if native && math.Abs(float64(v-hw[i])) > 1e-6*math.Max(1, math.Abs(float64(v))) {
			t.Fatalf("pixel %d channel %d: interpreter %v, CPU %v", i/s.OutC, i%s.OutC, v, hw[i])
		}
	}
	for c, v := range sums {
		var ref float64
		for p := range m {
			ref += want[p*s.OutC+c]
		}
		if d := math.Abs(float64(v) - ref); !(d <= tol*float64(m)*math.Max(1, math.Abs(ref))) {
			t.Fatalf("column sum %d = %v, want %v", c, v, ref)
		}
	}
}

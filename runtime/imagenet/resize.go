package imagenet

import "math"

// Resize resamples planar float images (channels planes of h×w) to oh×ow
// as torch.nn.functional.interpolate(mode=interp, align_corners=False,
// antialias=antialias) does, one axis after the other.
func Resize(src []float32, channels, h, w, oh, ow int, interp Interp, antialias bool) []float32 {
	cols := taps(w, ow, 0, ow, interp, antialias)
	rows := taps(h, oh, 0, oh, interp, antialias)
	// Horizontal pass: channels×h rows of w → ow.
	tmp := make([]float32, channels*h*ow)
	for r := range channels * h {
		in, out := src[r*w:(r+1)*w], tmp[r*ow:(r+1)*ow]
		for x, t := range cols {
			var sum float64
			for k, wt := range t.weights {
				sum += wt * float64(in[t.start+k])
			}
			out[x] = float32(sum)
		}
	}
	// Vertical pass: h → oh, a weighted sum of whole rows.
	dst := make([]float32, channels*oh*ow)
	acc := make([]float64, ow)
	for ch := range channels {
		for y, t := range rows {
			clear(acc)
			for k, wt := range t.weights {
				in := tmp[(ch*h+t.start+k)*ow:][:ow]
				for x, v := range in {
					acc[x] += wt * float64(v)
				}
			}
			out := dst[(ch*oh+y)*ow:][:ow]
			for x, v := range acc {
				out[x] = float32(v)
			}
		}
	}
	return dst
}

// tap is how one output coordinate reads the input axis: weights for the
// input positions start, start+1, …
type tap struct {
	start   int
	weights []float64
}

// span returns the input positions ts read: lo…hi−1.
func span(ts []tap) (lo, hi int) {
	lo = ts[0].start
	for _, t := range ts {
		lo, hi = min(lo, t.start), max(hi, t.start+len(t.weights))
	}
	return lo, hi
}

// taps computes, for an axis of n inputs resized to m outputs, the taps of
// the output positions lo…hi−1, following PyTorch's CPU kernels (aten
// UpSample.h).
func taps(n, m, lo, hi int, interp Interp, antialias bool) []tap {
	scale := float64(n) / float64(m)
	out := make([]tap, 0, hi-lo)
	if antialias {
		// _compute_indices_min_size_weights_aa: the filter is stretched by
		// the downscaling factor and the weights normalised to sum to 1.
		support := 1.0 // half the filter's width: 2 taps bilinear, 4 bicubic
		filter := triangle
		if interp == Bicubic {
			support, filter = 2, cubicAA
		}
		invscale := 1.0
		if scale >= 1 {
			support *= scale
			invscale = 1 / scale
		}
		for i := lo; i < hi; i++ {
			center := scale * (float64(i) + 0.5)
			first := max(int(center-support+0.5), 0)
			end := min(int(center+support+0.5), n)
			ws := make([]float64, end-first)
			var total float64
			for j := range ws {
				ws[j] = filter((float64(j+first) - center + 0.5) * invscale)
				total += ws[j]
			}
			if total != 0 {
				for j := range ws {
					ws[j] /= total
				}
			}
			out = append(out, tap{first, ws})
		}
		return out
	}
	for i := lo; i < hi; i++ {
		src := scale*(float64(i)+0.5) - 0.5
		if interp == Bilinear {
			// upsample_bilinear2d: source clamped at 0, the right neighbour
			// clamped to the last pixel.
			src = max(src, 0)
			i0 := int(src)
			l1 := src - float64(i0)
			if i0 >= n-1 {
				out = append(out, tap{n - 1, []float64{1}})
				continue
			}
			out = append(out, tap{i0, []float64{1 - l1, l1}})
			continue
		}
		// upsample_bicubic2d: Keys' cubic with A = −0.75 on the four
		// neighbours, indices clamped to the image (so edge taps merge).
		i0 := int(math.Floor(src))
		t := src - float64(i0)
		w := [4]float64{cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)}
		first, last := clamp(i0-1, n), clamp(i0+2, n)
		ws := make([]float64, last-first+1)
		for k := range 4 {
			ws[clamp(i0-1+k, n)-first] += w[k]
		}
		out = append(out, tap{first, ws})
	}
	return out
}

func clamp(i, n int) int { return min(max(i, 0), n-1) }

// triangle is the bilinear filter.
func triangle(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 1 - x
	}
	return 0
}

// cubicAA is the bicubic filter of the antialiased path, a = −0.5 as PIL.
func cubicAA(x float64) float64 {
	const a = -0.5
	x = math.Abs(x)
	switch {
	case x < 1:
		return ((a+2)*x-(a+3))*x*x + 1
	case x < 2:
		return (((x-5)*x+8)*x - 4) * a
	}
	return 0
}

// cubic1 and cubic2 are Keys' convolution kernel with A = −0.75 for
// |x| ≤ 1 and 1 < |x| < 2, as upsample_bicubic2d evaluates them.
const cubicA = -0.75

func cubic1(x float64) float64 { return ((cubicA+2)*x-(cubicA+3))*x*x + 1 }
func cubic2(x float64) float64 { return ((cubicA*x-5*cubicA)*x+8*cubicA)*x - 4*cubicA }

package imagenet

import (
	"image"
	"image/color"
)

// rowFunc writes the RGB values of the pixels (x0…x1−1, y) of an image,
// three bytes each, to dst.
type rowFunc func(dst []uint8, y, x0, x1 int)

// rgbRows returns how to read img's rows as 8-bit RGB, the way PIL's
// Image.convert("RGB") does after Image.open:
//
//   - gray (PIL "L", "1") repeats the value; 16-bit gray (PIL "I") is
//     clipped to 255, not scaled, as PIL does: a value of 256 or more is
//     white;
//   - 16-bit colour keeps the high byte (PIL reads such PNGs as 8-bit by
//     truncation);
//   - alpha is dropped, never composited: a transparent pixel keeps its
//     colour (premultiplied *image.RGBA and RGBA64 are un-premultiplied
//     first; decoders return them opaque);
//   - a palette is looked up, entries it lacks reading as gray (i, i, i);
//   - CMYK is PIL's cmyk2rgb: R = (255−K) − round(C·(255−K)/255);
//   - YCbCr is what libjpeg gives PIL: subsampled chroma upsampled with
//     libjpeg's "fancy" triangle filter, then converted with its integer
//     tables (jdcolor.c), both bit for bit.
//
// Any other image type goes through color.NRGBAModel.
func rgbRows(img image.Image) rowFunc {
	switch m := img.(type) {
	case *image.Gray:
		return func(dst []uint8, y, x0, x1 int) {
			for i, v := range m.Pix[m.PixOffset(x0, y):][:x1-x0] {
				dst[3*i], dst[3*i+1], dst[3*i+2] = v, v, v
			}
		}
	case *image.Gray16:
		return func(dst []uint8, y, x0, x1 int) {
			src := m.Pix[m.PixOffset(x0, y):]
			for i := range x1 - x0 {
				v := uint8(255)
				if src[2*i] == 0 {
					v = src[2*i+1]
				}
				dst[3*i], dst[3*i+1], dst[3*i+2] = v, v, v
			}
		}
	case *image.NRGBA:
		return func(dst []uint8, y, x0, x1 int) {
			src := m.Pix[m.PixOffset(x0, y):]
			for i := range x1 - x0 {
				copy(dst[3*i:3*i+3], src[4*i:4*i+3])
			}
		}
	case *image.NRGBA64:
		return func(dst []uint8, y, x0, x1 int) {
			src := m.Pix[m.PixOffset(x0, y):]
			for i := range x1 - x0 {
				dst[3*i], dst[3*i+1], dst[3*i+2] = src[8*i], src[8*i+2], src[8*i+4]
			}
		}
	case *image.RGBA:
		return func(dst []uint8, y, x0, x1 int) {
			src := m.Pix[m.PixOffset(x0, y):]
			for i := range x1 - x0 {
				if src[4*i+3] == 0xff {
					copy(dst[3*i:3*i+3], src[4*i:4*i+3])
				} else {
					setNRGBA(dst[3*i:], m.At(x0+i, y))
				}
			}
		}
	case *image.RGBA64:
		return func(dst []uint8, y, x0, x1 int) {
			src := m.Pix[m.PixOffset(x0, y):]
			for i := range x1 - x0 {
				if src[8*i+6] == 0xff && src[8*i+7] == 0xff {
					dst[3*i], dst[3*i+1], dst[3*i+2] = src[8*i], src[8*i+2], src[8*i+4]
				} else {
					c := color.NRGBA64Model.Convert(m.At(x0+i, y)).(color.NRGBA64)
					dst[3*i], dst[3*i+1], dst[3*i+2] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8)
				}
			}
		}
	case *image.Paletted:
		var lut [256][3]uint8
		for i := range lut {
			if i < len(m.Palette) {
				setNRGBA(lut[i][:], m.Palette[i])
			} else {
				lut[i] = [3]uint8{uint8(i), uint8(i), uint8(i)}
			}
		}
		return func(dst []uint8, y, x0, x1 int) {
			for i, p := range m.Pix[m.PixOffset(x0, y):][:x1-x0] {
				copy(dst[3*i:3*i+3], lut[p][:])
			}
		}
	case *image.CMYK:
		return func(dst []uint8, y, x0, x1 int) {
			src := m.Pix[m.PixOffset(x0, y):]
			for i := range x1 - x0 {
				c := src[4*i : 4*i+4]
				nk := 255 - int32(c[3])
				for j := range 3 {
					dst[3*i+j] = uint8(nk - mulDiv255(int32(c[j]), nk))
				}
			}
		}
	case *image.YCbCr:
		return ycbcrRows(m)
	}
	return func(dst []uint8, y, x0, x1 int) {
		for i := range x1 - x0 {
			setNRGBA(dst[3*i:], img.At(x0+i, y))
		}
	}
}

// setNRGBA writes c's colour without its alpha to dst[:3].
func setNRGBA(dst []uint8, c color.Color) {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	dst[0], dst[1], dst[2] = n.R, n.G, n.B
}

// mulDiv255 is round(a·b/255) for a, b in [0, 255], as PIL's MULDIV255.
func mulDiv255(a, b int32) int32 {
	t := a*b + 128
	return (t>>8 + t) >> 8
}

// ycbcrRows reads a YCbCr image as libjpeg turns a JPEG's planes into RGB
// for PIL: chroma upsampled as jdsample.c does by default (the triangle
// filter, ¾ of the nearer sample and ¼ of the next, for 2:1 horizontal,
// vertical or both, except that 2:1 horizontal on planes two samples wide
// or less, and 4:1, repeat samples), then jdcolor.c's YCbCr→RGB.
func ycbcrRows(m *image.YCbCr) rowFunc {
	hs, vs := 1, 1 // luma samples per chroma sample
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	r := m.Rect
	// The chroma samples that cover r, in absolute chroma coordinates.
	c := image.Rect(r.Min.X/hs, r.Min.Y/vs, (r.Max.X-1)/hs+1, (r.Max.Y-1)/vs+1)
	fancyH := hs == 2 && c.Dx() > 2
	fancyV := vs == 2 && (hs == 1 || fancyH)
	// Absolute chroma coordinates → index into Cb and Cr.
	cIndex := func(cx, cy int) int { return (cy-c.Min.Y)*m.CStride + cx - c.Min.X }
	var cb, cr []uint8
	var cbSum, crSum []int32
	return func(dst []uint8, y, x0, x1 int) {
		n := x1 - x0
		cb, cr = grow(cb, n), grow(cr, n)
		cy := y / vs
		// The nearer and the further chroma row, and the rounding bias of
		// the vertical filter, which differs for the upper output row.
		near, far, bias := cy, cy, int32(0)
		if fancyV {
			if y%2 == 0 {
				far, bias = max(cy-1, c.Min.Y), 1
			} else {
				far, bias = min(cy+1, c.Max.Y-1), 2
			}
		}
		switch {
		case fancyH:
			// Column sums (vertical filter, ×4 if it applies) of the chroma
			// columns x0/2−1 … (x1−1)/2+1 that exist.
			lo, hi := max(x0/2-1, c.Min.X), min((x1-1)/2+2, c.Max.X)
			cbSum, crSum = grow(cbSum, hi-lo), grow(crSum, hi-lo)
			for cx := lo; cx < hi; cx++ {
				i, j := cIndex(cx, near), cIndex(cx, far)
				if fancyV {
					cbSum[cx-lo] = 3*int32(m.Cb[i]) + int32(m.Cb[j])
					crSum[cx-lo] = 3*int32(m.Cr[i]) + int32(m.Cr[j])
				} else {
					cbSum[cx-lo], crSum[cx-lo] = int32(m.Cb[i]), int32(m.Cr[i])
				}
			}
			shift, rEven, rOdd := int32(2), int32(1), int32(2) // h2v1_fancy_upsample
			if fancyV {
				shift, rEven, rOdd = 4, 8, 7 // h2v2_fancy_upsample
			}
			// At the first and last column the further sample is the
			// nearer one, which makes h2v1's edge pixels copies.
			at := func(sum []int32, x int) uint8 {
				cx := x / 2
				this, other, rnd := sum[cx-lo], sum[cx-lo], rEven
				if x%2 == 0 && cx > c.Min.X {
					other = sum[cx-1-lo]
				} else if x%2 == 1 {
					rnd = rOdd
					if cx < c.Max.X-1 {
						other = sum[cx+1-lo]
					}
				}
				return uint8((3*this + other + rnd) >> shift)
			}
			for i := range n {
				cb[i], cr[i] = at(cbSum, x0+i), at(crSum, x0+i)
			}
		case fancyV: // h1v2_fancy_upsample
			for i := range n {
				a, b := cIndex(x0+i, near), cIndex(x0+i, far)
				cb[i] = uint8((3*int32(m.Cb[a]) + int32(m.Cb[b]) + bias) >> 2)
				cr[i] = uint8((3*int32(m.Cr[a]) + int32(m.Cr[b]) + bias) >> 2)
			}
		default: // 4:4:4, or samples repeated
			for i := range n {
				j := cIndex((x0+i)/hs, cy)
				cb[i], cr[i] = m.Cb[j], m.Cr[j]
			}
		}
		ys := m.Y[m.YOffset(x0, y):]
		for i := range n {
			yv := int32(ys[i])
			dst[3*i] = clip8(yv + ycc.crR[cr[i]])
			dst[3*i+1] = clip8(yv + (ycc.cbG[cb[i]]+ycc.crG[cr[i]])>>16)
			dst[3*i+2] = clip8(yv + ycc.cbB[cb[i]])
		}
	}
}

// ycc holds jdcolor.c's build_ycc_rgb_table: 16-bit fixed point, rounded.
var ycc = func() (t struct{ crR, cbB, crG, cbG [256]int32 }) {
	fix := func(x float64) int32 { return int32(x*(1<<16) + 0.5) }
	for i := range 256 {
		x := int32(i) - 128
		t.crR[i] = (fix(1.40200)*x + 1<<15) >> 16
		t.cbB[i] = (fix(1.77200)*x + 1<<15) >> 16
		t.crG[i] = -fix(0.71414) * x
		t.cbG[i] = -fix(0.34414)*x + 1<<15
	}
	return t
}()

func clip8(v int32) uint8 { return uint8(min(max(v, 0), 255)) }

// grow returns s resized to n, reusing its storage.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

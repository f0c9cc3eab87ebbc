// Package imagenet turns images into the normalised input tensors ImageNet
// classifiers expect, the way torchvision's and timm's evaluation
// transforms do: resize the shorter side to floor(Size / CropPct), crop the
// centre Size×Size, scale to [0, 1], and normalise each channel with the
// ImageNet mean and standard deviation. Caffe's models (Caffe) read the
// channels as BGR values 0–255 less a mean pixel instead.
//
// Resizing is written here (no golang.org/x/image): it reproduces PyTorch's
// torch.nn.functional.interpolate with align_corners=False, both with
// antialias=True (the default, which is what torchvision's Resize does on
// tensors and closely what PIL does on images: the filter widens by the
// downscaling factor) and with antialias=False (plain bilinear or bicubic
// interpolation between the nearest source pixels). It works on float
// pixels; PIL additionally rounds to 8 bits between its horizontal and
// vertical passes, a difference of at most about 1/255 per pixel.
//
// Decoding assumes a file may be hostile: a Decoder refuses, from the header,
// an image above its pixel budget (a decompression bomb), bounds what it
// reads and allocates, and gives one-line errors for truncated and corrupt
// files. What it decodes is turned into RGB as PIL's Image.convert("RGB")
// does, for every mode a PNG or JPEG opens as, since that is what
// torchvision's transform receives.
package imagenet

import (
	"fmt"
	"image"
	"math"
	"os"
	"strings"
)

// Interp is a resampling filter.
type Interp int

const (
	Bilinear Interp = iota
	Bicubic
)

func (i Interp) String() string {
	if i == Bicubic {
		return "bicubic"
	}
	return "bilinear"
}

// ParseInterp parses "bilinear" or "bicubic".
func ParseInterp(s string) (Interp, error) {
	switch s {
	case "bilinear":
		return Bilinear, nil
	case "bicubic":
		return Bicubic, nil
	}
	return 0, fmt.Errorf("imagenet: unknown interpolation %q; want bilinear or bicubic", s)
}

// CropMode is how the image is brought to the network's square input,
// as timm's eval transform's crop_mode names it.
type CropMode int

const (
	// Center resizes the shorter side to ResizeSide and crops the centre
	// square: the aspect ratio is kept and the edges of the longer side
	// are lost.
	Center CropMode = iota
	// Squash resizes both sides to ResizeSide, changing the aspect ratio,
	// and crops the centre square.
	Squash
	// Border resizes the longer side to ResizeSide, keeping the aspect
	// ratio, and pads the shorter side with the mean colour (rounded to
	// 8 bits, as timm fills it) before cropping the centre square: no part
	// of the image is lost when CropPct is 1.
	Border
)

func (m CropMode) String() string {
	switch m {
	case Squash:
		return "squash"
	case Border:
		return "border"
	}
	return "center"
}

// ParseCropMode parses "center", "squash" or "border".
func ParseCropMode(s string) (CropMode, error) {
	for _, m := range []CropMode{Center, Squash, Border} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("imagenet: unknown crop mode %q; want center, squash or border", s)
}

// The ImageNet channel statistics (RGB) every torchvision and most timm
// models are trained with.
var (
	Mean = [3]float32{0.485, 0.456, 0.406}
	Std  = [3]float32{0.229, 0.224, 0.225}
)

// Config is an evaluation recipe.
type Config struct {
	Size      int     // side of the square crop fed to the network
	CropPct   float64 // Size / resize side; 0.875 resizes to 256 for 224
	Interp    Interp
	Antialias bool // widen the filter when downscaling (see the package doc)
	// Scale multiplies the pixel values, which start in [0, 1], before
	// Mean and Std apply: 1 in torchvision's recipe (0 means 1 too), 255 in
	// Caffe's.
	Scale float32
	// BGR writes the channels in blue, green, red order, as Caffe models
	// read them; Mean and Std are in the order written.
	BGR       bool
	Mean, Std [3]float32
	Crop      CropMode // Center unless set
}

// Default returns torchvision's classic recipe: shorter side to 256 with
// antialiased bilinear interpolation, centre crop 224, ImageNet statistics.
func Default() Config {
	return Config{Size: 224, CropPct: 0.875, Interp: Bilinear, Antialias: true, Mean: Mean, Std: Std}
}

// CaffeMean is the BGR mean pixel (0–255) the original Caffe ImageNet models,
// the SENet release's among them, subtract.
var CaffeMean = [3]float32{104, 117, 123}

// Caffe returns Default's resize and crop with the Caffe models' input:
// BGR, values 0–255 less CaffeMean, no division by a standard deviation.
func Caffe() Config {
	c := Default()
	c.Scale, c.BGR, c.Mean, c.Std = 255, true, CaffeMean, [3]float32{1, 1, 1}
	return c
}

// ResizeSide returns the length the shorter image side is resized to:
// floor(Size / CropPct), as timm computes it.
func (c Config) ResizeSide() int {
	return int(math.Floor(float64(c.Size) / c.CropPct))
}

// MaxSize bounds the crop side: four times the largest evaluation size of
// timm's ImageNet classifiers, and a network's activations for one such
// image already take gigabytes.
const MaxSize = 2048

// MaxResizeSide bounds the side an image is resized to (floor(Size /
// CropPct)), which a tiny crop fraction would make arbitrarily large.
const MaxResizeSide = 1 << 16

// Check reports whether c is usable.
func (c Config) Check() error {
	switch {
	case c.Size < 1 || c.Size > MaxSize:
		return fmt.Errorf("imagenet: crop size %d must be between 1 and %d", c.Size, MaxSize)
	case !(c.CropPct > 0 && c.CropPct <= 1):
		return fmt.Errorf("imagenet: crop fraction %g must be in (0, 1]", c.CropPct)
	case float64(c.Size)/c.CropPct >= MaxResizeSide+1:
		return fmt.Errorf("imagenet: crop fraction %g resizes to more than %d pixels a side (floor(%d / %g)); want at least %.2g",
			c.CropPct, MaxResizeSide, c.Size, c.CropPct, float64(c.Size)/MaxResizeSide)
	case c.Interp != Bilinear && c.Interp != Bicubic:
		return fmt.Errorf("imagenet: unknown interpolation %d", int(c.Interp))
	case c.Crop != Center && c.Crop != Squash && c.Crop != Border:
		return fmt.Errorf("imagenet: unknown crop mode %d", int(c.Crop))
	case !(c.Scale >= 0):
		return fmt.Errorf("imagenet: pixel scale %g must not be negative", c.Scale)
	}
	for _, s := range c.Std {
		if s == 0 {
			return fmt.Errorf("imagenet: zero standard deviation")
		}
	}
	return nil
}

// Preprocess applies c to img and writes the result, 3×Size×Size values
// in CHW order (one sample of an NCHW batch), to dst. The pixels are first
// read as 8-bit RGB the way PIL's Image.convert("RGB") does (see rgbRows),
// which is what torchvision's transform receives.
//
// Only the part of the resized image that the crop keeps is computed, from
// the source rows and columns it reads: the same values as resizing
// everything and cropping, in memory that does not grow with the image's
// length, so a 64×1000000 image costs no more than a 64×300 one.
func Preprocess(dst []float32, img image.Image, c Config) error {
	if err := c.Check(); err != nil {
		return err
	}
	if len(dst) != 3*c.Size*c.Size {
		return fmt.Errorf("imagenet: output of %d values for a 3×%d×%d crop", len(dst), c.Size, c.Size)
	}
	scale := c.Scale
	if scale == 0 {
		scale = 1
	}
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	if h == 0 || w == 0 {
		return fmt.Errorf("imagenet: empty image")
	}
	side := c.ResizeSide()
	var rh, rw int
	switch c.Crop {
	case Center:
		rh, rw = resizedSize(h, w, side)
	case Squash:
		rh, rw = side, side
	case Border:
		rh, rw = fittedSize(h, w, side)
	}
	// The crop's rows and columns that lie inside the resized image: all
	// of them except where Border pads.
	s := c.Size
	top, left := cropOffset(rh, s), cropOffset(rw, s)
	cy0, cy1 := max(top, 0), min(top+s, rh)
	cx0, cx1 := max(left, 0), min(left+s, rw)
	cols := taps(w, rw, cx0, cx1, c.Interp, c.Antialias)
	rows := taps(h, rh, cy0, cy1, c.Interp, c.Antialias)
	x0, x1 := span(cols)
	y0, y1 := span(rows)
	if cy1-cy0 < s || cx1-cx0 < s {
		for ch := range 3 {
			// timm pads with round(255·mean) in 8-bit pixels, before ToTensor.
			mean := float64(c.Mean[ch] / scale) // in [0, 1]
			fill := (unit[int(min(max(math.RoundToEven(255*mean), 0), 255))]*scale - c.Mean[ch]) / c.Std[ch]
			for i := range dst[ch*s*s : (ch+1)*s*s] {
				dst[ch*s*s+i] = fill
			}
		}
	}

	// Horizontal pass over the source rows the crop reads: 3 planes of
	// (y1−y0) rows × (cx1−cx0).
	nr, nc := y1-y0, cx1-cx0
	tmp := make([]float32, 3*nr*nc)
	row := make([]uint8, 3*(x1-x0))
	read := rgbRows(img)
	for y := y0; y < y1; y++ {
		read(row, b.Min.Y+y, b.Min.X+x0, b.Min.X+x1)
		for ch := range 3 {
			out := tmp[(ch*nr+y-y0)*nc:][:nc]
			for x, t := range cols {
				var sum float64
				for k, wt := range t.weights {
					sum += wt * float64(unit[row[3*(t.start-x0+k)+ch]])
				}
				out[x] = float32(sum)
			}
		}
	}
	// Vertical pass, a weighted sum of whole rows, then normalisation.
	acc := make([]float64, nc)
	for ch := range 3 { // the source's R, G, B
		o := ch // the channel written
		if c.BGR {
			o = 2 - ch
		}
		for y, t := range rows {
			clear(acc)
			for k, wt := range t.weights {
				for x, v := range tmp[(ch*nr+t.start-y0+k)*nc:][:nc] {
					acc[x] += wt * float64(v)
				}
			}
			out := dst[(o*s+cy0-top+y)*s+cx0-left:][:nc]
			for x, v := range acc {
				out[x] = (float32(v)*scale - c.Mean[o]) / c.Std[o]
			}
		}
	}
	return nil
}

// unit maps 8-bit values onto [0, 1] as torchvision's ToTensor does.
var unit = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// cropOffset returns where, along an axis of n resized pixels, the centre
// crop of size pixels starts: torchvision's CenterCrop offset
// int(round((n − size) / 2)) with Python's rounding half to even, or, when
// the axis is shorter than the crop, minus the padding timm's
// CenterCropOrPad puts before it, (size − n) // 2.
func cropOffset(n, size int) int {
	if n < size {
		return -((size - n) / 2)
	}
	return int(math.RoundToEven(float64(n-size) / 2))
}

// fittedSize returns the size timm's ResizeKeepRatio(side, longest=1)
// gives an h×w image: the longer side becomes side, the other keeps the
// aspect ratio, both rounded half to even as Python's round does.
// A side that would round to nothing keeps one pixel.
func fittedSize(h, w, side int) (rh, rw int) {
	ratio := max(float64(h)/float64(side), float64(w)/float64(side))
	return max(int(math.RoundToEven(float64(h)/ratio)), 1), max(int(math.RoundToEven(float64(w)/ratio)), 1)
}

// resizedSize returns the size torchvision's Resize(side) gives an h×w
// image: the shorter side becomes side, the longer int(side·long/short).
func resizedSize(h, w, side int) (rh, rw int) {
	if w <= h {
		return int(float64(side*h) / float64(w)), side
	}
	return side, int(float64(side*w) / float64(h))
}

// LoadLabels reads class names, one a line (a trailing empty line is
// ignored).
func LoadLabels(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimRight(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	return strings.Split(s, "\n"), nil
}

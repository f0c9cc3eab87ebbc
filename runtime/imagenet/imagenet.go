// Package imagenet turns images into the normalised input tensors ImageNet
// classifiers expect, the way torchvision's and timm's evaluation
// transforms do: resize the shorter side to floor(Size / CropPct), crop the
// centre Size×Size, scale to [0, 1], and normalise each channel with the
// ImageNet mean and standard deviation.
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
	Mean, Std [3]float32
}

// Default returns torchvision's classic recipe: shorter side to 256 with
// antialiased bilinear interpolation, centre crop 224, ImageNet statistics.
func Default() Config {
	return Config{Size: 224, CropPct: 0.875, Interp: Bilinear, Antialias: true, Mean: Mean, Std: Std}
}

// ResizeSide returns the length the shorter image side is resized to:
// floor(Size / CropPct), as timm computes it.
func (c Config) ResizeSide() int {
	return int(math.Floor(float64(c.Size) / c.CropPct))
}

// Check reports whether c is usable.
func (c Config) Check() error {
	switch {
	case c.Size < 1:
		return fmt.Errorf("imagenet: crop size %d must be positive", c.Size)
	case !(c.CropPct > 0 && c.CropPct <= 1):
		return fmt.Errorf("imagenet: crop fraction %g must be in (0, 1]", c.CropPct)
	case c.Interp != Bilinear && c.Interp != Bicubic:
		return fmt.Errorf("imagenet: unknown interpolation %d", int(c.Interp))
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
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	if h == 0 || w == 0 {
		return fmt.Errorf("imagenet: empty image")
	}
	rh, rw := resizedSize(h, w, c.ResizeSide())
	// torchvision's CenterCrop: offsets int(round((side − crop) / 2)),
	// Python rounding half to even. CropPct ≤ 1 keeps the crop inside.
	top := int(math.RoundToEven(float64(rh-c.Size) / 2))
	left := int(math.RoundToEven(float64(rw-c.Size) / 2))
	cols := taps(w, rw, left, left+c.Size, c.Interp, c.Antialias)
	rows := taps(h, rh, top, top+c.Size, c.Interp, c.Antialias)
	x0, x1 := span(cols)
	y0, y1 := span(rows)

	// Horizontal pass over the source rows the crop reads: 3 planes of
	// (y1−y0) rows × Size.
	nr, s := y1-y0, c.Size
	tmp := make([]float32, 3*nr*s)
	row := make([]uint8, 3*(x1-x0))
	read := rgbRows(img)
	for y := y0; y < y1; y++ {
		read(row, b.Min.Y+y, b.Min.X+x0, b.Min.X+x1)
		for ch := range 3 {
			out := tmp[(ch*nr+y-y0)*s:][:s]
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
	acc := make([]float64, s)
	for ch := range 3 {
		for y, t := range rows {
			clear(acc)
			for k, wt := range t.weights {
				for x, v := range tmp[(ch*nr+t.start-y0+k)*s:][:s] {
					acc[x] += wt * float64(v)
				}
			}
			out := dst[(ch*s+y)*s:][:s]
			for x, v := range acc {
				out[x] = (float32(v) - c.Mean[ch]) / c.Std[ch]
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

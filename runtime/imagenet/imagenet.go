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
package imagenet

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // register the decoders Decode uses
	_ "image/png"
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

// Decode reads a JPEG or PNG image file.
func Decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("imagenet: %s: %w", path, err)
	}
	return img, nil
}

// Check reports whether path is an image Decode can read, from its header
// alone.
func Check(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, err := image.DecodeConfig(bufio.NewReader(f)); err != nil {
		return fmt.Errorf("imagenet: %s: %w", path, err)
	}
	return nil
}

// Preprocess applies c to img and writes the result, 3×Size×Size values
// in CHW order (one sample of an NCHW batch), to dst.
func Preprocess(dst []float32, img image.Image, c Config) error {
	if err := c.Check(); err != nil {
		return err
	}
	if len(dst) != 3*c.Size*c.Size {
		return fmt.Errorf("imagenet: output of %d values for a 3×%d×%d crop", len(dst), c.Size, c.Size)
	}
	pix, h, w := planes(img)
	if h == 0 || w == 0 {
		return fmt.Errorf("imagenet: empty image")
	}
	rh, rw := resizedSize(h, w, c.ResizeSide())
	resized := Resize(pix, 3, h, w, rh, rw, c.Interp, c.Antialias)
	// torchvision's CenterCrop: offsets int(round((side − crop) / 2)),
	// Python rounding half to even. CropPct ≤ 1 keeps the crop inside.
	top := int(math.RoundToEven(float64(rh-c.Size) / 2))
	left := int(math.RoundToEven(float64(rw-c.Size) / 2))
	for ch := range 3 {
		for y := range c.Size {
			src := resized[(ch*rh+top+y)*rw+left:][:c.Size]
			out := dst[(ch*c.Size+y)*c.Size:][:c.Size]
			for x, v := range src {
				out[x] = (v - c.Mean[ch]) / c.Std[ch]
			}
		}
	}
	return nil
}

// resizedSize returns the size torchvision's Resize(side) gives an h×w
// image: the shorter side becomes side, the longer int(side·long/short).
func resizedSize(h, w, side int) (rh, rw int) {
	if w <= h {
		return int(float64(side*h) / float64(w)), side
	}
	return side, int(float64(side*w) / float64(h))
}

// planes returns img's RGB values scaled to [0, 1] as three h×w planes.
// Alpha is dropped, not composited, as PIL's convert("RGB") does.
func planes(img image.Image) (pix []float32, h, w int) {
	b := img.Bounds()
	h, w = b.Dy(), b.Dx()
	pix = make([]float32, 3*h*w)
	r, g, bl := pix[:h*w], pix[h*w:2*h*w], pix[2*h*w:]
	set := func(i int, cr, cg, cb uint8) {
		r[i], g[i], bl[i] = float32(cr)/255, float32(cg)/255, float32(cb)/255
	}
	switch im := img.(type) {
	case *image.YCbCr: // JPEG's usual decoding: skip the interface per pixel
		for y := range h {
			for x := range w {
				yi, ci := im.YOffset(b.Min.X+x, b.Min.Y+y), im.COffset(b.Min.X+x, b.Min.Y+y)
				cr, cg, cb := color.YCbCrToRGB(im.Y[yi], im.Cb[ci], im.Cr[ci])
				set(y*w+x, cr, cg, cb)
			}
		}
	default:
		for y := range h {
			for x := range w {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				set(y*w+x, c.R, c.G, c.B)
			}
		}
	}
	return pix, h, w
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

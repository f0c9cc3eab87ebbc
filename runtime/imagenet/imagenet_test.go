package imagenet

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/safetensors"
)

// synthetic is tools/resnet_fixtures.py's image_pixels as an image.
func synthetic(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := func(c int) uint8 { return uint8((x*7 + y*13 + c*50 + x*y*3) % 256) }
			img.SetNRGBA(x, y, color.NRGBA{v(0), v(1), v(2), 255})
		}
	}
	return img
}

// TestPreprocessMatchesPyTorch compares every recipe on every synthetic
// image with torchvision's transform computed by PyTorch.
func TestPreprocessMatchesPyTorch(t *testing.T) {
	var recipes []recipe
	for _, r := range []struct {
		size    int
		cropPct float64
		interp  Interp
		aa      bool
	}{
		{24, 0.875, Bilinear, true},
		{24, 0.875, Bilinear, false},
		{24, 0.875, Bicubic, true},
		{24, 0.875, Bicubic, false},
		{24, 0.95, Bicubic, true},
	} {
		c := Default()
		c.Size, c.CropPct, c.Interp, c.Antialias = r.size, r.cropPct, r.interp, r.aa
		recipes = append(recipes, recipe{fmt.Sprintf("s%d_c%g_%s_aa%d", r.size, r.cropPct, r.interp, map[bool]int{false: 0, true: 1}[r.aa]), c})
	}
	matchFixture(t, "../../testdata/resnet/preprocess.safetensors", recipes)
}

// recipe is a configuration of Preprocess and the name the fixtures give
// it after the image's size ("s24_c0.875_bilinear_aa1").
type recipe struct {
	name string
	c    Config
}

// matchFixture runs Preprocess with every recipe on every synthetic image
// and compares the result with the fixture's tensor "<w>x<h>_<recipe>"
// (the fixture scripts' names); the fixture must hold nothing else.
func matchFixture(t *testing.T, path string, recipes []recipe) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, wh := range [][2]int{{53, 41}, {29, 47}, {13, 17}} {
		img := synthetic(wh[0], wh[1])
		for _, r := range recipes {
			name := fmt.Sprintf("%dx%d_%s", wh[0], wh[1], r.name)
			n++
			t.Run(name, func(t *testing.T) {
				ref, ok := f.Lookup(name)
				if !ok {
					t.Fatalf("no tensor %q in the fixture", name)
				}
				want, err := ref.Float32s()
				if err != nil {
					t.Fatal(err)
				}
				got := make([]float32, 3*r.c.Size*r.c.Size)
				if err := Preprocess(got, img, r.c); err != nil {
					t.Fatal(err)
				}
				var diff float64
				for i := range want {
					diff = max(diff, math.Abs(float64(got[i]-want[i])))
				}
				// Normalised values span about ±2.6; PyTorch computes the
				// filter weights in float32.
				t.Logf("max |Δ| = %.3g", diff)
				if diff > 1e-4 {
					t.Errorf("max |Δ| = %.3g", diff)
				}
			})
		}
	}
	if n != len(f.Tensors) {
		t.Errorf("tested %d recipes, the fixture has %d", n, len(f.Tensors))
	}
}

func TestResizeIdentity(t *testing.T) {
	src := make([]float32, 2*5*7)
	for i := range src {
		src[i] = float32(i)
	}
	for _, interp := range []Interp{Bilinear, Bicubic} {
		for _, aa := range []bool{false, true} {
			got := Resize(src, 2, 5, 7, 5, 7, interp, aa)
			for i := range src {
				if math.Abs(float64(got[i]-src[i])) > 1e-5 {
					t.Fatalf("%v aa=%v: same-size resize changed [%d] %v → %v", interp, aa, i, src[i], got[i])
				}
			}
		}
	}
}

func TestConfig(t *testing.T) {
	if got := Default().ResizeSide(); got != 256 {
		t.Errorf("default resize side %d, want 256", got)
	}
	c := Default()
	c.CropPct = 0.95
	if got := c.ResizeSide(); got != 235 {
		t.Errorf("224 at crop 0.95: resize side %d, want 235 (timm)", got)
	}
	for _, bad := range []Config{{Size: 0, CropPct: 0.9}, {Size: 224, CropPct: 1.2}, {Size: 224, CropPct: 0},
		{Size: MaxSize + 1, CropPct: 1}, {Size: 224, CropPct: 1e-300}, {Size: 224, CropPct: 224.0 / (MaxResizeSide + 1)}} {
		bad.Std = Std
		if err := bad.Check(); err == nil {
			t.Errorf("Check accepted %+v", bad)
		}
		if err := Preprocess(make([]float32, 3*max(bad.Size, 0)*max(bad.Size, 0)), image.NewGray(image.Rect(0, 0, 2, 2)), bad); err == nil {
			t.Errorf("Preprocess accepted %+v", bad)
		}
	}
	c = Config{Size: MaxSize, CropPct: float64(MaxSize) / MaxResizeSide, Std: Std}
	if err := c.Check(); err != nil || c.ResizeSide() != MaxResizeSide {
		t.Errorf("the largest sizes: %v, resize side %d", err, c.ResizeSide())
	}
	if _, err := ParseInterp("nearest"); err == nil {
		t.Error("ParseInterp accepted nearest")
	}
	if rh, rw := resizedSize(375, 500, 256); rh != 256 || rw != 341 {
		t.Errorf("500×375 → %d×%d, want 341×256", rw, rh)
	}
}

// preprocessWhole is Preprocess done the plain way: the whole image to
// float planes, resized whole, then cropped.
func preprocessWhole(img image.Image, c Config) []float32 {
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	rgb := rgbBytes(img)
	pix := make([]float32, 3*h*w)
	for i := range h * w {
		for ch := range 3 {
			pix[ch*h*w+i] = float32(rgb[3*i+ch]) / 255
		}
	}
	rh, rw := resizedSize(h, w, c.ResizeSide())
	resized := Resize(pix, 3, h, w, rh, rw, c.Interp, c.Antialias)
	top := int(math.RoundToEven(float64(rh-c.Size) / 2))
	left := int(math.RoundToEven(float64(rw-c.Size) / 2))
	out := make([]float32, 3*c.Size*c.Size)
	for ch := range 3 {
		for y := range c.Size {
			for x := range c.Size {
				out[(ch*c.Size+y)*c.Size+x] = (resized[(ch*rh+top+y)*rw+left+x] - c.Mean[ch]) / c.Std[ch]
			}
		}
	}
	return out
}

// TestPreprocessCropOnly checks that resizing only what the crop keeps
// gives the same values, bit for bit, as resizing everything, on shapes
// from a pixel to extreme aspect ratios, up- and downscaling.
func TestPreprocessCropOnly(t *testing.T) {
	shapes := [][2]int{{1, 1}, {1, 40}, {40, 1}, {3, 700}, {700, 3}, {13, 17}, {53, 41}, {9, 9}, {300, 220}}
	for _, wh := range shapes {
		img := synthetic(wh[0], wh[1])
		for _, interp := range []Interp{Bilinear, Bicubic} {
			for _, aa := range []bool{false, true} {
				for _, crop := range []float64{0.875, 1} {
					c := Default()
					c.Size, c.CropPct, c.Interp, c.Antialias = 12, crop, interp, aa
					got := make([]float32, 3*c.Size*c.Size)
					if err := Preprocess(got, img, c); err != nil {
						t.Fatal(err)
					}
					want := preprocessWhole(img, c)
					for i := range want {
						if got[i] != want[i] {
							t.Fatalf("%dx%d %v aa=%v crop %g: [%d] = %v, resizing everything gives %v", wh[0], wh[1], interp, aa, crop, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestPreprocessMemory checks that a very long image costs memory for the
// crop, not for its length: 8×1000000 pixels resize to 224×28000000, of
// which the 224×224 crop reads a few source columns.
func TestPreprocessMemory(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 1000000, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	dst := make([]float32, 3*224*224)
	before := allocated()
	if err := Preprocess(dst, img, Default()); err != nil {
		t.Fatal(err)
	}
	if grown := allocated() - before; grown > 1<<20 {
		t.Errorf("Preprocess allocated %d bytes", grown)
	}
}

// TestCropModesMatchTimm compares timm's squash and border crop modes
// (tools/hub_fixtures.py) on every synthetic image with Preprocess.
func TestCropModesMatchTimm(t *testing.T) {
	var recipes []recipe
	for _, r := range []struct {
		size    int
		cropPct float64
		interp  Interp
		mode    CropMode
	}{
		{24, 0.875, Bilinear, Squash},
		{24, 1.0, Bicubic, Squash},
		{24, 0.875, Bilinear, Border},
		{24, 1.0, Bicubic, Border},
	} {
		c := Default()
		c.Size, c.CropPct, c.Interp, c.Crop = r.size, r.cropPct, r.interp, r.mode
		recipes = append(recipes, recipe{fmt.Sprintf("s%d_c%g_%s_%s", r.size, r.cropPct, r.interp, r.mode), c})
	}
	matchFixture(t, "../../testdata/hub/crop_modes.safetensors", recipes)
}

func TestParseCropMode(t *testing.T) {
	for _, m := range []CropMode{Center, Squash, Border} {
		if got, err := ParseCropMode(m.String()); err != nil || got != m {
			t.Errorf("%v: got %v, %v", m, got, err)
		}
	}
	if _, err := ParseCropMode("random"); err == nil || !strings.Contains(err.Error(), "want center, squash or border") {
		t.Errorf("got %v", err)
	}
	c := Default()
	c.Crop = 7
	if err := c.Check(); err == nil {
		t.Error("crop mode 7 accepted")
	}
}

// TestCropModesExtremeShapes runs every crop mode on images far from
// square, where border pads almost everything and its shorter side rounds
// to under a pixel.
func TestCropModesExtremeShapes(t *testing.T) {
	for _, wh := range [][2]int{{1, 1}, {1, 900}, {900, 1}, {3, 2}} {
		for _, mode := range []CropMode{Center, Squash, Border} {
			c := Default()
			c.Size, c.CropPct, c.Crop = 16, 1, mode
			dst := make([]float32, 3*16*16)
			if err := Preprocess(dst, synthetic(wh[0], wh[1]), c); err != nil {
				t.Fatalf("%v %v: %v", wh, mode, err)
			}
			for i, v := range dst {
				if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 3 {
					t.Fatalf("%v %v: [%d] = %v", wh, mode, i, v)
				}
			}
		}
	}
}

// TestCaffe checks the Caffe recipe against the default one on the same
// image: the same resized pixels, in BGR order, scaled to 0–255, less the
// mean pixel, not divided by anything.
func TestCaffe(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 37, 29))
	for y := range 29 {
		for x := range 37 {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 7), uint8(y * 9), uint8(x*y + 40), 255})
		}
	}
	def, caffe := Default(), Caffe()
	def.Size, caffe.Size = 16, 16
	a, b := make([]float32, 3*16*16), make([]float32, 3*16*16)
	if err := Preprocess(a, img, def); err != nil {
		t.Fatal(err)
	}
	if err := Preprocess(b, img, caffe); err != nil {
		t.Fatal(err)
	}
	plane := 16 * 16
	for ch := range 3 {
		rgb := 2 - ch
		for i := range plane {
			pixel := float64(a[rgb*plane+i])*float64(Std[rgb]) + float64(Mean[rgb]) // in [0, 1]
			want := pixel*255 - float64(CaffeMean[ch])
			if got := float64(b[ch*plane+i]); math.Abs(got-want) > 1e-3 {
				t.Fatalf("channel %d (BGR) pixel %d = %v, want %v", ch, i, got, want)
			}
		}
	}
	bad := Caffe()
	bad.Scale = -1
	if err := bad.Check(); err == nil {
		t.Error("Check accepted a negative pixel scale")
	}
}

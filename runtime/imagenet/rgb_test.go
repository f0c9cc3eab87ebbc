package imagenet

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const fixtures = "../../testdata/imagenet"

// rgbBytes reads all of img as RGB bytes, row by row.
func rgbBytes(img image.Image) []byte {
	b := img.Bounds()
	out := make([]byte, 3*b.Dx()*b.Dy())
	read := rgbRows(img)
	for y := range b.Dy() {
		read(out[3*y*b.Dx():], b.Min.Y+y, b.Min.X, b.Max.X)
	}
	return out
}

// maxDiff returns the largest |a[i] − b[i]| and how many bytes differ.
func maxDiff(a, b []byte) (worst, n int) {
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d != 0 {
			n++
		}
		worst = max(worst, d, -d)
	}
	return worst, n
}

// jpegTolerance is how far Go's JPEG decoding may be from PIL's, in 8-bit
// levels, on the fixtures with ordinary content. Go's image/jpeg and
// libjpeg-turbo compute the inverse DCT differently: luma and chroma
// samples differ by at most 1, which the YCbCr → RGB conversion turns into
// at most 3 in a channel (CMYK: the same through four channels and the
// product with black). The conversion itself is tested exactly: on the
// *_tiles fixtures (flat blocks, which both IDCTs decode alike) and on
// PIL's own CMYK values.
const jpegTolerance = 4

// TestRGBMatchesPIL decodes every fixture made by tools/image_fixtures.py
// and compares its RGB bytes with PIL's convert("RGB"): exactly for PNG and
// the JPEG tiles, within jpegTolerance for the other JPEGs.
func TestRGBMatchesPIL(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(fixtures, "*.rgb"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	if len(names) < 30 {
		t.Fatalf("%d fixtures in %s; run tools/image_fixtures.py", len(names), fixtures)
	}
	for _, want := range names {
		stem := strings.TrimSuffix(filepath.Base(want), ".rgb")
		t.Run(stem, func(t *testing.T) {
			path := filepath.Join(fixtures, stem+".png")
			if strings.HasPrefix(stem, "jpeg") {
				path = filepath.Join(fixtures, stem+".jpg")
			}
			img, err := Decode(path)
			if err != nil {
				t.Fatal(err)
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			got := rgbBytes(img)
			if len(got) != len(exp) {
				t.Fatalf("%T of %v: %d RGB bytes, PIL %d", img, img.Bounds(), len(got), len(exp))
			}
			worst, n := maxDiff(got, exp)
			tol := 0
			if strings.HasPrefix(stem, "jpeg") && !strings.HasSuffix(stem, "_tiles") {
				tol = jpegTolerance
			}
			t.Logf("%T: max |Δ| %d, %d of %d bytes differ", img, worst, n, len(exp))
			if worst > tol {
				t.Errorf("max |Δ| %d > %d (%d of %d bytes differ)", worst, tol, n, len(exp))
			}
		})
	}
}

// TestCMYKMatchesPIL converts PIL's own CMYK decodes of the CMYK and YCCK
// fixtures, and PIL's table of every (ink, black) pair, exactly as PIL.
func TestCMYKMatchesPIL(t *testing.T) {
	for _, stem := range []string{"jpeg_cmyk", "jpeg_ycck"} {
		pix, err := os.ReadFile(filepath.Join(fixtures, stem+".cmyk"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(fixtures, stem+".rgb"))
		if err != nil {
			t.Fatal(err)
		}
		img := &image.CMYK{Pix: pix, Stride: 4 * 13, Rect: image.Rect(0, 0, 13, 9)}
		if got := rgbBytes(img); !bytes.Equal(got, want) {
			worst, n := maxDiff(got, want)
			t.Errorf("%s: PIL's CMYK values converted: max |Δ| %d, %d bytes differ", stem, worst, n)
		}
	}
	table, err := Decode(filepath.Join(fixtures, "cmyk2rgb.png"))
	if err != nil {
		t.Fatal(err)
	}
	g := table.(*image.Gray)
	img := image.NewCMYK(image.Rect(0, 0, 256, 256))
	for k := range 256 {
		for c := range 256 {
			// The same ink in each channel: all three must be PIL's red.
			copy(img.Pix[img.PixOffset(c, k):], []uint8{uint8(c), uint8(c), uint8(c), uint8(k)})
		}
	}
	got := rgbBytes(img)
	for i, want := range g.Pix {
		if got[3*i] != want || got[3*i+1] != want || got[3*i+2] != want {
			t.Fatalf("C=M=Y=%d K=%d: RGB %v, PIL %d", i%256, i/256, got[3*i:3*i+3], want)
		}
	}
}

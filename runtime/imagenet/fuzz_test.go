package imagenet

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecodePreprocess decodes arbitrary bytes within a budget of 65536
// pixels and preprocesses what decodes. It must never panic, must fail
// with one line, must return an image within the budget that Preprocess
// turns into finite values, and must not allocate more than the budget
// implies: 24 bytes a pixel (a progressive CMYK JPEG, the most) with room
// to spare, plus the decoders' own tables. The seeds are every fixture of
// testdata/imagenet and the hostile files of testdata/fuzz (bombs,
// truncations, too many scans), which tools/image_fixtures.py
// writes.
func FuzzDecodePreprocess(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(fixtures, "*.[jp][pn]g"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no fixtures in %s (%v)", fixtures, err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	const budget = 1 << 16
	const allowed = 32*budget + 4<<20
	d := Decoder{MaxPixels: budget}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Default()
		c.Size = 16
		if len(data)%2 == 1 {
			c.Interp = Bicubic
		}
		c.Antialias = len(data)%3 != 0
		dst := make([]float32, 3*c.Size*c.Size)

		before := allocated()
		img, err := d.DecodeReader("input", bytes.NewReader(data))
		if err == nil {
			b := img.Bounds()
			if b.Dx()*b.Dy() > budget || b.Empty() {
				t.Fatalf("decoded a %v image with a budget of %d pixels", b, budget)
			}
			if err := Preprocess(dst, img, c); err != nil {
				t.Fatalf("preprocessing a decoded %T %v: %v", img, b, err)
			}
		}
		if grown := allocated() - before; grown > allowed {
			t.Fatalf("allocated %d bytes (%v), more than %d", grown, err, allowed)
		}
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "input") {
				t.Fatalf("error %q is not one line naming the input", msg)
			}
			return
		}
		for i, v := range dst {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || math.Abs(float64(v)) > 10 {
				t.Fatalf("value [%d] = %v", i, v)
			}
		}
	})
}

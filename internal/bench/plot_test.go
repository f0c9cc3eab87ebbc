package bench

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segen/segen/se"
)

// TestSavePlot draws the measured op and refuses one that was not.
func TestSavePlot(t *testing.T) {
	r := synthetic(t)
	file := filepath.Join(t.TempDir(), "b.png")
	if err := r.SavePlot(file, se.Squeeze); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", file, err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 400 {
		t.Errorf("plot is %v pixels", b.Size())
	}
	if err := r.SavePlot(filepath.Join(t.TempDir(), "f.png"), se.Forward); err == nil || !strings.Contains(err.Error(), "no measurements of Forward") {
		t.Errorf("SavePlot of an op not measured: %v", err)
	}
}

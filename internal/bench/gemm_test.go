package bench

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/runtime/resnet"
)

func TestTimeGEMM(t *testing.T) {
	gs := timeGEMM([][3]int{{16, 8, 4}, {7, 3, 5}}, 0)
	if len(gs) != 2 || gs[0].M != 16 || gs[0].K != 8 || gs[0].N != 4 || gs[1].M != 7 {
		t.Fatalf("results %+v, want one per shape in order", gs)
	}
	for _, g := range gs {
		if !(g.GFLOPs > 0) || math.IsInf(g.GFLOPs, 0) {
			t.Errorf("%+v: GFLOP/s not positive and finite", g)
		}
	}
}

// TestTimeGrouped times the grouped convolutions of a ResNeXt once for its
// SE twin too (the same shapes), and skips an Inception.
func TestTimeGrouped(t *testing.T) {
	const size = 32
	gs := timeGrouped([]Net{{Name: "bn_inception"}, {Name: "resnext50_32x4d"}, {Name: "seresnext50_32x4d"}}, size, 0)
	a, err := resnet.LookupArch("resnext50_32x4d")
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[[3]any]bool{}
	for _, l := range a.ConvLayers(size, size) {
		if l.Spec.Groups > 1 {
			distinct[[3]any{l.Spec, l.H, l.W}] = true
		}
	}
	if len(gs) != len(distinct) || len(gs) == 0 {
		t.Fatalf("%d grouped convolutions timed, want the %d distinct ones of resnext50_32x4d", len(gs), len(distinct))
	}
	for _, g := range gs {
		if g.Arch != "resnext50_32x4d" || !strings.HasSuffix(g.Layer, ".conv2") || g.Spec.Groups != 32 || !(g.GFLOPs > 0) {
			t.Errorf("%+v", g)
		}
	}
}

// TestWriteGEMMGrouped checks the % of peak, "-" without a peak, and how a
// grouped convolution's input is written.
func TestWriteGEMMGrouped(t *testing.T) {
	var out bytes.Buffer
	writeGEMM(&out, []GEMMResult{{49, 512, 2048, 50}}, 100)
	writeGrouped(&out, []GroupedResult{
		{"resnext50_32x4d", "layer2.0.conv2", nn.ConvSpec{InC: 256, OutC: 256, KH: 3, KW: 3, Stride: 2, Pad: 1, Groups: 32}, 16, 16, 25},
		{"resnext50_32x4d", "layer3.1.conv2", nn.ConvSpec{InC: 512, OutC: 512, KH: 3, KW: 3, Stride: 1, Pad: 1, Groups: 32}, 4, 2, 30},
	}, 0)
	for _, want := range []string{
		"     49   512  2048      50.0       50%\n",
		"  resnext50_32x4d        layer2.0.conv2      256    256      32   16²/2      25.0         -\n",
		"  resnext50_32x4d        layer3.1.conv2      512    512      32     4×2      30.0         -\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

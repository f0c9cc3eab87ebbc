package resnet

import (
	"fmt"
	"strings"

	"github.com/segen/segen/se"
)

// BlockKind is the residual block a network is made of.
type BlockKind int

const (
	// Basic is two 3×3 convolutions (ResNet-18/34), stride on the first.
	Basic BlockKind = iota
	// Bottleneck is 1×1 → 3×3 → 1×1 with 4× expansion (ResNet-50 and
	// deeper), stride on the 3×3.
	Bottleneck
)

func (k BlockKind) String() string {
	if k == Basic {
		return "basic"
	}
	return "bottleneck"
}

// expansion is the ratio of a block's output channels to its width.
func (k BlockKind) expansion() int {
	if k == Basic {
		return 1
	}
	return 4
}

// Arch describes one network of the family.
type Arch struct {
	Name   string
	Block  BlockKind
	Layers [4]int // blocks per stage
	SE     bool   // a squeeze-and-excitation module in every block
}

var archs = []Arch{
	{"resnet18", Basic, [4]int{2, 2, 2, 2}, false},
	{"resnet34", Basic, [4]int{3, 4, 6, 3}, false},
	{"resnet50", Bottleneck, [4]int{3, 4, 6, 3}, false},
	{"resnet101", Bottleneck, [4]int{3, 4, 23, 3}, false},
	{"resnet152", Bottleneck, [4]int{3, 8, 36, 3}, false},
	{"seresnet18", Basic, [4]int{2, 2, 2, 2}, true},
	{"seresnet34", Basic, [4]int{3, 4, 6, 3}, true},
	{"seresnet50", Bottleneck, [4]int{3, 4, 6, 3}, true},
	{"seresnet101", Bottleneck, [4]int{3, 4, 23, 3}, true},
	{"seresnet152", Bottleneck, [4]int{3, 8, 36, 3}, true},
}

// Archs returns the names of every supported architecture.
func Archs() []string {
	names := make([]string, len(archs))
	for i, a := range archs {
		names[i] = a.Name
	}
	return names
}

// LookupArch returns the architecture called name (timm's name, e.g.
// "seresnet50"; a pretrained tag such as ".a1_in1k" is ignored).
func LookupArch(name string) (Arch, error) {
	base, _, _ := strings.Cut(name, ".")
	for _, a := range archs {
		if a.Name == base {
			return a, nil
		}
	}
	return Arch{}, fmt.Errorf("resnet: unknown architecture %q; known: %s", name, strings.Join(Archs(), ", "))
}

// Features returns the width of the pooled features the classifier reads.
func (a Arch) Features() int { return 512 * a.Block.expansion() }

// blockSpec is one residual block: where it sits, what it convolves, and
// the timm name prefix of its parameters ("layer2.0.").
type blockSpec struct {
	prefix         string
	inC, width     int // input channels; width of the 3×3 convolution(s)
	outC, stride   int
	downsample, se bool
	hidden         int // SE excitation width
}

// blocks lists the residual blocks of a in order, as timm's ResNet builds
// them: stage i has width 64·2^i, the first block of stages 2–4 has stride
// 2, and a block gets a 1×1 downsample when its stride or channels change.
func (a Arch) blocks() []blockSpec {
	var out []blockSpec
	inC := 64
	for stage, n := range a.Layers {
		width := 64 << stage
		outC := width * a.Block.expansion()
		for j := range n {
			stride := 1
			if stage > 0 && j == 0 {
				stride = 2
			}
			b := blockSpec{
				prefix: fmt.Sprintf("layer%d.%d.", stage+1, j),
				inC:    inC, width: width, outC: outC, stride: stride,
				downsample: stride != 1 || inC != outC,
				se:         a.SE,
			}
			if a.SE {
				b.hidden = se.TimmHidden(outC)
			}
			out = append(out, b)
			inC = outC
		}
	}
	return out
}

// convSpec is one convolution of a block: timm names of the conv and of
// the batch norm that follows it, and its geometry.
type convSpec struct {
	conv, bn             string
	inC, outC, k, stride int
}

// convs lists the convolutions of the residual branch of b.
func (a Arch) convs(b blockSpec) []convSpec {
	p := b.prefix
	if a.Block == Basic {
		return []convSpec{
			{p + "conv1", p + "bn1", b.inC, b.width, 3, b.stride},
			{p + "conv2", p + "bn2", b.width, b.outC, 3, 1},
		}
	}
	return []convSpec{
		{p + "conv1", p + "bn1", b.inC, b.width, 1, 1},
		{p + "conv2", p + "bn2", b.width, b.width, 3, b.stride},
		{p + "conv3", p + "bn3", b.width, b.outC, 1, 1},
	}
}

// downsample returns the shortcut convolution of b (only if b.downsample).
func (a Arch) downsample(b blockSpec) convSpec {
	return convSpec{b.prefix + "downsample.0", b.prefix + "downsample.1", b.inC, b.outC, 1, b.stride}
}

// stem is the first convolution: 7×7 stride 2 from RGB to 64 channels.
var stem = convSpec{"conv1", "bn1", 3, 64, 7, 2}

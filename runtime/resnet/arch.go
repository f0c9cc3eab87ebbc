package resnet

import (
	"fmt"
	"strings"

	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/se"
)

// BlockKind is the residual block a network is made of.
type BlockKind int

const (
	// Basic is two 3×3 convolutions (ResNet-18/34).
	Basic BlockKind = iota
	// Bottleneck is 1×1 → 3×3 → 1×1 with 4× expansion (ResNet-50 and
	// deeper); the 3×3 one may be grouped (ResNeXt).
	Bottleneck
)

func (k BlockKind) String() string {
	if k == Basic {
		return "basic"
	}
	return "bottleneck"
}

// expansion is the ratio of a block's output channels to its planes.
func (k BlockKind) expansion() int {
	if k == Basic {
		return 1
	}
	return 4
}

// Layout is the module structure, and so the state-dict names, of a
// network.
type Layout int

const (
	// Timm is timm.models.resnet's ResNet: conv1/bn1 (conv1.0…conv1.6 for
	// a deep stem), layerN.M.conv1…, layerN.M.se.fc1, downsample.0/1
	// (downsample.1/2 behind an average pool), fc.
	Timm Layout = iota
	// Legacy is timm.models.senet's SENet, the original SENet release:
	// layer0.conv1…, layerN.M.se_module.fc1, last_linear, and a ceil-mode
	// max pool without padding after the stem.
	Legacy
)

// StemKind is the convolutions before the first stage.
type StemKind int

const (
	// Stem7x7 is one 7×7 stride-2 convolution to 64 channels.
	Stem7x7 StemKind = iota
	// StemDeep is three 3×3 convolutions, the first with stride 2, of
	// StemWidth, StemWidth and 2·StemWidth channels (timm's "deep";
	// SENet-154's input_3x3 with 64).
	StemDeep
	// StemTiered is StemDeep with 3/4 of StemWidth in the first one (timm's
	// "deep_tiered": 24, 32, 64).
	StemTiered
)

// SEKind is the squeeze-and-excitation module of every block, if any.
type SEKind int

const (
	NoSE SEKind = iota
	// TimmSE has se.TimmHidden(C) hidden units (C/16 rounded to a multiple
	// of 8, at least 8).
	TimmSE
	// LegacySE has C/16 hidden units, truncated (4 at C = 64).
	LegacySE
)

// hidden returns the excitation width for c channels.
func (k SEKind) hidden(c int) int {
	if k == LegacySE {
		return c / 16
	}
	return se.TimmHidden(c)
}

// Arch describes one network of the family as timm's model arguments do;
// zero values mean ResNet's defaults (Groups 1, BaseWidth 64, ReduceFirst
// 1, DownKernel 1, a 7×7 stem).
type Arch struct {
	Name   string
	Layout Layout
	Block  BlockKind
	Layers [4]int // blocks per stage

	Stem      StemKind
	StemWidth int // StemDeep and StemTiered only

	// Groups (cardinality) and BaseWidth set a bottleneck's width at
	// planes p: floor(p·BaseWidth/64)·Groups, its 3×3 convolution in
	// Groups groups; the first 1×1 convolution has width/ReduceFirst
	// outputs (SENet-154: 2).
	Groups, BaseWidth, ReduceFirst int

	// The shortcut of a block whose stride or channels change: a
	// convolution of DownKernel (1×1 at stride 1) with the block's stride,
	// or with AvgDown a 2×2 ceil-mode average pool of the stride
	// (count_include_pad off) and then a 1×1 convolution (ResNet-D).
	AvgDown    bool
	DownKernel int

	// StrideFirst puts a bottleneck's stride on its first 1×1 convolution
	// instead of the 3×3 (the original SE-ResNet bottleneck). AA runs a
	// strided 3×3 convolution at stride 1 followed by a 2×2 average pool of
	// stride 2, and replaces the stem's max pool with that pool (timm's
	// aa_layer=nn.AvgPool2d).
	StrideFirst, AA bool

	SE SEKind
	// BranchReLU applies ReLU to the residual branch's output before the
	// SE module (the original release's basic block does).
	BranchReLU bool
}

var (
	l18  = [4]int{2, 2, 2, 2}
	l34  = [4]int{3, 4, 6, 3}
	l101 = [4]int{3, 4, 23, 3}
	l152 = [4]int{3, 8, 36, 3}
	l200 = [4]int{3, 24, 36, 3}
)

// archs are timm's networks, each as its model_args say (timm/models/
// resnet.py and senet.py).
var archs = []Arch{
	{Name: "resnet18", Block: Basic, Layers: l18},
	{Name: "resnet34", Block: Basic, Layers: l34},
	{Name: "resnet50", Block: Bottleneck, Layers: l34},
	{Name: "resnet101", Block: Bottleneck, Layers: l101},
	{Name: "resnet152", Block: Bottleneck, Layers: l152},
	{Name: "seresnet18", Block: Basic, Layers: l18, SE: TimmSE},
	{Name: "seresnet34", Block: Basic, Layers: l34, SE: TimmSE},
	{Name: "seresnet50", Block: Bottleneck, Layers: l34, SE: TimmSE},
	{Name: "seresnet101", Block: Bottleneck, Layers: l101, SE: TimmSE},
	{Name: "seresnet152", Block: Bottleneck, Layers: l152, SE: TimmSE},

	// ResNet-D: deep stem and average-pool shortcuts; T: the tiered stem.
	{Name: "resnet50d", Block: Bottleneck, Layers: l34, Stem: StemDeep, StemWidth: 32, AvgDown: true},
	{Name: "resnet152d", Block: Bottleneck, Layers: l152, Stem: StemDeep, StemWidth: 32, AvgDown: true},
	{Name: "resnet200d", Block: Bottleneck, Layers: l200, Stem: StemDeep, StemWidth: 32, AvgDown: true},
	{Name: "resnetaa50d", Block: Bottleneck, Layers: l34, Stem: StemDeep, StemWidth: 32, AvgDown: true, AA: true},
	{Name: "seresnet152d", Block: Bottleneck, Layers: l152, Stem: StemDeep, StemWidth: 32, AvgDown: true, SE: TimmSE},
	{Name: "seresnet200d", Block: Bottleneck, Layers: l200, Stem: StemDeep, StemWidth: 32, AvgDown: true, SE: TimmSE},
	{Name: "seresnet269d", Block: Bottleneck, Layers: [4]int{3, 30, 48, 8}, Stem: StemDeep, StemWidth: 32, AvgDown: true, SE: TimmSE},
	{Name: "seresnetaa50d", Block: Bottleneck, Layers: l34, Stem: StemDeep, StemWidth: 32, AvgDown: true, AA: true, SE: TimmSE},

	// ResNeXt and SE-ResNeXt.
	{Name: "resnext50_32x4d", Block: Bottleneck, Layers: l34, Groups: 32, BaseWidth: 4},
	{Name: "resnext101_32x4d", Block: Bottleneck, Layers: l101, Groups: 32, BaseWidth: 4},
	{Name: "resnext101_32x8d", Block: Bottleneck, Layers: l101, Groups: 32, BaseWidth: 8},
	{Name: "resnext101_64x4d", Block: Bottleneck, Layers: l101, Groups: 64, BaseWidth: 4},
	{Name: "seresnext26d_32x4d", Block: Bottleneck, Layers: l18, Groups: 32, BaseWidth: 4, Stem: StemDeep, StemWidth: 32, AvgDown: true, SE: TimmSE},
	{Name: "seresnext26t_32x4d", Block: Bottleneck, Layers: l18, Groups: 32, BaseWidth: 4, Stem: StemTiered, StemWidth: 32, AvgDown: true, SE: TimmSE},
	{Name: "seresnext50_32x4d", Block: Bottleneck, Layers: l34, Groups: 32, BaseWidth: 4, SE: TimmSE},
	{Name: "seresnext101_32x4d", Block: Bottleneck, Layers: l101, Groups: 32, BaseWidth: 4, SE: TimmSE},
	{Name: "seresnext101_32x8d", Block: Bottleneck, Layers: l101, Groups: 32, BaseWidth: 8, SE: TimmSE},
	{Name: "seresnext101d_32x8d", Block: Bottleneck, Layers: l101, Groups: 32, BaseWidth: 8, Stem: StemDeep, StemWidth: 32, AvgDown: true, SE: TimmSE},
	{Name: "seresnext101_64x4d", Block: Bottleneck, Layers: l101, Groups: 64, BaseWidth: 4, SE: TimmSE},
	{Name: "seresnextaa101d_32x8d", Block: Bottleneck, Layers: l101, Groups: 32, BaseWidth: 8, Stem: StemDeep, StemWidth: 32, AvgDown: true, AA: true, SE: TimmSE},
	{Name: "seresnextaa201d_32x8d", Block: Bottleneck, Layers: [4]int{3, 24, 36, 4}, Groups: 32, BaseWidth: 8, Stem: StemDeep, StemWidth: 64, AvgDown: true, AA: true, SE: TimmSE},

	// The original SENet release (timm's legacy_*): stride on the first
	// 1×1 of SE-ResNet bottlenecks, SE hidden C/16.
	{Name: "legacy_seresnet18", Layout: Legacy, Block: Basic, Layers: l18, SE: LegacySE, BranchReLU: true},
	{Name: "legacy_seresnet34", Layout: Legacy, Block: Basic, Layers: l34, SE: LegacySE, BranchReLU: true},
	{Name: "legacy_seresnet50", Layout: Legacy, Block: Bottleneck, Layers: l34, StrideFirst: true, SE: LegacySE},
	{Name: "legacy_seresnet101", Layout: Legacy, Block: Bottleneck, Layers: l101, StrideFirst: true, SE: LegacySE},
	{Name: "legacy_seresnet152", Layout: Legacy, Block: Bottleneck, Layers: l152, StrideFirst: true, SE: LegacySE},
	{Name: "legacy_seresnext26_32x4d", Layout: Legacy, Block: Bottleneck, Layers: l18, Groups: 32, BaseWidth: 4, SE: LegacySE},
	{Name: "legacy_seresnext50_32x4d", Layout: Legacy, Block: Bottleneck, Layers: l34, Groups: 32, BaseWidth: 4, SE: LegacySE},
	{Name: "legacy_seresnext101_32x4d", Layout: Legacy, Block: Bottleneck, Layers: l101, Groups: 32, BaseWidth: 4, SE: LegacySE},
	{Name: "legacy_senet154", Layout: Legacy, Block: Bottleneck, Layers: l152, Groups: 64, BaseWidth: 4, ReduceFirst: 2,
		Stem: StemDeep, StemWidth: 64, DownKernel: 3, SE: LegacySE},
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

// classifier returns the name of the final linear layer.
func (a Arch) classifier() string {
	if a.Layout == Legacy {
		return "last_linear"
	}
	return "fc"
}

func orOne(v int) int { return max(v, 1) }

// convSpec is one convolution and the batch norm folded into it: timm
// names of both, and the geometry (padding k/2).
type convSpec struct {
	conv, bn                     string
	inC, outC, k, stride, groups int
}

func (c convSpec) spec() nn.ConvSpec {
	return nn.ConvSpec{InC: c.inC, OutC: c.outC, KH: c.k, KW: c.k, Stride: c.stride, Pad: c.k / 2, Groups: c.groups}
}

// layerSpec is one step of a chain of layers: a convolution (with its
// batch norm) or, when conv is nil, a pooling window.
type layerSpec struct {
	conv *convSpec
	pool pooler
}

// pooler is nn.MaxPool2d or nn.AvgPool2d.
type pooler interface {
	Out(h, w int) (oh, ow int)
	Forward(dst, src []float32, n, h, w, c int, ws *nn.Workspace)
}

// The pooling windows of the family.
var (
	stemMaxPool   = nn.MaxPool2d{K: 3, Stride: 2, Pad: 1}
	legacyMaxPool = nn.MaxPool2d{K: 3, Stride: 2, Ceil: true} // Caffe's rounding, kept by the original release
	aaPool        = nn.AvgPool2d{K: 2, Stride: 2}             // timm's create_aa(nn.AvgPool2d): AvgPool2d(2)
	avgDownPool   = nn.AvgPool2d{K: 2, Stride: 2, Ceil: true} // count_include_pad=False
)

// stem returns the layers before the first stage: convolutions, each
// followed by ReLU, then the pool.
func (a Arch) stem() []layerSpec {
	var widths []int
	switch a.Stem {
	case Stem7x7:
		widths = []int{64}
	case StemDeep:
		widths = []int{a.StemWidth, a.StemWidth, 2 * a.StemWidth}
	case StemTiered:
		widths = []int{3 * (a.StemWidth / 4), a.StemWidth, 2 * a.StemWidth}
	}
	var out []layerSpec
	inC := 3
	for i, w := range widths {
		c := &convSpec{inC: inC, outC: w, k: 3, stride: 1}
		if i == 0 {
			c.stride = 2
		}
		switch {
		case a.Layout == Legacy:
			c.conv, c.bn = fmt.Sprintf("layer0.conv%d", i+1), fmt.Sprintf("layer0.bn%d", i+1)
		case len(widths) == 1:
			c.conv, c.bn = "conv1", "bn1"
		default: // nn.Sequential(conv, bn, act, conv, bn, act, conv), then bn1
			c.conv, c.bn = fmt.Sprintf("conv1.%d", 3*i), fmt.Sprintf("conv1.%d", 3*i+1)
			if i == len(widths)-1 {
				c.bn = "bn1"
			}
		}
		if len(widths) == 1 {
			c.k = 7
		}
		out = append(out, layerSpec{conv: c})
		inC = w
	}
	var pool pooler = stemMaxPool
	switch {
	case a.Layout == Legacy:
		pool = legacyMaxPool
	case a.AA:
		pool = aaPool
	}
	return append(out, layerSpec{pool: pool})
}

// stemChannels returns the stem's output channels: the first stage's input.
func (a Arch) stemChannels() int {
	if a.Stem == Stem7x7 {
		return 64
	}
	return 2 * a.StemWidth
}

// blockSpec is one residual block: the timm name prefix of its parameters
// ("layer2.0."), its residual branch (ReLU after every convolution but the
// last), its shortcut (nil for identity) and its SE module.
type blockSpec struct {
	prefix    string
	inC, outC int
	branch    []layerSpec
	shortcut  []layerSpec
	se        bool
	seName    string // "layer2.0.se" or "layer2.0.se_module"
	hidden    int    // SE excitation width
	lastBN    string // the branch's last batch norm: "bn2" or "bn3"
}

// blocks lists the residual blocks of a in order, as timm builds them:
// stage i has planes 64·2^i, the first block of stages 2–4 has stride 2,
// and a block gets a shortcut convolution when its stride or channels
// change.
func (a Arch) blocks() []blockSpec {
	var out []blockSpec
	inC := a.stemChannels()
	for stage, n := range a.Layers {
		planes := 64 << stage
		outC := planes * a.Block.expansion()
		for j := range n {
			stride := 1
			if stage > 0 && j == 0 {
				stride = 2
			}
			b := blockSpec{prefix: fmt.Sprintf("layer%d.%d.", stage+1, j), inC: inC, outC: outC}
			b.branch, b.lastBN = a.branch(b.prefix, inC, planes, outC, stride)
			if stride != 1 || inC != outC {
				b.shortcut = a.shortcut(b.prefix, inC, outC, stride)
			}
			if a.SE != NoSE {
				b.se, b.hidden, b.seName = true, a.SE.hidden(outC), b.prefix+"se"
				if a.Layout == Legacy {
					b.seName = b.prefix + "se_module"
				}
			}
			out = append(out, b)
			inC = outC
		}
	}
	return out
}

// branch returns the residual branch of a block and the name of its last
// batch norm.
func (a Arch) branch(p string, inC, planes, outC, stride int) ([]layerSpec, string) {
	conv := func(i, in, out, k, stride, groups int) layerSpec {
		return layerSpec{conv: &convSpec{fmt.Sprintf("%sconv%d", p, i), fmt.Sprintf("%sbn%d", p, i), in, out, k, stride, groups}}
	}
	// The strided 3×3 convolution: at stride 1 followed by the pool with AA.
	strided := func(i, in, out, groups int) []layerSpec {
		if a.AA && stride == 2 {
			return []layerSpec{conv(i, in, out, 3, 1, groups), {pool: aaPool}}
		}
		return []layerSpec{conv(i, in, out, 3, stride, groups)}
	}
	groups := orOne(a.Groups)
	if a.Block == Basic {
		return append(strided(1, inC, planes, 1), conv(2, planes, outC, 3, 1, 1)), "bn2"
	}
	base := a.BaseWidth
	if base == 0 {
		base = 64
	}
	width := planes * base / 64 * groups
	first := width / orOne(a.ReduceFirst)
	if a.StrideFirst {
		return []layerSpec{conv(1, inC, first, 1, stride, 1), conv(2, first, width, 3, 1, groups), conv(3, width, outC, 1, 1, 1)}, "bn3"
	}
	out := []layerSpec{conv(1, inC, first, 1, 1, 1)}
	out = append(out, strided(2, first, width, groups)...)
	return append(out, conv(3, width, outC, 1, 1, 1)), "bn3"
}

// shortcut returns the layers of a block's downsampling shortcut.
func (a Arch) shortcut(p string, inC, outC, stride int) []layerSpec {
	if a.AvgDown {
		c := &convSpec{p + "downsample.1", p + "downsample.2", inC, outC, 1, 1, 1}
		if stride == 1 {
			return []layerSpec{{conv: c}}
		}
		return []layerSpec{{pool: avgDownPool}, {conv: c}}
	}
	k := 1
	if stride != 1 {
		k = orOne(a.DownKernel)
	}
	return []layerSpec{{conv: &convSpec{p + "downsample.0", p + "downsample.1", inC, outC, k, stride, 1}}}
}

// ConvLayer is one convolution of a network applied to an input size.
type ConvLayer struct {
	Name string      // the convolution's state-dict name, "layer1.0.conv2"
	Spec nn.ConvSpec // its geometry, groups included
	H, W int         // its input size
}

// ConvLayers returns every convolution of a in the order a forward pass
// runs them, each with its input size for h×w images; a layer whose input
// would be empty ends the list.
func (a Arch) ConvLayers(h, w int) []ConvLayer {
	var out []ConvLayer
	walk := func(ls []layerSpec, h, w int) (int, int) {
		for _, l := range ls {
			if l.conv != nil {
				out = append(out, ConvLayer{Name: l.conv.conv, Spec: l.conv.spec(), H: h, W: w})
				h, w = l.conv.spec().Out(h, w)
			} else {
				h, w = l.pool.Out(h, w)
			}
		}
		return h, w
	}
	h, w = walk(a.stem(), h, w)
	for _, b := range a.blocks() {
		if h < 1 || w < 1 {
			break
		}
		walk(b.shortcut, h, w)
		h, w = walk(b.branch, h, w)
	}
	return out
}

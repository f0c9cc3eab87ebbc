package inception

import (
	"fmt"
	"strings"
)

// Arch is one of the two networks: SE-BN-Inception or BN-Inception.
type Arch struct {
	Name string
	SE   bool // SE modules on every Inception module's output
}

var archs = []Arch{
	{Name: "se_bn_inception", SE: true},
	{Name: "bn_inception", SE: false},
}

// Archs returns the names of the architectures, for help texts.
func Archs() []string {
	var names []string
	for _, a := range archs {
		names = append(names, a.Name)
	}
	return names
}

// LookupArch returns the architecture called name.
func LookupArch(name string) (Arch, error) {
	for _, a := range archs {
		if a.Name == name {
			return a, nil
		}
	}
	return Arch{}, fmt.Errorf("inception: unknown architecture %q (known: %s)", name, strings.Join(Archs(), ", "))
}

// Size is the side of the input the network takes: the size at which its
// final 7×7 average pool sees a 7×7 map.
const Size = 224

// Features is the number of channels the classifier reads.
const Features = 1024

// conv is one convolution of the prototxt and the batch norm after it.
type conv struct {
	name                 string // weight name; its batch norm is name + "_bn"
	inC, outC, k, s, pad int
}

// The stem: conv1/7x7_s2, pool1/3x3_s2 (max, ceil), conv2/3x3_reduce,
// conv2/3x3, pool2/3x3_s2 (max, ceil).
var stem = []conv{
	{"conv1_7x7_s2", 3, 64, 7, 2, 3},
	{"conv2_3x3_reduce", 64, 64, 1, 1, 0},
	{"conv2_3x3", 64, 192, 3, 1, 1},
}

// poolKind is the pool of a module's pool branch.
type poolKind int

const (
	avgPool  poolKind = iota // 3×3, stride 1, pad 1, padding counted, then a projection
	maxPool                  // the same window taking the maximum (module 5b)
	downPool                 // 3×3 stride-2 max pool, no projection (3c, 4e)
)

// module is one Inception module: its channels by branch, as in the
// prototxt. Its output concatenates, in this order, the 1×1 branch (b1
// channels, none in the stride-2 modules), the 3×3 branch (reduce r3, then
// c3), the double 3×3 branch (reduce rd, then cd and cd) and the pool branch
// (proj channels, or the input's own with downPool).
type module struct {
	name   string
	in     int
	b1     int
	r3, c3 int
	rd, cd int
	pool   poolKind
	proj   int
	hidden int // the SE module's width (num_output of its 1x1_down)
}

var modules = []module{
	{"inception_3a", 192, 64, 64, 64, 64, 96, avgPool, 32, 16},
	{"inception_3b", 256, 64, 64, 96, 64, 96, avgPool, 64, 20},
	{"inception_3c", 320, 0, 128, 160, 64, 96, downPool, 0, 36},
	{"inception_4a", 576, 224, 64, 96, 96, 128, avgPool, 128, 36},
	{"inception_4b", 576, 192, 96, 128, 96, 128, avgPool, 128, 36},
	{"inception_4c", 576, 160, 128, 160, 128, 160, avgPool, 128, 38},
	{"inception_4d", 608, 96, 128, 192, 160, 192, avgPool, 128, 38},
	{"inception_4e", 608, 0, 128, 192, 192, 256, downPool, 0, 66},
	{"inception_5a", 1056, 352, 192, 320, 160, 224, avgPool, 128, 64},
	{"inception_5b", 1024, 352, 192, 320, 192, 224, maxPool, 128, 64},
}

// stride2 reports whether the module halves the resolution.
func (m module) stride2() bool { return m.pool == downPool }

// out returns the module's output channels.
func (m module) out() int {
	if m.stride2() {
		return m.c3 + m.cd + m.in
	}
	return m.b1 + m.c3 + m.cd + m.proj
}

// convs returns the module's convolutions in prototxt order: 1x1,
// 3x3_reduce, 3x3, double3x3_reduce, double3x3a, double3x3b, pool_proj
// (the first and last only where the module has them).
func (m module) convs() []conv {
	s := 1
	if m.stride2() {
		s = 2
	}
	var cs []conv
	if m.b1 > 0 {
		cs = append(cs, conv{m.name + "_1x1", m.in, m.b1, 1, 1, 0})
	}
	cs = append(cs,
		conv{m.name + "_3x3_reduce", m.in, m.r3, 1, 1, 0},
		conv{m.name + "_3x3", m.r3, m.c3, 3, s, 1},
		conv{m.name + "_double3x3_reduce", m.in, m.rd, 1, 1, 0},
		conv{m.name + "_double3x3a", m.rd, m.cd, 3, 1, 1},
		conv{m.name + "_double3x3b", m.cd, m.cd, 3, s, 1},
	)
	if m.proj > 0 {
		cs = append(cs, conv{m.name + "_pool_proj", m.in, m.proj, 1, 1, 0})
	}
	return cs
}

package bench

import (
	"fmt"
	"slices"
	"strings"

	"github.com/segen/segen/gen"
	"github.com/segen/segen/se"
)

// Block is one block to measure: its name and its registered kernel.
type Block struct {
	Name   string
	Kernel se.Kernel
}

// Registered returns every block compiled into this program, named by its
// spec (se.BlockName), layout first and then by name: basic1…4 before
// bottleneck1…4.
func Registered() []Block {
	var blocks []Block
	for _, k := range se.Registered() {
		blocks = append(blocks, Block{se.BlockName(k.Shape()), k})
	}
	slices.SortStableFunc(blocks, func(a, b Block) int {
		if la, lb := a.Kernel.Shape().Layout, b.Kernel.Shape().Layout; la != lb {
			return int(la) - int(lb)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return blocks
}

// SpecBlocks returns the blocks of the spec at path under the spec's names,
// each with the compiled-in kernel of its shape, or an error naming the
// blocks that have none: a Go program cannot compile new kernels into itself.
func SpecBlocks(path string) ([]Block, error) {
	spec, err := gen.LoadSpec(path)
	if err != nil {
		return nil, err
	}
	compiled := map[se.Shape]se.Kernel{}
	for _, k := range se.Registered() {
		compiled[k.Shape()] = k
	}
	var blocks []Block
	var missing []string
	for _, b := range spec.Blocks {
		k, ok := compiled[b.Shape]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (%v)", b.Name, b.Shape))
			continue
		}
		blocks = append(blocks, Block{b.Name, k})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: %d of %d blocks have no kernel compiled into segen: %s\n"+
			"bench can only measure compiled-in kernels (Go cannot generate and load code at run time): "+
			"run segen generate -spec %s -out DIR and import the package in cmd/segen, then rebuild",
			path, len(missing), len(spec.Blocks), strings.Join(missing, "; "), path)
	}
	return blocks, nil
}

package bench

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segen/segen/se"
)

// Registered kernels get their spec names back from their Go type names,
// NCHW blocks before NHWC ones and by name within a layout.
func TestRegistered(t *testing.T) {
	blocks := Registered()
	var names []string
	for _, b := range blocks {
		names = append(names, b.Name)
	}
	for _, want := range []string{"basic4_nchw", "bottleneck1_nhwc"} {
		if !slices.Contains(names, want) {
			t.Errorf("no registered kernel is named %s; names: %v", want, names)
		}
	}
	sorted := slices.IsSortedFunc(blocks, func(a, b Block) int {
		if la, lb := a.Kernel.Shape().Layout, b.Kernel.Shape().Layout; la != lb {
			return int(la) - int(lb)
		}
		return strings.Compare(a.Name, b.Name)
	})
	if !sorted || blocks[0].Kernel.Shape().Layout != se.NCHW {
		t.Errorf("blocks not by layout, then name: %v", names)
	}
}

// SpecBlocks names blocks as the spec does, and refuses a spec with blocks
// that are not compiled in, naming those and saying what to do.
func TestSpecBlocks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, blocks string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("package: p\nblocks:\n"+blocks), 0o666); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const compiled = "  - {name: mine, channels: 512, hidden: 32, height: 7, width: 7, layout: nchw}\n"
	blocks, err := SpecBlocks(write("good.yaml", compiled))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 || blocks[0].Name != "mine" || blocks[0].Kernel != se.Lookup(blocks[0].Kernel.Shape()) {
		t.Errorf("blocks %+v, want mine with the registered basic4_nchw kernel", blocks)
	}
	_, err = SpecBlocks(write("bad.yaml", compiled+"  - {name: odd, channels: 24, hidden: 8, height: 5, width: 5, layout: nchw}\n"))
	if err == nil || !strings.Contains(err.Error(), "1 of 2 blocks") || !strings.Contains(err.Error(), "odd (nchw 24×5×5") ||
		strings.Contains(err.Error(), "mine") || !strings.Contains(err.Error(), "run segen generate") {
		t.Errorf("SpecBlocks of a block not compiled in: %v", err)
	}
}

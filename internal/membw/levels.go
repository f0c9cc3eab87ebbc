package membw

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Levels returns the levels to measure on this machine: L1 data, L2, L3 and
// memory beyond them. Each cache is measured at half its size, so the working
// set sits well inside it next to the stack, the code and the page tables,
// and its figure stands for working sets up to its full size. Memory is
// measured at 64 MiB or twice the L3, whichever is larger.
//
// Cache sizes come from Linux's /sys/devices/system/cpu/cpu0/cache; where
// that is missing, from fallbackCaches.
func Levels() []Level {
	return levelsFor(cacheSizes("/sys/devices/system/cpu/cpu0/cache"))
}

// fallbackCaches are the L1 data, L2 and L3 sizes assumed when the system
// does not tell: a typical current server core.
var fallbackCaches = [3]int{48 << 10, 2 << 20, 32 << 20}

func levelsFor(caches [3]int) []Level {
	var ls []Level
	for i, size := range caches {
		if size == 0 {
			size = fallbackCaches[i]
		}
		ls = append(ls, Level{Name: "L" + strconv.Itoa(i+1), Bytes: size / 2, Limit: int64(size)})
	}
	mem := max(64<<20, 2*int(ls[2].Limit))
	return append(ls, Level{Name: "DRAM", Bytes: mem})
}

// cacheSizes reads the sizes of the L1 data, L2 and L3 caches of one CPU
// from a sysfs cache directory; unknown sizes are 0.
func cacheSizes(dir string) [3]int {
	var sizes [3]int
	idx, _ := filepath.Glob(filepath.Join(dir, "index*"))
	for _, d := range idx {
		read := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(d, name))
			return strings.TrimSpace(string(b))
		}
		level, err := strconv.Atoi(read("level"))
		if err != nil || level < 1 || level > 3 || read("type") == "Instruction" {
			continue
		}
		if size := parseSize(read("size")); size > 0 {
			sizes[level-1] = size
		}
	}
	return sizes
}

// parseSize parses a sysfs cache size: "48K", "1024K", "32M"; 0 if invalid.
func parseSize(s string) int {
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0
	}
	return n * mult
}

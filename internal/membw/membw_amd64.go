//go:build amd64 && !purego

package membw

import "golang.org/x/sys/cpu"

// available lists the loops this CPU runs, widest first.
func available() []loops {
	var ls []loops
	if cpu.X86.HasAVX512F {
		ls = append(ls, loops{isa: "avx512", sumBlock: 128, copyBlock: 64, sum: sumAVX512, copy: copyAVX512})
	}
	if cpu.X86.HasAVX2 {
		ls = append(ls, loops{isa: "avx2", sumBlock: 64, copyBlock: 32, sum: sumAVX2, copy: copyAVX2})
	}
	return append(ls, goLoops)
}

package bench

import (
	"slices"

	"github.com/segen/segen/internal/membw"
	"github.com/segen/segen/se"
)

// bestOf returns the higher of two measurements of each figure. The
// bandwidth is measured before and after the kernels: other tenants of a
// shared machine (above all in the shared L3) only ever lower a figure, and
// the best is the closest to the machine's limit.
func bestOf(a, b []membw.Bandwidth) []membw.Bandwidth {
	out := slices.Clone(a)
	for i := range out {
		out[i].Read = max(a[i].Read, b[i].Read)
		out[i].Copy = max(a[i].Copy, b[i].Copy)
	}
	return out
}

// bwKind names the reference loop an op is compared with: Squeeze and
// Excite read their working set (they write only C values), the others read
// and write theirs.
func bwKind(op se.Op) string {
	if op == se.Squeeze || op == se.Excite {
		return "read"
	}
	return "copy"
}

// workingSet is the number of distinct bytes one call touches, which decides
// the cache level it runs from. It is BytesPerOp except for the Forward ops,
// which read x twice (squeeze, then scale) but hold it in cache once.
func workingSet(s se.Shape, op se.Op) int64 {
	ws := se.BytesPerOp(s, op, 1)
	if op == se.Forward || op == se.ForwardAddReLU {
		ws -= 4 * int64(s.Size())
	}
	return ws
}

// referenceLoop returns a function that streams ws bytes n times the way an
// op of that kind would at best: membw.Sum over all of them (read), or
// membw.Copy of one half onto the other (copy). Timed in the same turns as
// the kernels and over the very same number of bytes, it is the bandwidth
// the op's working set gets on this machine right now: a figure measured at
// another size would not do, as an AMD Zen 5 core streams a 98 KiB working
// set from L2 at three quarters of the rate of a 512 KiB one.
func referenceLoop(ws int64, kind string) func(n int) {
	buf := make([]float32, ws/4)
	for i := range buf {
		buf[i] = 1 // order-1 values: denormals would slow the sum down
	}
	if kind == "read" {
		return func(n int) {
			for range n {
				membw.Sum(buf)
			}
		}
	}
	src, dst := buf[:len(buf)/2], buf[len(buf)/2:]
	return func(n int) {
		for range n {
			membw.Copy(dst, src)
		}
	}
}

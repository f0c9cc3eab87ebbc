package membw

import (
	"fmt"
	"time"
)

// Level is a point of the memory hierarchy to measure: a working set (the
// bytes one pass touches) that sits in that level, and the largest working
// set its figure stands for when comparing kernels with it.
type Level struct {
	Name  string // "L1", "L2", "L3", "DRAM"
	Bytes int    // working set measured, in bytes
	Limit int64  // largest working set the figure applies to; 0 means no limit
}

func (l Level) String() string { return fmt.Sprintf("%s %s", l.Name, Size(int64(l.Bytes))) }

// Bandwidth is what one core sustains at one level, in GB/s (1e9 bytes/s).
type Bandwidth struct {
	Level
	Read float64 // summing an array: bytes read per second
	Copy float64 // copying one half of the working set to the other: bytes read + written per second
}

// For returns the bandwidth whose level applies to a working set of ws bytes:
// the first level whose Limit it fits, else the last.
func For(bws []Bandwidth, ws int64) Bandwidth {
	for _, b := range bws {
		if b.Limit == 0 || ws <= b.Limit {
			return b
		}
	}
	return bws[len(bws)-1]
}

// Measure measures read and copy bandwidth at each level, spending about
// target on each figure. A figure is the fastest of several timed chunks:
// the machine's limit is what it reaches when nothing else gets in the way,
// and a shared machine only ever makes a chunk slower.
func Measure(levels []Level, target time.Duration) []Bandwidth {
	largest := 0
	for _, l := range levels {
		largest = max(largest, l.Bytes)
	}
	buf := make([]float32, largest/4)
	for i := range buf {
		buf[i] = 1 // order-1 values: denormals would slow the sum down
	}
	out := make([]Bandwidth, len(levels))
	for i, l := range levels {
		x := buf[:l.Bytes/4]
		src, dst := x[:len(x)/2], x[len(x)/2:]
		out[i] = Bandwidth{
			Level: l,
			Read:  rate(int64(len(x))*4, target, func() { Sum(x) }), // calls into assembly are never optimised away
			Copy:  rate(int64(len(src))*8, target, func() { Copy(dst, src) }),
		}
	}
	return out
}

// chunks is how many timed chunks a figure is the best of. Many short
// chunks beat a few long ones on a shared machine: the shared L3 in
// particular is quiet only in short windows.
const chunks = 20

// rate runs pass (which touches bytes bytes) repeatedly for about target and
// returns the best chunk's throughput in GB/s.
func rate(bytes int64, target time.Duration, pass func()) float64 {
	pass() // bring the working set into its level
	n := 1
	for {
		t := timeN(n, pass)
		if t >= target/chunks || n >= 1<<30 {
			break
		}
		n = grow(n, t, target/chunks)
	}
	best := time.Duration(1<<63 - 1)
	for range chunks {
		best = min(best, timeN(n, pass))
	}
	return float64(bytes) * float64(n) / float64(best.Nanoseconds())
}

func timeN(n int, pass func()) time.Duration {
	start := time.Now()
	for range n {
		pass()
	}
	return time.Since(start)
}

// grow returns the next iteration count to try after n took t, aiming at
// target: a prediction with 20 % margin, at least n+1 and at most 100n.
func grow(n int, t, target time.Duration) int {
	next := 100 * n
	if t > 0 {
		next = int(float64(n) * 1.2 * float64(target) / float64(t))
	}
	return max(n+1, min(next, 100*n))
}

// Size formats a byte count with a binary unit: "32K", "1M", "64M", "123B".
func Size(b int64) string {
	switch {
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%dM", b>>20)
	case b >= 1<<10 && b%(1<<10) == 0:
		return fmt.Sprintf("%dK", b>>10)
	}
	return fmt.Sprintf("%dB", b)
}

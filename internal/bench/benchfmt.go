package bench

import (
	"fmt"
	"io"
	"math"
	"runtime"
)

// WriteBenchFormat prints one Go benchmark line per measurement, in the
// format go test -bench prints, so benchstat reads the output directly:
// BenchmarkForward/bottleneck1_nchw/specialised-2  N  123 ns/op  4567.89 MB/s.
// N counts the calls of all timed loops; ns/op is the median loop's. The
// pkg line names the command, whose output this is.
func (r *KernelResult) WriteBenchFormat(w io.Writer) {
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: github.com/segen/segen/cmd/segen\ncpu: %s\n", r.Machine.GOOS, r.Machine.GOARCH, r.Machine.CPU)
	procs := runtime.GOMAXPROCS(0)
	for _, m := range r.Records {
		n := m.Iterations * len(m.Chunks)
		fmt.Fprintf(w, "Benchmark%s/%s/%s-%d\t%s\n", m.Op, m.Block.Name, m.Impl, procs, benchLine(n, m.NsPerOp, m.Bytes))
	}
}

// benchLine formats n calls of ns nanoseconds each moving bytes bytes as
// testing.BenchmarkResult.String does, without linking package testing
// into the binary: "N  ns/op  MB/s", ns/op with as many decimals as its
// size calls for.
func benchLine(n int, ns float64, bytes int64) string {
	var format string
	switch y := math.Abs(ns); {
	case y == 0 || y >= 999.95:
		format = "%10.0f ns/op"
	case y >= 99.995:
		format = "%12.1f ns/op"
	case y >= 9.9995:
		format = "%13.2f ns/op"
	case y >= 0.99995:
		format = "%14.3f ns/op"
	case y >= 0.099995:
		format = "%15.4f ns/op"
	case y >= 0.0099995:
		format = "%16.5f ns/op"
	case y >= 0.00099995:
		format = "%17.6f ns/op"
	default:
		format = "%18.7f ns/op"
	}
	line := fmt.Sprintf("%8d", n)
	if ns != 0 {
		line += fmt.Sprintf("\t"+format, ns)
	}
	if bytes > 0 && ns > 0 {
		line += fmt.Sprintf("\t%7.2f MB/s", float64(bytes)/ns*1e3)
	}
	return line
}

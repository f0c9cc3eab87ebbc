package bench

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestWriteBenchFormat checks one benchmark line per record, N counting
// the calls of every loop.
func TestWriteBenchFormat(t *testing.T) {
	var out bytes.Buffer
	r := synthetic(t)
	r.WriteBenchFormat(&out)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if want := "goos: linux\ngoarch: amd64\npkg: github.com/segen/segen/cmd/segen\ncpu: Test CPU"; strings.Join(lines[:4], "\n") != want {
		t.Errorf("config lines %q, want %q", lines[:4], want)
	}
	if len(lines) != 4+len(r.Records) {
		t.Fatalf("%d lines, want 4 config lines and one per record:\n%s", len(lines), out.String())
	}
	m := r.Records[3] // generic, run 2
	want := fmt.Sprintf("BenchmarkSqueeze/basic4_nchw/generic-%d\t%s", runtime.GOMAXPROCS(0), benchLine(10, 900, m.Bytes))
	if lines[4+3] != want {
		t.Errorf("line %q, want %q", lines[4+3], want)
	}
}

// TestBenchLine checks that -bench-format's lines are the ones go test
// -bench prints, which benchstat reads.
func TestBenchLine(t *testing.T) {
	for _, c := range []struct {
		n     int
		ns    float64
		bytes int64
	}{{1, 0, 0}, {1000, 0.5, 4}, {4, 12.25, 0}, {100, 123.4, 4096}, {3, 5e6, 1 << 20}, {1 << 20, 2.5, 64}} {
		want := testing.BenchmarkResult{N: c.n, T: time.Duration(c.ns * float64(c.n)), Bytes: c.bytes}.String()
		if got := benchLine(c.n, c.ns, c.bytes); got != want {
			t.Errorf("benchLine(%d, %v, %d) = %q, want %q", c.n, c.ns, c.bytes, got, want)
		}
	}
}

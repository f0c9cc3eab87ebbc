package bench

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/segen/segen/se"
)

// TestWriteTable checks that the table shows the median run of each
// implementation and its speedup over generic's median run.
func TestWriteTable(t *testing.T) {
	var out bytes.Buffer
	synthetic(t).WriteTable(&out)
	table := out.String()
	spaced := regexp.MustCompile(` +`).ReplaceAllString(table, " ") // tabwriter sets the widths
	gbs := float64(se.BytesPerOp(block(t, "basic4_nchw").Kernel.Shape(), se.Squeeze, 1)) / 110
	for _, want := range []string{
		"median of 5 loops of ~1 ms, implementations taking turns; median of 3 runs\n",
		"machine: linux/amd64, Test CPU, 2 CPUs, go1.x; ISA: specialised avx2, generic go\n",
		"(L1 if ≤ 32K, else DRAM)",
		"basic4_nchw nchw 512×7×7, hidden 32, avg squeeze, bias; activation 0.10 MiB\n",
		fmt.Sprintf(" Squeeze specialised 110 %.1f %.0f%% DRAM read 500 9.09×\n", gbs, 100*gbs/500),
		" generic 1,000 102.4 20% DRAM read 500 1.00×\n",
		"Above 100 %",
		"geometric-mean speedup over generic (1 block × 1 op):\n specialised 9.09×\n",
		"6 measurements in 1.5 s\n",
	} {
		if !strings.Contains(spaced, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if regexp.MustCompile(`(?m)^ +read \(sum\) +100\.0 +20\.0 *$`).FindString(table) == "" {
		t.Errorf("table lacks the read bandwidth row:\n%s", table)
	}
}

func TestFormatNs(t *testing.T) {
	for ns, want := range map[float64]string{12.34: "12.3", 99.94: "99.9", 100: "100", 1234: "1,234", 1234567.4: "1,234,567"} {
		if got := formatNs(ns); got != want {
			t.Errorf("formatNs(%v) = %q, want %q", ns, got, want)
		}
	}
}

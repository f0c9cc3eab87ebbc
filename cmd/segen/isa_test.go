package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/segen/segen/isa"
)

// TestIsa checks that "segen isa" prints what package isa says this CPU
// runs, best first, ending with go.
func TestIsa(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"isa"}, &out, &errs); code != 0 {
		t.Fatalf("segen isa: exit %d: %s", code, errs.String())
	}
	var want []string
	for _, i := range isa.Supported(isa.All...) {
		want = append(want, i.String())
	}
	if got := strings.Fields(out.String()); strings.Join(got, " ") != strings.Join(want, " ") || got[len(got)-1] != "go" {
		t.Errorf("segen isa printed %q, want %q", got, want)
	}
	if code := run([]string{"isa", "extra"}, &out, &errs); code != 2 {
		t.Errorf("segen isa extra: exit %d, want 2", code)
	}
}

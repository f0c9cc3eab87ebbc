package isa

import "testing"

func TestNames(t *testing.T) {
	for _, i := range All {
		got, err := Parse(i.String())
		if err != nil || got != i {
			t.Errorf("Parse(%q) = %v, %v", i, got, err)
		}
	}
	if _, err := Parse("sse"); err == nil {
		t.Error("Parse(sse) did not fail")
	}
	if AVX512.Suffix() != "AVX512" || Go.Suffix() != "Go" {
		t.Errorf("suffixes %s, %s", AVX512.Suffix(), Go.Suffix())
	}
}

// TestChoose checks the choice against the CPU and SEGEN_ISA (CI runs the
// tests with each value): the override wins when the CPU runs it, and a
// package without kernels for an instruction set never chooses it.
func TestChoose(t *testing.T) {
	s := Supported(All...)
	if s[len(s)-1] != Go {
		t.Fatalf("Supported = %v does not end with go", s)
	}
	want := s[0]
	if o, err := Parse(Override()); err == nil && o.Runs() {
		want = o
	} else if Override() != "" {
		t.Fatalf("%s=%s, but this CPU and build run only %v", Env, Override(), s)
	}
	if got := Choose(All...); got != want {
		t.Errorf("Choose(All) = %v, want %v", got, want)
	}
	if got := Choose(); got != Go {
		t.Errorf("Choose() = %v, want go", got)
	}
	if AVX2.Runs() {
		if got := Choose(AVX2); got != AVX2 && !(got == Go && Override() == "go") {
			t.Errorf("Choose(avx2) = %v", got)
		}
	}
	for _, i := range Supported(AVX2) {
		if i == AVX512 {
			t.Error("Supported(avx2) lists avx512")
		}
	}
}

package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// committed maps each spec of the repository to the package generated from it.
var committed = map[string]string{
	"../spec/se.yaml":         "../generated/sekernels",
	"../spec/awkward.yaml":    "../generated/awkward",
	"../spec/stochastic.yaml": "../generated/stochastic",
}

// TestCommittedPackagesFresh renders every spec of the repository and
// compares the result with the committed package byte for byte: generated
// code is never edited by hand and never stale.
func TestCommittedPackagesFresh(t *testing.T) {
	for specPath, dir := range committed {
		s, err := LoadSpec(specPath)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan(s)
		if err != nil {
			t.Fatal(err)
		}
		cmd, err := generateCommand(s, dir, "")
		if err != nil {
			t.Fatal(err)
		}
		files, err := p.Files(cmd)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range files {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Errorf("%s: %v (run go generate ./...)", dir, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s differs from what %s generates (run go generate ./...)", dir, name, specPath)
			}
		}
	}
}

// TestGenerateDeterministic generates the default package twice into fresh
// directories and expects identical bytes.
func TestGenerateDeterministic(t *testing.T) {
	s, err := LoadSpec("../spec/se.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := Generate(s, dir, ""); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 7 {
		t.Fatalf("only %d files generated", len(entries))
	}
	for _, e := range entries {
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", e.Name())
		}
	}
}

// TestGenerateKeepsHandWrittenFiles checks that regeneration removes files
// segen wrote before but no longer produces, and nothing else.
func TestGenerateKeepsHandWrittenFiles(t *testing.T) {
	s, err := ParseSpec("tiny.yaml", []byte("package: tiny\nblocks:\n  - {name: a, channels: 8, hidden: 2, height: 3, width: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stale := filepath.Join(dir, "old_generated.go")
	mine := filepath.Join(dir, "mine.go")
	os.WriteFile(stale, []byte("// "+header+"\n\npackage tiny\n"), 0o644)
	os.WriteFile(mine, []byte("package tiny\n"), 0o644)
	if err := Generate(s, dir, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale generated file survived: %v", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("hand-written file removed: %v", err)
	}
}

// TestGeneratePackageOverride checks -pkg: both the package clause and
// the package's go:generate directive carry the new name.
func TestGeneratePackageOverride(t *testing.T) {
	s, err := ParseSpec("tiny.yaml", []byte("package: tiny\nblocks:\n  - {name: a, channels: 8, hidden: 2, height: 3, width: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Generate(s, dir, "renamed"); err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile(filepath.Join(dir, "blocks.go"))
	if !strings.Contains(string(src), "package renamed") || !strings.Contains(string(src), "-pkg renamed") {
		t.Errorf("blocks.go does not use the package override:\n%s", src[:min(len(src), 600)])
	}
	for _, bad := range []string{"Upper", "func", "1abc", "a-b", "main", "_"} {
		if err := Generate(s, t.TempDir(), bad); err == nil {
			t.Errorf("package name %q accepted", bad)
		}
	}
}

// TestPlanNameCollision checks that two block names that map to one Go
// identifier are reported instead of producing code that does not compile.
func TestPlanNameCollision(t *testing.T) {
	s, err := ParseSpec("x.yaml", []byte("package: x\nblocks:\n  - {name: stage_1, channels: 8, hidden: 2, height: 3, width: 3}\n  - {name: stage1, channels: 16, hidden: 2, height: 3, width: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewPlan(s)
	if err == nil || !strings.Contains(err.Error(), "Stage1") {
		t.Fatalf("got %v, want a collision error naming Stage1", err)
	}
}

// TestPlanSharesFC checks that blocks of equal excitation size share FC kernels.
func TestPlanSharesFC(t *testing.T) {
	s, err := LoadSpec("../spec/se.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(s)
	if err != nil {
		t.Fatal(err)
	}
	// 23 blocks have 11 distinct (C, hidden) pairs, 64/4, 64/8, 128/8,
	// 256/16, 512/32, 1024/64 and 2048/128 of the SE-ResNets and 320/20,
	// 576/36, 608/38 and 1056/66 of SE-BN-Inception (whose 256/16 and
	// 1024/64 are shared), each with two layers: 22 kernels.
	fcs := 0
	for _, k := range p.Kernels {
		if k.Block == "" {
			fcs++
		}
	}
	if fcs != 22 {
		t.Errorf("%d FC kernels, want 22:\n%v", fcs, p)
	}
	if got := p.String(); !strings.Contains(got, "bottleneck4_nchw") || !strings.Contains(got, "fc128x2048ReLUBias") {
		t.Errorf("plan printout lacks blocks or kernels:\n%s", got)
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateCommand runs "segen generate" end to end on a small spec and
// checks the package it writes.
func TestGenerateCommand(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "tiny.yaml")
	os.WriteFile(spec, []byte("package: tiny\nblocks:\n  - {name: head, channels: 13, hidden: 3, height: 5, width: 7, layout: nhwc}\n"), 0o644)
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"generate", "-spec", spec, "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, name := range []string{"blocks.go", "kernels_amd64.s", "kernels_amd64.go", "kernels_go.go", "kernels_test.go", "impl_amd64.go", "impl_other.go"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	blocks, _ := os.ReadFile(filepath.Join(out, "blocks.go"))
	if !strings.Contains(string(blocks), "package tiny") || !strings.Contains(string(blocks), "-spec ../tiny.yaml -out .") {
		t.Errorf("blocks.go lacks the package clause or a relative go:generate line")
	}

	stdout.Reset()
	if code := run([]string{"generate", "-spec", spec, "-plan"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "head") {
		t.Errorf("-plan: exit %d, output %q", code, stdout.String())
	}
}

// TestGenerateErrors checks exit statuses and messages for bad command lines
// and bad specs, and that a bad spec writes nothing.
func TestGenerateErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("package: x\nblocks:\n  - {name: a, channels: 0, hidden: 2, height: 3, width: 3}\n"), 0o644)
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"generate"}, 2, "Usage: segen generate"},
		{[]string{"generate", "-spec", bad}, 2, "Usage: segen generate"},
		{[]string{"generate", "-bogus"}, 2, "flag provided but not defined"},
		{[]string{"generate", "-spec", bad, "-out", out}, 1, "bad.yaml:3:25: channels: must be between 1 and 16384, got 0"},
		{[]string{"generate", "-spec", filepath.Join(dir, "none.yaml"), "-out", out}, 1, "none.yaml"},
		{[]string{"generate", "-spec", bad, "-out", out, "extra"}, 1, "unexpected argument"},
		{[]string{"generate", "-h"}, 0, "-spec file"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(c.args, &stdout, &stderr)
		if code != c.code || !strings.Contains(stdout.String()+stderr.String(), c.want) {
			t.Errorf("%v: exit %d, output %q; want exit %d and %q", c.args, code, stdout.String()+stderr.String(), c.code, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed generate created %s", out)
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/hub"
	"github.com/segen/segen/runtime/labels"
)

// TestClassNames checks which names win: -labels, then config.json's
// label_names, then timm's ImageNet names by the class count; and that
// -labels none turns them all off.
func TestClassNames(t *testing.T) {
	dir := t.TempDir()
	numbered := func(prefix string, n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = prefix + strconv.Itoa(i)
		}
		return s
	}
	file := filepath.Join(dir, "labels.txt")
	os.WriteFile(file, []byte(strings.Join(numbered("file", 1000), "\n")+"\n"), 0o644)
	data, _ := json.Marshal(map[string]any{"architecture": "resnet18", "num_classes": 1000, "label_names": numbered("cfg", 1000)})
	cfg, err := hub.ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	folder := &hub.Model{Dir: dir, Config: cfg}
	in1k, _ := labels.ImageNet(1000)
	in12k, _ := labels.ImageNet(11821)

	for _, c := range []struct {
		file    string
		folder  *hub.Model
		classes int
		want    []string
		from    string
	}{
		{"", nil, 1000, in1k, "timm's imagenet-1k (by the class count, 1000)"},
		{"", nil, 11821, in12k, "timm's imagenet-12k (by the class count, 11821)"},
		{"", nil, 10, nil, "none: 10 classes match no ImageNet subset timm knows"},
		{"", folder, 1000, numbered("cfg", 1000), filepath.Join(dir, "config.json") + "'s label_names"},
		{file, folder, 1000, numbered("file", 1000), file},
		{file, nil, 1000, numbered("file", 1000), file},
		{"none", folder, 1000, nil, "none (-labels none)"},
		{"none", nil, 1000, nil, "none (-labels none)"},
	} {
		names, from, err := classNames(c.file, c.folder, c.classes)
		if err != nil {
			t.Errorf("-labels %q, %d classes: %v", c.file, c.classes, err)
			continue
		}
		if !slices.Equal(names, c.want) || !strings.HasPrefix(from, c.from) {
			t.Errorf("-labels %q, folder %v, %d classes: got %d names (%.3q…) from %q, want %d from %q",
				c.file, c.folder != nil, c.classes, len(names), names[:min(len(names), 2)], from, len(c.want), c.from)
		}
	}
	if _, _, err := classNames(file, nil, 11821); err == nil || !strings.Contains(err.Error(), "1000 names for a model of 11821 classes") {
		t.Errorf("a -labels file of the wrong length: %v", err)
	}
	if _, _, err := classNames("", folder, 11821); err == nil || !strings.Contains(err.Error(), "1000 label names for a model of 11821 classes") {
		t.Errorf("label_names of the wrong length: %v", err)
	}
}

// TestRunImageNetNames runs a 1000-class network without names and
// checks that each top class printed carries timm's ImageNet-1k name, and
// that -labels none prints the indices alone.
func TestRunImageNetNames(t *testing.T) {
	skipUnderRace(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "pic.png")
	writePNG(t, img, 40, 30)
	in1k, _ := labels.ImageNet(1000)

	code, stdout, stderr := runCmd("run", "-v", "-arch", "resnet18", "-seed", "1", "-size", "32", img)
	if code != 0 {
		t.Fatal(stderr)
	}
	if want := "class names: timm's imagenet-1k"; !strings.Contains(stderr, want) {
		t.Errorf("-v does not say %q:\n%s", want, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")[1:]
	if len(lines) != 5 {
		t.Fatalf("%d classes printed, want 5:\n%s", len(lines), stdout)
	}
	for _, line := range lines {
		var c int
		var p float64
		if _, err := fmt.Sscan(line, &c, &p); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if want := fmt.Sprintf("  %5d  %.4f  %s", c, p, in1k[c]); line != want {
			t.Errorf("got %q, want %q", line, want)
		}
	}

	code, stdout, stderr = runCmd("run", "-v", "-labels", "none", "-arch", "resnet18", "-seed", "1", "-size", "32", img)
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n")[1:] {
		if len(strings.Fields(line)) != 2 {
			t.Errorf("-labels none: line %q is not index and probability", line)
		}
	}
	if want := "class names: none (-labels none)"; !strings.Contains(stderr, want) {
		t.Errorf("-v does not say %q:\n%s", want, stderr)
	}
}

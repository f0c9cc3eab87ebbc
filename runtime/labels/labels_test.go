package labels

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// timmNames is testdata/labels/timm_names.json, written by
// tools/label_fixtures.py from the real timm.
type timmNames struct {
	Timm    string             `json:"timm"`
	Subsets map[string]*string `json:"subsets"` // class count → subset, null for none
	Names   map[string]struct {
		Classes int               `json:"classes"`
		Names   map[string]string `json:"names"` // class index → name
	} `json:"names"`
}

func readFixture(t *testing.T) timmNames {
	t.Helper()
	data, err := os.ReadFile("../../testdata/labels/timm_names.json")
	if err != nil {
		t.Fatal(err)
	}
	var f timmNames
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Names) == 0 || len(f.Subsets) == 0 {
		t.Fatal("timm_names.json holds no names")
	}
	return f
}

// TestTimmNames checks the embedded names against timm's own for a spread
// of classes of every subset, and the subset inferred from each class
// count against timm's infer_imagenet_subset.
func TestTimmNames(t *testing.T) {
	f := readFixture(t)
	for count, want := range f.Subsets {
		n, err := strconv.Atoi(count)
		if err != nil {
			t.Fatal(err)
		}
		names, subset := ImageNet(n)
		switch {
		case want == nil && (names != nil || subset != ""):
			t.Errorf("%d classes: got %d names of %q, timm infers no subset", n, len(names), subset)
		case want != nil && subset != *want:
			t.Errorf("%d classes: got subset %q, timm infers %q", n, subset, *want)
		case want != nil && len(names) != n:
			t.Errorf("%d classes: got %d names", n, len(names))
		}
	}
	for subset, s := range f.Names {
		names, got := ImageNet(s.Classes)
		if got != subset {
			t.Errorf("%d classes: got subset %q, want %q", s.Classes, got, subset)
			continue
		}
		for index, want := range s.Names {
			i, err := strconv.Atoi(index)
			if err != nil {
				t.Fatal(err)
			}
			if names[i] != want {
				t.Errorf("%s class %d: got %q, timm %s says %q", subset, i, names[i], f.Timm, want)
			}
		}
	}
}

// TestSubsets checks that every subset decodes whole: the class counts
// timm's subsets have, each name valid UTF-8 on one line and not empty.
func TestSubsets(t *testing.T) {
	want := map[int]string{
		1000:  "imagenet-1k",
		11221: "imagenet-21k-miil",
		11821: "imagenet-12k",
		21841: "imagenet-22k",
		21842: "imagenet-22k-ms",
		21843: "imagenet-21k-goog",
	}
	got := Subsets()
	if len(got) != len(want) {
		t.Errorf("got %d subsets %v, want %v", len(got), got, want)
	}
	for n, subset := range want {
		if got[n] != subset {
			t.Errorf("%d classes: Subsets says %q, want %q", n, got[n], subset)
		}
		names, s := ImageNet(n)
		if s != subset || len(names) != n {
			t.Errorf("%d classes: got %d names of %q", n, len(names), s)
		}
		for i, name := range names {
			if name == "" || strings.TrimSpace(name) != name || strings.ContainsAny(name, "\n\r\t") || !utf8.ValidString(name) {
				t.Errorf("%s class %d: name %q", subset, i, name)
			}
		}
	}
	// ImageNet-1k is the first 1000 classes of the Microsoft ImageNet-22k.
	in1k, _ := ImageNet(1000)
	ms, _ := ImageNet(21842)
	for i := range in1k {
		if in1k[i] != ms[i] {
			t.Fatalf("class %d: imagenet-1k %q, imagenet-22k-ms %q", i, in1k[i], ms[i])
		}
	}
}

// TestLemmas checks that every line of lemmas.txt is named by a subset:
// the generator writes no name it does not need.
func TestLemmas(t *testing.T) {
	lemmas, err := readLemmas()
	if err != nil {
		t.Fatal(err)
	}
	subsets, err := readSubsets()
	if err != nil {
		t.Fatal(err)
	}
	used := make([]bool, len(lemmas))
	for _, s := range subsets {
		for _, l := range s.lines {
			if l >= len(lemmas) {
				t.Fatalf("%s names line %d of %d", s.name, l, len(lemmas))
			}
			used[l] = true
		}
	}
	for l, u := range used {
		if !u {
			t.Errorf("line %d (%q) of lemmas.txt is in no subset", l, lemmas[l])
		}
	}
}

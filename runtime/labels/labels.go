// Package labels names the classes of ImageNet classifiers as timm does
// for a model whose config gives no names: the class count identifies the
// ImageNet subset (timm's infer_imagenet_subset: 1000 classes are
// ImageNet-1k, 11821 timm's ImageNet-12k, 21843 Google's ImageNet-21k, …)
// and each class is named by the WordNet lemmas of its synset, the string
// timm's ImageNetInfo.index_to_description gives ("tench, Tinca tinca").
//
// The names are timm's own, written by tools/imagenet_labels.py from
// timm's ImageNetInfo into lemmas.txt.gz (every synset's name once) and
// subsets.txt.gz (each subset's classes as lines of lemmas.txt); the
// script's doc describes the format. They are decoded only when asked for.
package labels

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
)

var (
	//go:embed lemmas.txt.gz
	lemmasGz []byte
	//go:embed subsets.txt.gz
	subsetsGz []byte
)

// ImageNet returns timm's names for the classes of a classifier of n
// classes and the ImageNet subset they are from ("imagenet-1k"), or nil
// and "" when n is no subset's class count.
func ImageNet(n int) (names []string, subset string) {
	for _, s := range must(readSubsets()) {
		if len(s.lines) == n {
			lemmas := must(readLemmas())
			names = make([]string, n)
			for i, l := range s.lines {
				if l >= len(lemmas) {
					panic(fmt.Sprintf("labels: %s class %d names line %d of lemmas.txt, which has %d", s.name, i, l, len(lemmas)))
				}
				names[i] = lemmas[l]
			}
			return names, s.name
		}
	}
	return nil, ""
}

// Subsets returns the ImageNet subsets timm infers from a class count,
// by class count.
func Subsets() map[int]string {
	out := map[int]string{}
	for _, s := range must(readSubsets()) {
		out[len(s.lines)] = s.name
	}
	return out
}

// must returns v, or panics on err: the embedded data, which the
// package's tests check, does not fail to decode.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// subset is a line of subsets.txt: the subset's name and, for each class,
// the line of lemmas.txt naming it.
type subset struct {
	name  string
	lines []int
}

// readSubsets decodes subsets.txt.gz.
func readSubsets() ([]subset, error) {
	data, err := gunzip(subsetsGz)
	if err != nil {
		return nil, fmt.Errorf("labels: subsets.txt.gz: %w", err)
	}
	var out []subset
	for row := range strings.Lines(string(data)) {
		fields := strings.Fields(row)
		if len(fields) < 2 {
			return nil, fmt.Errorf("labels: subsets.txt.gz: line %q: want a name and a class count", row)
		}
		s := subset{name: fields[0]}
		classes, err := strconv.Atoi(fields[1])
		if err != nil || classes != len(fields)-2 {
			return nil, fmt.Errorf("labels: subsets.txt.gz: %s: class count %s, %d classes listed", s.name, fields[1], len(fields)-2)
		}
		line := 0
		for i, d := range fields[2:] {
			v, err := strconv.Atoi(d)
			if line += v; err != nil || line < 0 {
				return nil, fmt.Errorf("labels: subsets.txt.gz: %s class %d: %q is not a line difference", s.name, i, d)
			}
			s.lines = append(s.lines, line)
		}
		out = append(out, s)
	}
	return out, nil
}

// readLemmas decodes lemmas.txt.gz.
func readLemmas() ([]string, error) {
	data, err := gunzip(lemmasGz)
	if err != nil {
		return nil, fmt.Errorf("labels: lemmas.txt.gz: %w", err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"), nil
}

func gunzip(data []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// Package paritytest holds what the model packages' parity tests share:
// the PyTorch fixtures that tools/*_fixtures.py write, weights encoded as
// a file the way a checkpoint arrives, logits compared with PyTorch's, and
// parameter lists compared with a state dict's keys. Only tests import it.
package paritytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/tensor"
)

// Fixture is one safetensors file of a fixture directory.
type Fixture struct {
	Name string // the file's name without .safetensors
	Path string
	*safetensors.File
}

// Fixtures reads every .safetensors file of dir, which script writes; t
// fails when there is none.
func Fixtures(t testing.TB, dir, script string) []Fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s (run %s): %v", dir, script, err)
	}
	var out []Fixture
	for _, path := range paths {
		f, err := safetensors.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Fixture{Name: strings.TrimSuffix(filepath.Base(path), ".safetensors"), Path: path, File: f})
	}
	return out
}

// Uint returns the metadata entry key as a number.
func (fx Fixture) Uint(t testing.TB, key string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(fx.Metadata[key], 10, 64)
	if err != nil {
		t.Fatalf("%s: %s: %v", fx.Path, key, err)
	}
	return v
}

// Tensor returns the fixture's float tensor name.
func (fx Fixture) Tensor(t testing.TB, name string) *tensor.Tensor {
	t.Helper()
	tt, ok := fx.Lookup(name)
	if !ok {
		t.Fatalf("%s: no tensor %q", fx.Path, name)
	}
	v, err := tt.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return &tensor.Tensor{Shape: tt.Shape, Data: v}
}

// AsFile returns ts encoded as a safetensors file, with the metadata
// PyTorch's writer gives it, and parsed again, so a test goes through
// exactly what loading a checkpoint does.
func AsFile(t testing.TB, ts []safetensors.Tensor) *safetensors.File {
	t.Helper()
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// WeightsFile returns random(arch, classes, seed) — a model package's
// RandomWeights — as a file, encoded and parsed again (AsFile).
func WeightsFile(t testing.TB, random func(arch string, classes int, seed uint64) ([]safetensors.Tensor, error), arch string, classes int, seed uint64) *safetensors.File {
	t.Helper()
	ts, err := random(arch, classes, seed)
	if err != nil {
		t.Fatal(err)
	}
	return AsFile(t, ts)
}

// Compare checks got against PyTorch's logits want, [N, classes]: max |Δ| ≤
// 1e-4 × max |logit| and the same top-1 class for every sample. It returns
// max |Δ|.
func Compare(t testing.TB, got, want *tensor.Tensor) float64 {
	t.Helper()
	if !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("logits shape %v, want %v", got.Shape, want.Shape)
	}
	var diff float64
	for i, w := range want.Data {
		diff = max(diff, math.Abs(float64(got.Data[i])-float64(w)))
	}
	if peak := PeakAbs(want.Data); !(diff <= 1e-4*peak) {
		t.Errorf("max |Δ| = %.3g > 1e-4 × max |logit| (%.3g)", diff, peak)
	}
	classes := want.Shape[1]
	for i := range want.Shape[0] {
		if g, w := Argmax(got.Data[i*classes:(i+1)*classes]), Argmax(want.Data[i*classes:(i+1)*classes]); g != w {
			t.Errorf("sample %d: top-1 class %d, PyTorch says %d", i, g, w)
		}
	}
	return diff
}

// PeakAbs returns max |v[i]| (0 for no values).
func PeakAbs(v []float32) float64 {
	p := 0.0
	for _, x := range v {
		p = max(p, math.Abs(float64(x)))
	}
	return p
}

// Argmax returns the index of the largest value of v, the first of equals:
// the top-1 class of a row of logits.
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Keys reads a keys fixture — JSON, architecture → [[name, shape], …] in
// state-dict order, as the fixture scripts write it — into each
// architecture's entries as ParamKeys formats them, leaving out those
// safetensors.Ignored skips.
func Keys(t testing.TB, data []byte) map[string][]string {
	t.Helper()
	var byArch map[string][][2]json.RawMessage
	if err := json.Unmarshal(data, &byArch); err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]string, len(byArch))
	for arch, entries := range byArch {
		keys := []string{}
		for _, kv := range entries {
			var key string
			var shape []int
			if err := json.Unmarshal(kv[0], &key); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(kv[1], &shape); err != nil {
				t.Fatal(err)
			}
			if !safetensors.Ignored(key) {
				keys = append(keys, fmt.Sprint(key, shape))
			}
		}
		out[arch] = keys
	}
	return out
}

// ParamKeys formats ps as "name[d0 d1 …]", one string each, for comparing
// with Keys.
func ParamKeys(ps []safetensors.Param) []string {
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = fmt.Sprint(p.Name, p.Shape)
	}
	return keys
}

// FirstDiff describes where lists a and b first differ.
func FirstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%q vs %q", a[i], b[i])
		}
	}
	return "one list is a prefix of the other"
}

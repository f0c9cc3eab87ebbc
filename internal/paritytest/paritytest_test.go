package paritytest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/tensor"
)

// recorder is a testing.TB that keeps its errors instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestCompare(t *testing.T) {
	want := &tensor.Tensor{Shape: []int{2, 3}, Data: []float32{1, 5, 2, -8, 2.9999, 3}}
	for _, tc := range []struct {
		name   string
		got    []float32
		errors int
	}{
		{"close", []float32{1, 5.0001, 2, -8, 2.9999, 3}, 0},
		{"off", []float32{1, 5.01, 2, -8, 2.9999, 3}, 1},
		{"top-1", []float32{1, 5, 2, -8, 3.0001, 3}, 1}, // within 1e-4 × 8, but class 1 wins sample 1
	} {
		r := &recorder{TB: t}
		Compare(r, &tensor.Tensor{Shape: want.Shape, Data: tc.got}, want)
		if len(r.errors) != tc.errors {
			t.Errorf("%s: errors %q, want %d", tc.name, r.errors, tc.errors)
		}
	}
}

func TestKeys(t *testing.T) {
	data := []byte(`{"tiny": [["w", [2, 3]], ["bn.num_batches_tracked", []], ["b", [2]]]}`)
	got := Keys(t, data)["tiny"]
	want := ParamKeys([]safetensors.Param{{Name: "w", Shape: []int{2, 3}}, {Name: "b", Shape: []int{2}}})
	if !slices.Equal(got, want) || want[0] != "w[2 3]" {
		t.Errorf("Keys = %q, ParamKeys = %q", got, want)
	}
	if d := FirstDiff([]string{"a", "b"}, []string{"a", "c"}); d != `"b" vs "c"` {
		t.Errorf("FirstDiff = %s", d)
	}
}

func TestAsFile(t *testing.T) {
	ts := []safetensors.Tensor{safetensors.F32("z", []int{1}, []float32{2}), safetensors.F32("a", []int{2}, []float32{3, 4})}
	f := AsFile(t, ts)
	if len(f.Tensors) != 2 || f.Tensors[0].Name != "a" || f.Metadata["format"] != "pt" {
		t.Errorf("AsFile gave %+v", f)
	}
	random := func(arch string, classes int, seed uint64) ([]safetensors.Tensor, error) {
		return []safetensors.Tensor{safetensors.F32(arch, []int{classes}, make([]float32, classes))}, nil
	}
	if f := WeightsFile(t, random, "w", 3, 1); len(f.Tensors) != 1 || f.Tensors[0].Name != "w" || f.Tensors[0].Shape[0] != 3 {
		t.Errorf("WeightsFile gave %+v", f)
	}
}

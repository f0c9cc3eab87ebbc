package inception

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/tensor"
)

// file returns ts as a safetensors file (sorted by name, as parsed files are).
func file(ts []safetensors.Tensor) *safetensors.File {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, func(a, b safetensors.Tensor) int { return strings.Compare(a.Name, b.Name) })
	return &safetensors.File{Tensors: ts}
}

func TestWeightsErrors(t *testing.T) {
	good, err := RandomWeights("se_bn_inception", 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := RandomWeights("bn_inception", 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	without := func(name string) []safetensors.Tensor {
		return slices.DeleteFunc(slices.Clone(good), func(t safetensors.Tensor) bool { return t.Name == name })
	}
	reshaped := slices.Clone(good)
	for i, tt := range reshaped {
		if tt.Name == "inception_4e_1x1_down.weight" {
			reshaped[i] = safetensors.F32(tt.Name, []int{64, 1056, 1, 1}, make([]float32, 64*1056))
		}
	}
	prefixed := slices.Clone(good)
	for i, tt := range prefixed {
		prefixed[i].Name = "module." + tt.Name
	}
	for _, tc := range []struct {
		name, arch string
		ts         []safetensors.Tensor
		want       []string // substrings of the error
	}{
		{"missing", "se_bn_inception", without("inception_3a_pool_proj_bn.running_var"),
			[]string{`missing key "inception_3a_pool_proj_bn.running_var" (want shape [32])`}},
		{"unexpected", "se_bn_inception", append(slices.Clone(good), safetensors.F32("extra", []int{1}, []float32{1})),
			[]string{`unexpected key "extra"`}},
		{"shape", "se_bn_inception", reshaped,
			[]string{`key "inception_4e_1x1_down.weight" has shape [64 1056 1 1], want [66 1056 1 1]`}},
		{"plain weights for SE", "se_bn_inception", plain,
			[]string{`missing key "inception_3a_1x1_down.weight"`, "and 39 more problems", "the file's keys are those of bn_inception"}},
		{"SE weights for plain", "bn_inception", good,
			[]string{`unexpected key`, "the file's keys are those of se_bn_inception"}},
		{"prefix", "se_bn_inception", prefixed,
			[]string{`the keys carry the prefix "module."`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.arch, file(tc.ts), Options{})
			var we *WeightsError
			if !errors.As(err, &we) {
				t.Fatalf("New: %v, want a *WeightsError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := New("inception_v3", file(good), Options{}); err == nil || !strings.Contains(err.Error(), "known: se_bn_inception, bn_inception") {
		t.Errorf("unknown architecture: %v", err)
	}
}

func TestInputShape(t *testing.T) {
	m, err := NewRandom("bn_inception", 3, 1, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, shape := range [][]int{{1, 3, 256, 256}, {1, 3, 224, 223}, {1, 1, 224, 224}, {3, 224, 224}, {0, 3, 224, 224}} {
		x := tensor.New(shape...)
		if _, err := m.Forward(x); err == nil || !strings.Contains(err.Error(), "the network takes 224×224 images") {
			t.Errorf("input %v: %v", shape, err)
		}
	}
}

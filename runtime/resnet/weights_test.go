package resnet

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/tensor"
)

// edit returns arch's random weights (3 classes) changed by f, as a file.
func edit(t *testing.T, arch string, f func([]safetensors.Tensor) []safetensors.Tensor) *safetensors.File {
	t.Helper()
	return &safetensors.File{Tensors: sortTensors(f(randomWeights(t, arch, 3, 7)))}
}

func index(ts []safetensors.Tensor, name string) int {
	return slices.IndexFunc(ts, func(t safetensors.Tensor) bool { return t.Name == name })
}

func TestWeightsErrors(t *testing.T) {
	cases := []struct {
		name  string
		arch  string
		edit  func([]safetensors.Tensor) []safetensors.Tensor
		wants []string // substrings of the error
	}{
		{"missing key", "seresnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
			return slices.Delete(ts, index(ts, "layer1.0.se.fc1.bias"), index(ts, "layer1.0.se.fc1.bias")+1)
		}, []string{`missing key "layer1.0.se.fc1.bias"`, "[8]"}},
		{"unexpected key", "resnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
			return append(ts, safetensors.F32("layer1.0.attn.weight", []int{2, 2}, make([]float32, 4)))
		}, []string{`unexpected key "layer1.0.attn.weight"`, "[2 2]"}},
		{"shape mismatch", "resnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
			ts[index(ts, "layer2.0.conv1.weight")] = safetensors.F32("layer2.0.conv1.weight", []int{128, 64, 1, 1}, make([]float32, 128*64))
			return ts
		}, []string{`"layer2.0.conv1.weight"`, "[128 64 1 1]", "[128 64 3 3]"}},
		{"downsample shape", "resnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
			ts[index(ts, "layer2.0.downsample.1.running_var")] = safetensors.F32("layer2.0.downsample.1.running_var", []int{64}, make([]float32, 64))
			return ts
		}, []string{`"layer2.0.downsample.1.running_var"`, "[64]", "[128]"}},
		{"wrong dtype", "resnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
			ts[index(ts, "bn1.running_var")] = safetensors.Tensor{Name: "bn1.running_var", DType: "I64", Shape: []int{64}, Data: make([]byte, 8*64)}
			return ts
		}, []string{`"bn1.running_var"`, "I64", "F32, F16 or BF16"}},
		{"classifier rank", "resnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
			ts[index(ts, "fc.weight")] = safetensors.F32("fc.weight", []int{3 * 512}, make([]float32, 3*512))
			return ts
		}, []string{`"fc.weight"`, "[1536]", "[N 512]"}},
		{"wrong arch", "seresnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
			return slices.DeleteFunc(ts, func(t safetensors.Tensor) bool { return strings.Contains(t.Name, ".se.") })
		}, []string{`missing key "layer1.0.se.fc1.weight"`, "(and 31 more problems)", "the file's keys are those of resnet18"}},
		{"prefixed keys", "resnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i := range ts {
				ts[i].Name = "module." + ts[i].Name
			}
			return ts
		}, []string{`missing key "conv1.weight"`, `the keys carry the prefix "module."`}},
		{"prefixed keys, deep stem", "seresnext26d_32x4d", func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i := range ts {
				ts[i].Name = "model." + ts[i].Name
			}
			return ts
		}, []string{`missing key "conv1.0.weight"`, `the keys carry the prefix "model." (e.g. "model.conv1.0.weight")`}},
		{"prefixed keys, legacy stem", "legacy_seresnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i := range ts {
				ts[i].Name = "module." + ts[i].Name
			}
			return ts
		}, []string{`the keys carry the prefix "module." (e.g. "module.layer0.conv1.weight")`}},
		{"headless", "legacy_seresnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
			return slices.DeleteFunc(ts, func(t safetensors.Tensor) bool { return strings.HasPrefix(t.Name, "last_linear.") })
		}, []string{`missing key "last_linear.weight"`, "; the file has no classifier (fc.weight, or last_linear.weight in the legacy layout)"}},
		{"not weights", "resnet18", func([]safetensors.Tensor) []safetensors.Tensor {
			return []safetensors.Tensor{safetensors.F32("input", []int{1}, []float32{0}), safetensors.F32("logits", []int{1}, []float32{0})}
		}, []string{`missing key "conv1.weight"`, "the file holds no resnet18 parameter (its 2 tensors: input, logits)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			arch := tc.arch
			_, err := New(arch, edit(t, arch, tc.edit), Options{})
			if err == nil {
				t.Fatal("New accepted the weights")
			}
			t.Log(err)
			var we *WeightsError
			if !errors.As(err, &we) {
				t.Fatalf("error %T is not a *WeightsError: %v", err, err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// TestIgnoredKeys checks that num_batches_tracked is ignored whatever its
// dtype, and that a file without any still loads.
func TestIgnoredKeys(t *testing.T) {
	heavyTest(t)
	f := edit(t, "resnet18", func(ts []safetensors.Tensor) []safetensors.Tensor {
		return slices.DeleteFunc(ts, func(t safetensors.Tensor) bool { return safetensors.Ignored(t.Name) })
	})
	if _, err := New("resnet18", f, Options{}); err != nil {
		t.Fatal(err)
	}
}

// f16 encodes v, which must be exactly representable as a normal half (or
// zero), as IEEE half-precision bits.
func f16(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	if b&0x7fffffff == 0 {
		return sign
	}
	exp := int(b>>23&0xff) - 127
	return sign | uint16(exp+15)<<10 | uint16(b>>13&0x3ff)
}

// TestHalfPrecision loads the same values stored as F32, F16 and BF16 and
// checks the three models compute identical logits: half precision is
// widened exactly at load.
func TestHalfPrecision(t *testing.T) {
	heavyTest(t)
	ts := randomWeights(t, "seresnet18", 4, 3)
	var f32, half, bf16 []safetensors.Tensor
	for _, tt := range ts {
		if tt.DType != "F32" {
			f32, half, bf16 = append(f32, tt), append(half, tt), append(bf16, tt)
			continue
		}
		v, _ := tt.Float32s()
		// Round to a multiple of 2^-10 (all values are below 2): exactly
		// representable in F16, and keep 8 significant bits for BF16.
		h := make([]byte, 2*len(v))
		b := make([]byte, 2*len(v))
		for i, x := range v {
			q := float32(math.Round(float64(x)*1024) / 1024)
			binary.LittleEndian.PutUint16(h[2*i:], f16(q))
			v[i] = q
		}
		hv, _ := safetensors.Tensor{Name: tt.Name, DType: "F16", Shape: tt.Shape, Data: h}.Float32s()
		if !slices.Equal(hv, v) {
			t.Fatalf("%s: test F16 encoding does not round-trip", tt.Name)
		}
		for i, x := range v {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(math.Float32bits(x)>>16)) // truncation
		}
		f32 = append(f32, safetensors.F32(tt.Name, tt.Shape, v))
		half = append(half, safetensors.Tensor{Name: tt.Name, DType: "F16", Shape: tt.Shape, Data: h})
		bf16 = append(bf16, safetensors.Tensor{Name: tt.Name, DType: "BF16", Shape: tt.Shape, Data: b})
	}
	x := tensor.New(1, 3, 40, 40)
	for i := range x.Data {
		x.Data[i] = float32(math.Cos(float64(i) * 0.37))
	}
	run := func(ts []safetensors.Tensor) []float32 {
		m, err := New("seresnet18", &safetensors.File{Tensors: sortTensors(ts)}, Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		y, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		return y.Data
	}
	want := run(f32)
	if got := run(half); !slices.Equal(got, want) {
		t.Errorf("F16 logits %v, F32 logits %v", got, want)
	}
	// BF16 keeps only 8 significant bits: compare with F32 holding the
	// truncated values, widened by the safetensors package.
	var trunc []safetensors.Tensor
	for _, tt := range bf16 {
		if tt.DType == "BF16" {
			v, _ := tt.Float32s()
			tt = safetensors.F32(tt.Name, tt.Shape, v)
		}
		trunc = append(trunc, tt)
	}
	if got, want := run(bf16), run(trunc); !slices.Equal(got, want) {
		t.Errorf("BF16 logits %v, F32 logits of the same values %v", got, want)
	}
}

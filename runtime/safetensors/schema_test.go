package safetensors

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// tinySchema needs a 2×2 weight and a classifier of 2 features.
var tinySchema = Schema{
	Package: "tiny", Arch: "tiny1", Classifier: "head", Features: 2,
	Params: func(classes int) []Param {
		return []Param{
			{Name: "w", Shape: []int{2, 2}},
			{Name: "head.weight", Shape: []int{classes, 2}},
			{Name: "head.bias", Shape: []int{classes}},
		}
	},
}

// tinyFile holds what tinySchema needs for 3 classes, plus extra.
func tinyFile(extra ...Tensor) *File {
	ts := append([]Tensor{
		F32("w", []int{2, 2}, []float32{1, 2, 3, 4}),
		F32("head.weight", []int{3, 2}, make([]float32, 6)),
		{Name: "head.bias", DType: "F16", Shape: []int{3}, Data: []byte{0x00, 0x3c, 0x00, 0xc0, 0x00, 0x00}},
	}, extra...)
	slices.SortFunc(ts, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
	return &File{Tensors: ts}
}

func TestSchemaLoad(t *testing.T) {
	counter := Tensor{Name: "bn.num_batches_tracked", DType: "I64", Shape: []int{}, Data: make([]byte, 8)}
	classes, values, err := tinySchema.Load(tinyFile(counter))
	if err != nil {
		t.Fatal(err)
	}
	if classes != 3 {
		t.Errorf("classes = %d, want 3 (head.weight's rows)", classes)
	}
	if got := values["head.bias"]; !slices.Equal(got, []float32{1, -2, 0}) {
		t.Errorf("head.bias = %v, want the F16 values widened: [1 -2 0]", got)
	}
	if len(values) != 3 || !slices.Equal(values["w"], []float32{1, 2, 3, 4}) {
		t.Errorf("values = %v", values)
	}
}

func TestSchemaErrors(t *testing.T) {
	hinted := tinySchema
	hinted.Hint = func(f *File) string { return "a hint" }
	for _, tc := range []struct {
		name   string
		schema Schema
		file   *File
		want   []string // WeightsError.Problems, in order
		hint   string
	}{
		{"unexpected", tinySchema, tinyFile(F32("extra", []int{1}, []float32{0})),
			[]string{`unexpected key "extra" (shape [1])`}, ""},
		{"classifier rank", hinted, &File{Tensors: []Tensor{
			F32("head.bias", []int{3}, make([]float32, 3)),
			F32("head.weight", []int{6}, make([]float32, 6)),
		}}, []string{
			`missing key "w" (want shape [2 2])`,
			`key "head.weight" has shape [6], want [N 2] for N classes`,
		}, "a hint"},
		{"shape and dtype", tinySchema, &File{Tensors: []Tensor{
			{Name: "head.bias", DType: "I32", Shape: []int{3}, Data: make([]byte, 12)},
			F32("head.weight", []int{3, 2}, make([]float32, 6)),
			F32("w", []int{4}, make([]float32, 4)),
		}}, []string{
			`key "w" has shape [4], want [2 2]`,
			`key "head.bias" has dtype I32, want F32, F16 or BF16`,
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.schema.Load(tc.file)
			var we *WeightsError
			if !errors.As(err, &we) {
				t.Fatalf("Load: %v, want a *WeightsError", err)
			}
			if we.Package != "tiny" || we.Arch != "tiny1" || !slices.Equal(we.Problems, tc.want) || we.Hint != tc.hint {
				t.Errorf("got %+v, want problems %q and hint %q", *we, tc.want, tc.hint)
			}
		})
	}
	bad := tinyFile()
	bad.Tensors[0].Data = bad.Tensors[0].Data[:5] // head.bias: 5 bytes for 3 F16 values
	_, _, err := tinySchema.Load(bad)
	if want := `tiny: weights for tiny1: safetensors: tensor "head.bias": 5 bytes of data do not match shape [3] of F16 (3 elements)`; err == nil || err.Error() != want {
		t.Errorf("Load: %v, want %s", err, want)
	}
}

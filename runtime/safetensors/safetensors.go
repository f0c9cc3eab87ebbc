// Package safetensors reads and writes the safetensors format: an 8-byte
// little-endian header length N, N bytes of JSON header describing every
// tensor (dtype, shape, data_offsets relative to the data buffer) plus an
// optional "__metadata__" string map, then the data buffer.
//
// The reader validates strictly, as the reference (Rust) implementation does:
// weight files come from outside the program, so a malformed one must produce
// a clear error naming the tensor, never a panic, an out-of-range slice or an
// allocation sized by an unchecked number. It is written here rather than
// imported so the runtime has no dependencies.
package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Tensor is one named tensor of a file.
type Tensor struct {
	Name  string
	DType string // "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", ...
	Shape []int
	Data  []byte // raw little-endian bytes, len = product(Shape) × dtype size
}

// File is the content of a safetensors file.
type File struct {
	Tensors  []Tensor          // sorted by Name
	Metadata map[string]string // the "__metadata__" entry; nil when absent
}

// dtypeSizes gives the element size in bytes of every dtype the format
// defines with whole-byte elements. The sub-byte float types of recent
// versions of the spec (F4, F6_*) are not supported and read as unknown.
var dtypeSizes = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
	"U16": 2, "I16": 2, "F16": 2, "BF16": 2,
	"U32": 4, "I32": 4, "F32": 4,
	"U64": 8, "I64": 8, "F64": 8, "C64": 8,
}

// Lookup returns the tensor called name. Tensors are sorted, so it is a
// binary search.
func (f *File) Lookup(name string) (Tensor, bool) {
	i, ok := slices.BinarySearchFunc(f.Tensors, name, func(t Tensor, name string) int {
		return strings.Compare(t.Name, name)
	})
	if !ok {
		return Tensor{}, false
	}
	return f.Tensors[i], true
}

// NumElements returns the product of t's dimensions (1 for a scalar, whose
// shape is empty). For tensors returned by Parse it cannot overflow.
func (t Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Float32s returns t's values as float32: F32 is copied, F16 and BF16 are
// converted exactly (every F16 and BF16 value, subnormals, ±Inf and NaN
// included, is representable as a float32). Other dtypes are an error, as is
// Data whose length does not match the shape.
func (t Tensor) Float32s() ([]float32, error) {
	size, ok := dtypeSizes[t.DType]
	if !ok || (t.DType != "F32" && t.DType != "F16" && t.DType != "BF16") {
		return nil, fmt.Errorf("safetensors: tensor %q: cannot convert dtype %s to float32", t.Name, t.DType)
	}
	n, err := elements(t.Shape)
	if err != nil {
		return nil, fmt.Errorf("safetensors: tensor %q: %v", t.Name, err)
	}
	if n > len(t.Data)/size || len(t.Data) != n*size {
		return nil, fmt.Errorf("safetensors: tensor %q: %d bytes of data do not match shape %v of %s (%d elements)",
			t.Name, len(t.Data), t.Shape, t.DType, n)
	}
	out := make([]float32, n)
	b := t.Data
	switch t.DType {
	case "F32":
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case "F16":
		for i := range out {
			out[i] = f16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case "BF16":
		for i := range out {
			// BF16 is the top half of a float32, so widening is a shift.
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
		}
	}
	return out, nil
}

// f16ToF32 converts IEEE 754 half precision to float32 exactly.
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN; the payload (quiet bit included) is kept.
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal: rebias the exponent from 15 to 127.
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
	// Zero or subnormal: mant × 2^-24, a normal float32 computed exactly.
	f := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}

// F32 builds an F32 tensor holding a copy of data. It panics if len(data)
// is not the product of shape (or a dimension is negative): that is a
// programming error, not bad input.
func F32(name string, shape []int, data []float32) Tensor {
	n, err := elements(shape)
	if err != nil || n != len(data) {
		panic(fmt.Sprintf("safetensors: F32(%q): %d values do not fit shape %v", name, len(data), shape))
	}
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return Tensor{Name: name, DType: "F32", Shape: slices.Clone(shape), Data: b}
}

// elements returns the product of shape, or an error if a dimension is
// negative or the product overflows int. Like the reference implementation
// it multiplies left to right, so a huge shape is rejected even if a later
// dimension is zero.
func elements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, fmt.Errorf("element count of shape %v overflows", shape)
		}
		n *= d
	}
	return n, nil
}

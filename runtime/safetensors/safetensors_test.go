package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// sample returns tensors of several dtypes, in unsorted order, including a
// scalar and an empty tensor.
func sample() []Tensor {
	return []Tensor{
		F32("layer1.weight", []int{2, 3}, []float32{1, -2, 3.5, 0, float32(math.Inf(1)), 1e-40}),
		{Name: "half", DType: "F16", Shape: []int{3}, Data: []byte{0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00}},
		{Name: "count", DType: "I64", Shape: []int{}, Data: []byte{7, 0, 0, 0, 0, 0, 0, 0}},
		{Name: "empty", DType: "F32", Shape: []int{0, 4}, Data: []byte{}},
		{Name: "mask", DType: "BOOL", Shape: []int{1, 1, 3}, Data: []byte{1, 0, 1}},
		{Name: "a<b>&\"c\"", DType: "U8", Shape: []int{1}, Data: []byte{9}},
	}
}

func TestRoundTrip(t *testing.T) {
	in := sample()
	meta := map[string]string{"format": "pt", "note": "ünïcode <ok>"}
	var buf bytes.Buffer
	if err := Write(&buf, in, meta); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	n := binary.LittleEndian.Uint64(data)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	header := string(data[8 : 8+n])
	if trimmed := strings.TrimRight(header, " "); !strings.HasSuffix(trimmed, "}") || len(header)-len(trimmed) >= 8 {
		t.Errorf("header not padded with fewer than 8 spaces: %q", header)
	}
	if !strings.HasPrefix(header, `{"__metadata__":{"format":"pt","note":"ünïcode <ok>"},"a<b>&\"c\"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},`) {
		t.Errorf("unexpected header layout: %s", header)
	}

	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Metadata, meta) {
		t.Errorf("metadata = %v, want %v", f.Metadata, meta)
	}
	if len(f.Tensors) != len(in) {
		t.Fatalf("got %d tensors, want %d", len(f.Tensors), len(in))
	}
	for i := 1; i < len(f.Tensors); i++ {
		if f.Tensors[i-1].Name >= f.Tensors[i].Name {
			t.Errorf("tensors not sorted: %q before %q", f.Tensors[i-1].Name, f.Tensors[i].Name)
		}
	}
	for _, want := range in {
		got, ok := f.Lookup(want.Name)
		if !ok {
			t.Errorf("Lookup(%q) failed", want.Name)
			continue
		}
		if got.DType != want.DType || !reflect.DeepEqual(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("tensor %q = %+v, want %+v", want.Name, got, want)
		}
		if !inside(got.Data, data) {
			t.Errorf("tensor %q: Data does not alias the input", want.Name)
		}
		if cap(got.Data) != len(got.Data) {
			t.Errorf("tensor %q: cap %d > len %d lets append clobber the next tensor", want.Name, cap(got.Data), len(got.Data))
		}
	}
	if _, ok := f.Lookup("missing"); ok {
		t.Error("Lookup(missing) succeeded")
	}

	// Writing what was read gives the same bytes.
	var again bytes.Buffer
	if err := Write(&again, f.Tensors, f.Metadata); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), data) {
		t.Error("Write(Parse(b)) != b")
	}
}

func TestNoMetadata(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, nil, nil); err != nil {
		t.Fatal(err)
	}
	// "{}" padded to 8 bytes.
	if want := "\x08\x00\x00\x00\x00\x00\x00\x00{}      "; buf.String() != want {
		t.Errorf("empty file = %q, want %q", buf.String(), want)
	}
	f, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != 0 || f.Metadata != nil {
		t.Errorf("got %+v, want an empty file", f)
	}
}

// inside reports whether b lies within buf's memory.
func inside(b, buf []byte) bool {
	if len(b) == 0 {
		return true
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return p >= start && p+uintptr(len(b)) <= start+uintptr(len(buf))
}

func TestWriteFileReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	in := sample()
	if err := WriteFile(path, in, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != len(in) || f.Metadata["k"] != "v" {
		t.Errorf("ReadFile = %+v", f)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the result", len(entries))
	}

	// A failing write leaves neither the file nor a temporary behind.
	bad := filepath.Join(dir, "bad.safetensors")
	err = WriteFile(bad, []Tensor{{Name: "x", DType: "F32", Shape: []int{2}, Data: []byte{1}}}, nil)
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("WriteFile with bad data: err = %v, want one naming %s", err, bad)
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("failed WriteFile left files behind: %v", entries)
	}

	// Errors name the path.
	if _, err := ReadFile(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("ReadFile(missing): err = %v", err)
	}
	short := filepath.Join(dir, "short.safetensors")
	os.WriteFile(short, []byte{1, 2, 3}, 0o644)
	if _, err := ReadFile(short); err == nil || !strings.Contains(err.Error(), short) {
		t.Errorf("ReadFile(short): err = %v, want one naming %s", err, short)
	}
	if _, err := ReadFile(dir); err == nil {
		t.Error("ReadFile(directory) succeeded")
	}
}

func TestWriteErrors(t *testing.T) {
	f32 := func(name string) Tensor { return F32(name, []int{1}, []float32{1}) }
	for _, c := range []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    string
	}{
		{"duplicate", []Tensor{f32("a"), f32("b"), f32("a")}, nil, `duplicate tensor name "a"`},
		{"reserved", []Tensor{f32("__metadata__")}, nil, "reserved"},
		{"dtype", []Tensor{{Name: "x", DType: "F128", Shape: []int{1}, Data: make([]byte, 16)}}, nil, `unknown dtype "F128"`},
		{"length", []Tensor{{Name: "x", DType: "F32", Shape: []int{3}, Data: make([]byte, 8)}}, nil, "8 bytes of data do not match shape [3] of F32"},
		{"negative", []Tensor{{Name: "x", DType: "F32", Shape: []int{-1}, Data: nil}}, nil, "negative dimension"},
		{"utf8 name", []Tensor{f32("\xff")}, nil, "UTF-8"},
		{"utf8 meta", nil, map[string]string{"k": "\xff"}, "UTF-8"},
	} {
		err := Write(&bytes.Buffer{}, c.tensors, c.meta)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "safetensors: ") {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// file assembles a safetensors file from a raw header and a data buffer of
// size zero bytes.
func file(header string, size int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, size)...)
}

func TestParseErrors(t *testing.T) {
	lenOnly := func(n uint64, rest int) []byte {
		return append(binary.LittleEndian.AppendUint64(nil, n), make([]byte, rest)...)
	}
	ok := `"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "file of 0 bytes is shorter than the 8-byte header length"},
		{"short", []byte{1, 0, 0, 0, 0, 0, 0}, "file of 7 bytes is shorter"},
		{"header too long", lenOnly(100, 50), "header length 100 exceeds the 50 bytes"},
		{"header absurd", lenOnly(1<<62, 8), "header length 4611686018427387904 is absurd"},
		{"header max uint64", lenOnly(math.MaxUint64, 8), "is absurd"},
		{"empty header", file("", 0), "not a JSON object"},
		{"not json", file(`{"a":`, 0), "invalid JSON"},
		{"array", file(`[]`, 0), "not a JSON object"},
		{"leading space", file(` {}`, 0), "not a JSON object"},
		{"trailing object", file(`{}{}`, 0), "after the header object"},
		{"trailing garbage", file(`{}  x`, 0), "after the header object"},
		{"truncated", file(`{"a":{"dtype":"F32"`, 0), "invalid JSON"},
		{"bad utf8", file("{\"\xff\":1}", 0), "not valid UTF-8"},
		{"entry not object", file(`{"a":[1]}`, 0), `tensor "a": got an array, want a JSON object`},
		{"entry null", file(`{"a":null}`, 0), `tensor "a": got null, want a JSON object`},
		{"missing dtype", file(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, 4), `tensor "a": missing dtype`},
		{"missing shape", file(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, 4), `tensor "a": missing shape`},
		{"missing offsets", file(`{"a":{"dtype":"F32","shape":[1]}}`, 4), `tensor "a": missing data_offsets`},
		{"dtype number", file(`{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}`, 4), `dtype is the number 32, want a string`},
		{"shape string", file(`{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}`, 4), `shape is the string "1", want an array`},
		{"shape float", file(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), `shape holds 1.5, want an integer`},
		{"shape exponent", file(`{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}`, 4), `want an integer`},
		{"shape huge", file(`{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}`, 4), `want an integer that fits`},
		{"shape nested", file(`{"a":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}}`, 4), `shape holds an array, want an integer`},
		{"offsets object", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":{}}}`, 4), `data_offsets is an object`},
		{"offsets count", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, 4), `data_offsets has 1 values, want 2`},
		{"unknown dtype", file(`{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, 16), `tensor "a": unknown dtype "F128"`},
		{"lowercase dtype", file(`{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}`, 4), `unknown dtype "f32"`},
		{"negative dim", file(`{"a":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,4]}}`, 4), `tensor "a": negative dimension in shape [-1 4]`},
		{"count overflow", file(`{"a":{"dtype":"U8","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}`, 0), `element count of shape [4294967296 4294967296 0] overflows`},
		{"bytes overflow", file(`{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}`, 0), `byte size of shape [2305843009213693952] of F64 overflows`},
		{"mismatch", file(`{"layer1.0.conv1.weight":{"dtype":"F32","shape":[64,3,7,7],"data_offsets":[0,100]}}`, 100),
			`safetensors: tensor "layer1.0.conv1.weight": data_offsets [0, 100] do not match shape [64 3 7 7] of F32 (37632 bytes)`},
		{"begin after end", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}`, 8), `data_offsets [8, 4] begin after they end`},
		{"negative offset", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 4), `negative data_offsets [-4 0]`},
		{"beyond buffer", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4), `tensor "a": data_offsets [0, 8] go beyond the data buffer of 4 bytes`},
		{"beyond buffer far", file(`{"a":{"dtype":"U8","shape":[8],"data_offsets":[9223372036854775799,9223372036854775807]}}`, 8), `go beyond the data buffer`},
		{"overlap", file(`{`+ok+`,"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), `tensor "b": data_offsets [4, 8] overlap tensor "a" at [0, 8]`},
		{"same range", file(`{`+ok+`,"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8), `overlap`},
		{"empty inside", file(`{`+ok+`,"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}`, 8), `overlap`},
		{"hole", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, 12), `tensor "b": data_offsets [8, 12] leave a hole at bytes [4, 8]`},
		{"leading hole", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), `leave a hole at bytes [0, 4]`},
		{"trailing bytes", file(`{`+ok+`}`, 9), `data buffer has 9 bytes but the tensors cover only the first 8`},
		{"duplicate tensor", file(`{`+ok+`,`+ok+`}`, 16), `header: duplicate key "a"`},
		{"duplicate field", file(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), `tensor "a": duplicate key "dtype"`},
		{"duplicate metadata", file(`{"__metadata__":{},"__metadata__":{}}`, 0), `duplicate key "__metadata__"`},
		{"duplicate metadata key", file(`{"__metadata__":{"k":"1","k":"2"}}`, 0), `__metadata__: duplicate key "k"`},
		{"metadata number", file(`{"__metadata__":{"k":1}}`, 0), `__metadata__: value of "k" is the number 1, want a string`},
		{"metadata array", file(`{"__metadata__":["k"]}`, 0), `__metadata__: got an array, want a JSON object`},
		{"metadata string", file(`{"__metadata__":"k"}`, 0), `__metadata__: got the string "k"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(c.data)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", f)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("err = %q\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		meta map[string]string
	}{
		{"metadata null", file(`{"__metadata__":null}`, 0), nil},
		{"unknown fields ignored", file(`{"a":{"extra":{"x":[1,{"y":null}]},"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), nil},
		{"padding", file(`{"__metadata__":{"k":"v"}}`+"   \n\t ", 0), map[string]string{"k": "v"}},
		{"zero-size tensors share an offset", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"I8","shape":[3,0],"data_offsets":[0,0]}}`, 0), nil},
		{"scalar", file(`{"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}`, 8), nil},
	} {
		f, err := Parse(c.data)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(f.Metadata, c.meta) {
			t.Errorf("%s: metadata = %v, want %v", c.name, f.Metadata, c.meta)
		}
	}
}

func TestNumElements(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  int
	}{{nil, 1}, {[]int{}, 1}, {[]int{0}, 0}, {[]int{3}, 3}, {[]int{64, 3, 7, 7}, 9408}, {[]int{2, 0, 5}, 0}} {
		if got := (Tensor{Shape: c.shape}).NumElements(); got != c.want {
			t.Errorf("NumElements(%v) = %d, want %d", c.shape, got, c.want)
		}
	}
}

func TestF32(t *testing.T) {
	v := []float32{1, -0.5, float32(math.NaN())}
	tt := F32("w", []int{3, 1}, v)
	if tt.DType != "F32" || !reflect.DeepEqual(tt.Shape, []int{3, 1}) ||
		!bytes.Equal(tt.Data, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xbf, 0, 0, 0xc0, 0x7f}) {
		t.Errorf("F32 = %+v", tt)
	}
	got, err := tt.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	for i := range v {
		if math.Float32bits(got[i]) != math.Float32bits(v[i]) {
			t.Errorf("Float32s()[%d] = %v, want %v", i, got[i], v[i])
		}
	}
	for _, c := range []struct {
		shape []int
		n     int
	}{{[]int{2}, 3}, {[]int{-1}, 0}, {[]int{2, 2}, 2}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), `F32("x")`) {
					t.Errorf("F32 with shape %v and %d values: recover() = %v, want a panic", c.shape, c.n, r)
				}
			}()
			F32("x", c.shape, make([]float32, c.n))
		}()
	}
}

func TestFloat32sErrors(t *testing.T) {
	for _, c := range []struct {
		t    Tensor
		want string
	}{
		{Tensor{Name: "ids", DType: "I64", Shape: []int{1}, Data: make([]byte, 8)}, `safetensors: tensor "ids": cannot convert dtype I64 to float32`},
		{Tensor{Name: "d", DType: "F64", Shape: []int{1}, Data: make([]byte, 8)}, `tensor "d": cannot convert dtype F64`},
		{Tensor{Name: "u", DType: "??", Shape: []int{1}, Data: make([]byte, 8)}, `cannot convert dtype ??`},
		{Tensor{Name: "short", DType: "F16", Shape: []int{3}, Data: make([]byte, 4)}, `tensor "short": 4 bytes of data do not match shape [3] of F16`},
		{Tensor{Name: "neg", DType: "F32", Shape: []int{-2}, Data: nil}, `tensor "neg": negative dimension`},
		{Tensor{Name: "huge", DType: "F32", Shape: []int{math.MaxInt / 2}, Data: nil}, `tensor "huge": 0 bytes of data`},
	} {
		if _, err := c.t.Float32s(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Float32s(%s): err = %v, want %q", c.t.Name, err, c.want)
		}
	}
}

func TestFloat32sHalf(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, c := range []struct {
		dtype string
		bits  uint16
		want  float64
	}{
		{"F16", 0x0000, 0},
		{"F16", 0x8000, math.Copysign(0, -1)},
		{"F16", 0x3c00, 1},
		{"F16", 0xc000, -2},
		{"F16", 0x3555, 0.333251953125},
		{"F16", 0x7bff, 65504},
		{"F16", 0x0400, 6.103515625e-05},        // smallest normal, 2^-14
		{"F16", 0x03ff, 6.097555160522461e-05},  // largest subnormal
		{"F16", 0x0001, 5.960464477539063e-08},  // smallest subnormal, 2^-24
		{"F16", 0x8001, -5.960464477539063e-08}, // negative subnormal
		{"F16", 0x0200, 3.0517578125e-05},
		{"F16", 0x7c00, inf},
		{"F16", 0xfc00, -inf},
		{"F16", 0x7e00, nan},
		{"F16", 0x7c01, nan}, // signalling NaN stays NaN
		{"F16", 0xfe00, nan},
		{"BF16", 0x0000, 0},
		{"BF16", 0x8000, math.Copysign(0, -1)},
		{"BF16", 0x3f80, 1},
		{"BF16", 0xc000, -2},
		{"BF16", 0x3eab, 0.333984375},
		{"BF16", 0x7f7f, 3.3895313892515355e+38}, // largest finite
		{"BF16", 0x0080, 1.1754943508222875e-38}, // smallest normal, 2^-126
		{"BF16", 0x0001, 9.183549615799121e-41},  // smallest subnormal, 2^-133
		{"BF16", 0x8001, -9.183549615799121e-41},
		{"BF16", 0x7f80, inf},
		{"BF16", 0xff80, -inf},
		{"BF16", 0x7fc0, nan},
		{"BF16", 0x7f81, nan},
	} {
		tt := Tensor{Name: "h", DType: c.dtype, Shape: []int{1}, Data: binary.LittleEndian.AppendUint16(nil, c.bits)}
		got, err := tt.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		g := float64(got[0])
		if math.IsNaN(c.want) {
			if !math.IsNaN(g) {
				t.Errorf("%s %#04x = %v, want NaN", c.dtype, c.bits, g)
			}
			continue
		}
		if g != c.want || math.Signbit(g) != math.Signbit(c.want) {
			t.Errorf("%s %#04x = %v, want %v", c.dtype, c.bits, g, c.want)
		}
	}
}

// TestF16Exhaustive checks every half-precision bit pattern against the
// definition of the format evaluated in float64.
func TestF16Exhaustive(t *testing.T) {
	for h := range 1 << 16 {
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		exp, mant := (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case exp == 0x1f && mant == 0:
			want = math.Inf(int(sign))
		case exp == 0x1f:
			want = math.NaN()
		case exp == 0:
			want = sign * math.Ldexp(float64(mant), -24)
		default:
			want = sign * math.Ldexp(1+float64(mant)/1024, exp-15)
		}
		got32 := f16ToF32(uint16(h))
		got := float64(got32)
		if math.IsNaN(want) {
			// The payload, quiet bit included, must survive in the top
			// mantissa bits (checked on the float32 bits: converting a
			// signalling NaN to float64 would quiet it).
			if bits := math.Float32bits(got32); bits&0x7f800000 != 0x7f800000 || bits>>13&0x3ff != uint32(mant) {
				t.Fatalf("F16 %#04x = %v, want NaN with payload %#x", h, got, mant)
			}
			continue
		}
		if got != want || math.Signbit(got) != math.Signbit(want) {
			t.Fatalf("F16 %#04x = %v, want %v", h, got, want)
		}
	}
}

// TestPythonFixtures parses the files tools/se_fixtures.py writes with
// Python's struct and json, an independent writer.
func TestPythonFixtures(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/se/*.safetensors")
	if len(paths) == 0 {
		t.Fatal("no fixtures in testdata/se: they are committed, see tools/se_fixtures.py")
	}
	for _, path := range paths {
		f, err := ReadFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		if f.Metadata["layout"] == "" {
			t.Errorf("%s: no layout metadata", path)
		}
		for _, tt := range f.Tensors {
			if _, err := tt.Float32s(); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
		// Our writer produces the same bytes when given the same sorted
		// tensors: both sort keys and pad the same way.
		var buf bytes.Buffer
		if err := Write(&buf, f.Tensors, f.Metadata); err != nil {
			t.Fatal(err)
		}
		orig, _ := os.ReadFile(path)
		if !bytes.Equal(buf.Bytes(), orig) {
			t.Errorf("%s: rewriting with Write changes the bytes", path)
		}
	}
}

// TestReadFileSize: a file longer or shorter than its header says is
// refused from the header, before its length is allocated: here a valid
// file extended (sparsely) to a terabyte.
func TestReadFileSize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	if err := WriteFile(path, []Tensor{F32("a", []int{2}, []float32{1, 2})}, nil); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if err := os.Truncate(path, 1<<40); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path+": data buffer has") || !strings.Contains(err.Error(), "(trailing bytes)") {
		t.Errorf("a terabyte file: got %v", err)
	}
	if err := os.Truncate(path, st.Size()-1); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), `tensor "a": data_offsets [0, 8] go beyond the data buffer of 7 bytes`) {
		t.Errorf("a truncated file: got %v", err)
	}
}

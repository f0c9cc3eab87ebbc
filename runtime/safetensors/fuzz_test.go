package safetensors

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts is
// consistent: sorted unique names, known dtypes, Data inside the input and
// sized by the shape, the buffer tiled exactly, and a Write of the result
// parsing back to the same tensors.
func FuzzParse(f *testing.F) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(file(`{}`, 0))
	f.Add(file(`{"__metadata__":null,"a":{"dtype":"F16","shape":[2,1],"data_offsets":[0,4]}}`, 4))
	f.Add(file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8))
	f.Add(file(`{"a":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,4]}}`, 4))
	f.Add(file(`{"a":{"dtype":"U8","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}`, 0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("error without prefix: %v", err)
			}
			return
		}
		total := 0
		for i, tt := range file.Tensors {
			if i > 0 && file.Tensors[i-1].Name >= tt.Name {
				t.Fatalf("tensors not sorted and unique: %q, %q", file.Tensors[i-1].Name, tt.Name)
			}
			size, ok := dtypeSizes[tt.DType]
			if !ok {
				t.Fatalf("tensor %q: unknown dtype %q accepted", tt.Name, tt.DType)
			}
			if !inside(tt.Data, data) {
				t.Fatalf("tensor %q: Data outside the input", tt.Name)
			}
			if len(tt.Data) != tt.NumElements()*size {
				t.Fatalf("tensor %q: %d bytes for shape %v of %s", tt.Name, len(tt.Data), tt.Shape, tt.DType)
			}
			total += len(tt.Data)
		}
		if hlen := int(binary.LittleEndian.Uint64(data)); total != len(data)-8-hlen {
			t.Fatalf("tensors cover %d bytes of a %d-byte buffer", total, len(data)-8-hlen)
		}

		var out bytes.Buffer
		if err := Write(&out, file.Tensors, file.Metadata); err != nil {
			t.Fatalf("Write of a parsed file: %v", err)
		}
		again, err := Parse(out.Bytes())
		if err != nil {
			t.Fatalf("Parse(Write(Parse(data))): %v", err)
		}
		if len(again.Tensors) != len(file.Tensors) || len(again.Metadata) != len(file.Metadata) {
			t.Fatalf("round trip changed the file: %d → %d tensors", len(file.Tensors), len(again.Tensors))
		}
		for i, tt := range again.Tensors {
			o := file.Tensors[i]
			if tt.Name != o.Name || tt.DType != o.DType || !bytes.Equal(tt.Data, o.Data) || len(tt.Shape) != len(o.Shape) {
				t.Fatalf("round trip changed tensor %q", o.Name)
			}
		}
		for k, v := range file.Metadata {
			if again.Metadata[k] != v {
				t.Fatalf("round trip changed metadata %q", k)
			}
		}
	})
}

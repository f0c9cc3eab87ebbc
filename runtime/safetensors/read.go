package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxHeader bounds the JSON header as the reference implementation does
// (100 MB): a larger length is certainly corrupt, whatever the file size.
const maxHeader = 100_000_000

// metadataKey is the reserved header entry holding the string metadata.
const metadataKey = "__metadata__"

// Parse decodes and validates a whole safetensors file. The tensors' Data
// slices alias data (capacity-limited, so appending to one cannot overwrite
// its neighbour). It rejects everything the reference implementation
// rejects, including a data buffer with holes or trailing bytes.
func Parse(data []byte) (*File, error) {
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

// ReadFile reads the file at path and parses it. It reads the header
// first and checks that the file is exactly as long as the header's tensors
// say, so a truncated file, or one with bytes appended (a sparse file of
// any length), is refused without allocating its length; then it reads the
// whole file in one allocation. Errors name the path.
func ReadFile(path string) (*File, error) {
	data, err := readAll(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return f, nil
}

func readAll(path string) ([]byte, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > math.MaxInt {
		return nil, fmt.Errorf("%s: file of %d bytes is too large", path, st.Size())
	}
	size := int(st.Size())
	if err := checkSize(fd, size); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(fd, data); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// checkSize reads the header of the file fd, size bytes long, and reports
// a header that parse would refuse or a data buffer that is not size less
// the header's bytes. It leaves fd at the start.
func checkSize(fd *os.File, size int) error {
	var length [8]byte
	if _, err := io.ReadFull(fd, length[:]); err != nil {
		return nil // too short: parse says so
	}
	n := binary.LittleEndian.Uint64(length[:])
	if n <= maxHeader && n <= uint64(size-8) {
		header := make([]byte, n)
		if _, err := io.ReadFull(fd, header); err != nil {
			return err
		}
		entries, _, err := parseHeader(header)
		if err != nil {
			return err
		}
		if err := checkLayout(entries, size-8-int(n)); err != nil {
			return err
		}
	}
	_, err := fd.Seek(0, io.SeekStart)
	return err
}

// entry is a tensor's header entry with its byte range in the buffer.
type entry struct {
	Tensor
	begin, end int
}

func parse(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("file of %d bytes is shorter than the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeader {
		return nil, fmt.Errorf("header length %d is absurd (limit %d)", n, maxHeader)
	}
	if n > uint64(len(data)-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes after the length", n, len(data)-8)
	}
	header, buf := data[8:8+n], data[8+n:]
	entries, meta, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	if err := checkLayout(entries, len(buf)); err != nil {
		return nil, err
	}
	f := &File{Tensors: make([]Tensor, len(entries)), Metadata: meta}
	for i, e := range entries {
		e.Data = buf[e.begin:e.end:e.end]
		f.Tensors[i] = e.Tensor
	}
	slices.SortFunc(f.Tensors, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
	return f, nil
}

// checkLayout checks that the tensors tile the data buffer exactly: no
// overlap, no hole, nothing after the last tensor (the reference
// implementation's rule). Each entry's own offsets are already consistent.
func checkLayout(entries []entry, size int) error {
	for _, e := range entries {
		if e.end > size {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] go beyond the data buffer of %d bytes (a truncated file, or a corrupt header)",
				e.Name, e.begin, e.end, size)
		}
	}
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b entry) int {
		if a.begin != b.begin {
			return a.begin - b.begin
		}
		return a.end - b.end
	})
	pos := 0
	for i, e := range sorted {
		switch {
		case e.begin < pos:
			p := sorted[i-1]
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q at [%d, %d]",
				e.Name, e.begin, e.end, p.Name, p.begin, p.end)
		case e.begin > pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a hole at bytes [%d, %d] of the data buffer",
				e.Name, e.begin, e.end, pos, e.begin)
		}
		pos = e.end
	}
	if pos != size {
		return fmt.Errorf("data buffer has %d bytes but the tensors cover only the first %d (trailing bytes)", size, pos)
	}
	return nil
}

// parseHeader decodes the JSON header by streaming tokens, so that
// duplicate keys (which encoding/json would silently merge) are caught.
func parseHeader(header []byte) ([]entry, map[string]string, error) {
	if !utf8.Valid(header) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, errors.New("header is not a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(header))
	d.UseNumber()
	var (
		entries []entry
		meta    map[string]string
	)
	err := object(d, "header", func(key string) error {
		if key == metadataKey {
			m, err := parseMetadata(d)
			meta = m
			return err
		}
		e, err := parseEntry(d, key)
		if err != nil {
			return err
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// Only whitespace (the writer's padding) may follow the object.
	if tok, err := d.Token(); err != io.EOF {
		if err != nil {
			return nil, nil, fmt.Errorf("invalid JSON after the header object: %v", err)
		}
		return nil, nil, fmt.Errorf("unexpected %v after the header object", tok)
	}
	return entries, meta, nil
}

// object reads one JSON object from d, calling field for each key with the
// decoder positioned at the key's value. It rejects duplicate keys. what
// names the object in errors.
func object(d *json.Decoder, what string, field func(key string) error) error {
	tok, err := d.Token()
	if err != nil {
		return fmt.Errorf("%s: invalid JSON: %v", what, err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("%s: got %s, want a JSON object", what, describe(tok))
	}
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("%s: invalid JSON: %v", what, err)
		}
		key, ok := tok.(string)
		if !ok { // the decoder reports non-string keys as errors; be safe
			return fmt.Errorf("%s: key %v is not a string", what, tok)
		}
		if seen[key] {
			return fmt.Errorf("%s: duplicate key %q", what, key)
		}
		seen[key] = true
		if err := field(key); err != nil {
			return err
		}
	}
	if _, err := d.Token(); err != nil { // the closing '}'
		return fmt.Errorf("%s: invalid JSON: %v", what, err)
	}
	return nil
}

// parseMetadata reads the "__metadata__" value: an object of strings, or
// null (which the reference implementation accepts as absent).
func parseMetadata(d *json.Decoder) (map[string]string, error) {
	const what = metadataKey
	var raw json.RawMessage
	if err := d.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: invalid JSON: %v", what, err)
	}
	if string(raw) == "null" {
		return nil, nil
	}
	md := json.NewDecoder(bytes.NewReader(raw))
	md.UseNumber()
	meta := map[string]string{}
	err := object(md, what, func(key string) error {
		tok, err := md.Token()
		if err != nil {
			return fmt.Errorf("%s: invalid JSON: %v", what, err)
		}
		v, ok := tok.(string)
		if !ok {
			return fmt.Errorf("%s: value of %q is %s, want a string", what, key, describe(tok))
		}
		meta[key] = v
		return nil
	})
	return meta, err
}

// parseEntry reads one tensor's header entry and checks it on its own:
// known dtype, non-negative shape, offsets in order and matching the shape's
// byte size. Unknown fields are ignored, as in the reference implementation.
func parseEntry(d *json.Decoder, name string) (entry, error) {
	what := fmt.Sprintf("tensor %q", name)
	e := entry{Tensor: Tensor{Name: name}}
	var haveDType, haveShape, haveOffsets bool
	var offsets []int
	err := object(d, what, func(key string) error {
		var err error
		switch key {
		case "dtype":
			haveDType = true
			e.DType, err = stringValue(d, what, key)
		case "shape":
			haveShape = true
			e.Shape, err = intArray(d, what, key)
			if e.Shape == nil {
				e.Shape = []int{}
			}
		case "data_offsets":
			haveOffsets = true
			offsets, err = intArray(d, what, key)
		default:
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return fmt.Errorf("%s: invalid JSON: %v", what, err)
			}
		}
		return err
	})
	if err != nil {
		return e, err
	}
	switch {
	case !haveDType:
		return e, fmt.Errorf("%s: missing dtype", what)
	case !haveShape:
		return e, fmt.Errorf("%s: missing shape", what)
	case !haveOffsets:
		return e, fmt.Errorf("%s: missing data_offsets", what)
	case len(offsets) != 2:
		return e, fmt.Errorf("%s: data_offsets has %d values, want 2", what, len(offsets))
	}
	size, ok := dtypeSizes[e.DType]
	if !ok {
		return e, fmt.Errorf("%s: unknown dtype %q", what, e.DType)
	}
	e.begin, e.end = offsets[0], offsets[1]
	if e.begin < 0 || e.end < 0 {
		return e, fmt.Errorf("%s: negative data_offsets %v", what, offsets)
	}
	if e.begin > e.end {
		return e, fmt.Errorf("%s: data_offsets [%d, %d] begin after they end", what, e.begin, e.end)
	}
	n, err := elements(e.Shape)
	if err != nil {
		return e, fmt.Errorf("%s: %v", what, err)
	}
	if n > math.MaxInt/size {
		return e, fmt.Errorf("%s: byte size of shape %v of %s overflows", what, e.Shape, e.DType)
	}
	if n*size != e.end-e.begin {
		return e, fmt.Errorf("%s: data_offsets [%d, %d] do not match shape %v of %s (%d bytes)",
			what, e.begin, e.end, e.Shape, e.DType, n*size)
	}
	return e, nil
}

func stringValue(d *json.Decoder, what, key string) (string, error) {
	tok, err := d.Token()
	if err != nil {
		return "", fmt.Errorf("%s: invalid JSON: %v", what, err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%s: %s is %s, want a string", what, key, describe(tok))
	}
	return s, nil
}

// intArray reads a JSON array of integers. Fractions, exponents and values
// beyond int64 are rejected; negative values are returned for the caller to
// report in context.
func intArray(d *json.Decoder, what, key string) ([]int, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, fmt.Errorf("%s: invalid JSON: %v", what, err)
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("%s: %s is %s, want an array of integers", what, key, describe(tok))
	}
	var out []int
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: invalid JSON: %v", what, err)
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%s: %s holds %s, want an integer", what, key, describe(tok))
		}
		v, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil || v > math.MaxInt || v < math.MinInt {
			return nil, fmt.Errorf("%s: %s holds %s, want an integer that fits in 64 bits", what, key, num)
		}
		out = append(out, int(v))
	}
	if _, err := d.Token(); err != nil { // the closing ']'
		return nil, fmt.Errorf("%s: invalid JSON: %v", what, err)
	}
	return out, nil
}

// describe names a JSON token's kind for error messages.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		if v == '[' {
			return "an array"
		}
		return fmt.Sprintf("%q", string(v))
	case string:
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + string(v)
	case bool:
		return fmt.Sprintf("%v", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

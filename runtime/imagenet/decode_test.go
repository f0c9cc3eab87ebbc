package imagenet

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// pngChunk is one PNG chunk with its length and checksum.
func pngChunk(kind string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, kind...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(kind), data...)))
}

// bombPNG is an 8-bit gray PNG header declaring w×h pixels followed by the
// compressed filter bytes and pixels of its first row only: a few dozen
// bytes that would make a decoder allocate w×h bytes.
func bombPNG(w, h int) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, min(w+1, 1<<16)))
	zw.Close()
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	ihdr = append(ihdr, 8, 0, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", z.Bytes())...)
	return append(out, pngChunk("IEND", nil)...)
}

// jpegSized is a small baseline JPEG whose frame header declares w×h.
func jpegSized(t testing.TB, w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte{0xff, 0xc0})
	binary.BigEndian.PutUint16(b[i+5:], uint16(h))
	binary.BigEndian.PutUint16(b[i+7:], uint16(w))
	return b
}

// allocated returns the bytes allocated so far by the program.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkOneLine fails unless err is a one-line error naming path and
// saying want.
func checkOneLine(t *testing.T, err error, path, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("no error, want %q", want)
	case strings.Contains(err.Error(), "\n"):
		t.Errorf("error of several lines: %q", err)
	case !strings.Contains(err.Error(), path):
		t.Errorf("error %q does not name the file %s", err, path)
	case !strings.Contains(err.Error(), want):
		t.Errorf("error %q does not say %q", err, want)
	}
}

// TestBudget checks that images above the pixel budget are refused from
// their header — by Check and by Decode, with the dimensions and the
// limit in the error — before any pixel memory is allocated.
func TestBudget(t *testing.T) {
	small := readFixture(t, "png_rgb.png") // 13×9 = 117 pixels
	cases := []struct {
		name string
		data []byte
		d    Decoder
		want string
	}{
		{"bomb.png", bombPNG(40000, 40000), Decoder{}, "40000×40000 pixels is above the pixel budget of 50000000 pixels"},
		{"wide.png", bombPNG(1000000, 64), Decoder{}, "1000000×64 pixels is above the pixel budget of 50000000 pixels"},
		{"huge.jpg", jpegSized(t, 65535, 65535), Decoder{}, "65535×65535 pixels (65536×65536 in whole JPEG blocks) is above the pixel budget of 50000000 pixels"},
		{"thin.jpg", jpegSized(t, 1, 40000), Decoder{MaxPixels: 100000}, "1×40000 pixels (32×40000 in whole JPEG blocks) is above the pixel budget of 100000 pixels"},
		{"small.png", small, Decoder{MaxPixels: 116}, "13×9 pixels is above the pixel budget of 116 pixels"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, tc.name, tc.data)
			checkOneLine(t, tc.d.Check(path), path, tc.want)
			before := allocated()
			_, err := tc.d.Decode(path)
			grown := allocated() - before
			checkOneLine(t, err, path, tc.want)
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("error %q is not ErrTooLarge", err)
			}
			if grown > 1<<20 {
				t.Errorf("refusing it allocated %d bytes", grown)
			}
		})
	}
	// At the budget exactly, the image is decoded.
	path := writeTemp(t, "small.png", small)
	if _, err := (Decoder{MaxPixels: 117}).Decode(path); err != nil {
		t.Errorf("117 pixels with a budget of 117: %v", err)
	}
}

// TestReadLimit checks that no more of a file is read than the budget can
// need: a PNG with 2 MiB of metadata before its pixels is refused with a
// budget of 1000 pixels and decoded with the default one.
func TestReadLimit(t *testing.T) {
	png := readFixture(t, "png_rgb.png")
	ihdrEnd := 8 + 25
	big := append(append(append([]byte{}, png[:ihdrEnd]...), pngChunk("zzZz", make([]byte, 2<<20))...), png[ihdrEnd:]...)
	_, err := Decoder{MaxPixels: 1000}.DecodeReader("padded.png", bytes.NewReader(big))
	checkOneLine(t, err, "padded.png", "more than 1056576 bytes before the image ends, above the pixel budget of 1000 pixels")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("error %q is not ErrTooLarge", err)
	}
	if _, err := (Decoder{}).DecodeReader("padded.png", bytes.NewReader(big)); err != nil {
		t.Errorf("default budget: %v", err)
	}
}

// TestBadFiles checks that truncated, corrupt and foreign files give one
// line naming the file and what is wrong.
func TestBadFiles(t *testing.T) {
	png, jpg := readFixture(t, "png_rgb.png"), readFixture(t, "jpeg_420.jpg")
	corrupt := append([]byte{}, png...)
	corrupt[len(corrupt)-20] ^= 0xff // inside IDAT
	var g bytes.Buffer
	if err := gif.Encode(&g, image.NewGray(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"magic.png", png[:8], "truncated PNG file"},
		{"header.png", png[:20], "truncated PNG file"},
		{"half.png", png[:len(png)/2], "png: invalid format: not enough pixel data"},
		{"noend.png", png[:len(png)-12], "truncated PNG file"},
		{"soi.jpg", jpg[:2], "truncated JPEG file"},
		{"header.jpg", jpg[:100], "truncated JPEG file"},
		{"half.jpg", jpg[:len(jpg)/2], "truncated JPEG file"},
		{"noend.jpg", jpg[:len(jpg)-2], "truncated JPEG file"},
		{"scan.jpg", jpg[:len(jpg)-40], "truncated JPEG file"},
		{"corrupt.png", corrupt, "png: invalid format: zlib: invalid checksum"},
		{"badchunk.png", append(append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", []byte("garbage!"))...), png[33:]...), "png: invalid format: bad IHDR length"},
		{"badmarker.jpg", append([]byte{0xff, 0xd8, 0xff, 0x02}, jpg[2:]...), "invalid JPEG format: unknown marker"},
		// Bytes that are no chunk or marker: the decoder looks for one to
		// the end of the file.
		{"garbage.png", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("garbage!"), 10)...), "truncated PNG file"},
		{"garbage.jpg", append([]byte{0xff, 0xd8}, bytes.Repeat([]byte("garbage!"), 10)...), "truncated JPEG file"},
		{"text.jpg", []byte("not a picture"), "not a JPEG or PNG file"},
		{"empty.png", nil, "not a JPEG or PNG file"},
		{"pic.gif", g.Bytes(), "not a JPEG or PNG file"}, // image/gif is linked in, and still refused
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, tc.name, tc.data)
			_, err := Decode(path)
			checkOneLine(t, err, path, tc.want)
			t.Log(err)
		})
	}
	_, err := Decode(filepath.Join(t.TempDir(), "absent.jpg"))
	checkOneLine(t, err, "absent.jpg", "no such file")
}

// sosSegments returns where each scan of a JPEG starts (its SOS marker)
// and where the last one ends (the EOI marker), for a file without
// metadata that could hold the bytes 0xFF 0xDA.
func sosSegments(jpg []byte) []int {
	var at []int
	for i := 0; i+1 < len(jpg); i++ {
		if jpg[i] == 0xff && jpg[i+1] == sos {
			at = append(at, i)
		}
	}
	return append(at, len(jpg)-2)
}

// TestScanLimit repeats the DC refinement scan of a progressive JPEG (a
// scan that may be repeated) up to and past maxScans, and hides scan
// markers inside a metadata segment, which must not count.
func TestScanLimit(t *testing.T) {
	jpg := readFixture(t, "jpeg_420_progressive.jpg")
	at := sosSegments(jpg)
	if len(at) != 11 {
		t.Fatalf("%d scans, want libjpeg's 10", len(at)-1)
	}
	refine := -1 // the scan with Ss = 0 and Ah > 0
	for i, p := range at[:len(at)-1] {
		n := int(jpg[p+4])
		if ss, ah := jpg[p+5+2*n], jpg[p+7+2*n]>>4; ss == 0 && ah > 0 {
			refine = i
		}
	}
	if refine < 0 {
		t.Fatal("no DC refinement scan")
	}
	scan := jpg[at[refine]:at[refine+1]]
	with := func(scans int, extra []byte) []byte {
		var b bytes.Buffer
		b.Write(jpg[:2])
		b.Write(extra)
		b.Write(jpg[2:at[refine+1]])
		b.Write(bytes.Repeat(scan, scans-10))
		b.Write(jpg[at[refine+1]:])
		return b.Bytes()
	}
	// An APP15 segment of 300 scan markers.
	app := append([]byte{0xff, 0xef, 0x02, 0x5a}, bytes.Repeat([]byte{0xff, sos}, 300)...)
	if _, err := (Decoder{}).DecodeReader("100.jpg", bytes.NewReader(with(maxScans, app))); err != nil {
		t.Errorf("%d scans: %v", maxScans, err)
	}
	_, err := Decoder{}.DecodeReader("101.jpg", bytes.NewReader(with(maxScans+1, nil)))
	checkOneLine(t, err, "101.jpg", "progressive JPEG of more than 100 scans")
}

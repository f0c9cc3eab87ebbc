package imagenet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
)

// DefaultMaxPixels is the pixel budget of a Decoder whose MaxPixels is 0:
// 50 megapixels, which holds every phone's photos (48–50 MP sensors
// included) and most cameras'. Go's decoders take, in bytes a pixel: 1.5
// for a baseline 4:2:0 JPEG, 4 for an 8-bit PNG, 8 for a 16-bit RGBA PNG or
// a baseline CMYK JPEG, 15 for a progressive 4:4:4 JPEG and 24, the most,
// for a progressive CMYK JPEG, which keeps its coefficients besides the
// image. At the budget that is 75 MB for a phone's JPEG, 200 MB for a PNG
// and 1.2 GB at worst; a server short of memory sets a smaller budget.
const DefaultMaxPixels = 50_000_000

// ErrTooLarge is wrapped by the error for an image above the pixel budget.
var ErrTooLarge = errors.New("above the pixel budget")

// maxScans bounds the scans of a progressive JPEG. Each scan walks every
// block of the image however few bytes it has, so without a bound a small
// file could keep the decoder busy for hours; libjpeg's progressive
// scripts write 6 (gray) or 10 (colour) scans.
const maxScans = 100

// Decoder reads JPEG and PNG images within a pixel budget. The budget is
// checked against the dimensions in the file's header before any pixel
// memory is allocated, so a file that declares 40000×40000 pixels in a few
// kilobytes (a decompression bomb) costs nothing. What Decode allocates is
// bounded by the budget (see DefaultMaxPixels); how much of the input it
// reads is bounded too, to 8 bytes a pixel of the budget plus 1 MiB.
type Decoder struct {
	// MaxPixels is the most pixels, width × height, an image may have; a
	// JPEG counts whole 32×16 blocks, which is what its decoder stores.
	// 0 means DefaultMaxPixels.
	MaxPixels int
}

// Decode reads the JPEG or PNG file at path within the default budget.
func Decode(path string) (image.Image, error) { return Decoder{}.Decode(path) }

// Check reports whether path is a JPEG or PNG file within the default
// budget, from its header alone.
func Check(path string) error { return Decoder{}.Check(path) }

// Decode reads the JPEG or PNG file at path.
func (d Decoder) Decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return d.DecodeReader(path, f)
}

// Check reports whether path is a JPEG or PNG file within the budget, from
// its header alone.
func (d Decoder) Check(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	in := d.limit(f)
	_, _, err = d.header(path, in, in)
	return err
}

// DecodeReader reads a JPEG or PNG image from r; name is what errors call
// it. The image holds what PIL's Image.open finds in the same file (JPEG
// samples up to the decoders' inverse DCTs, see rgbRows): a 16-bit gray PNG
// with a transparent value comes back as *image.Gray16, as PIL drops the
// transparency converting it, and palette indices beyond a PNG's palette
// read as gray (i, i, i), PIL's default palette, not as Go's opaque black.
func (d Decoder) DecodeReader(name string, r io.Reader) (image.Image, error) {
	in := d.limit(r)
	br := bufio.NewReader(in)
	// The header is read through a copy, then decoded again with the rest.
	var head bytes.Buffer
	f, cfg, err := d.header(name, in, io.TeeReader(br, &head))
	if err != nil {
		return nil, err
	}
	body := io.MultiReader(&head, br)
	var img image.Image
	switch f {
	case "PNG":
		img, err = png.Decode(body)
	case "JPEG":
		s := &scanLimit{r: body, max: maxScans}
		img, err = jpeg.Decode(s)
		if s.err != nil {
			err = s.err
		}
	}
	if err := d.overread(name, in); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, decodeError(name, f, err)
	}
	return likePIL(img, cfg), nil
}

func (d Decoder) maxPixels() int64 {
	if d.MaxPixels > 0 {
		return int64(d.MaxPixels)
	}
	return DefaultMaxPixels
}

// maxBytes is how much of a file Decode reads: the budget's pixels stored
// uncompressed at 8 bytes each (16-bit RGBA) and 1 MiB of metadata. Only a
// file made to keep the decoder busy is longer before its image ends.
func (d Decoder) maxBytes() int64 { return 8*d.maxPixels() + 1<<20 }

// limit returns r cut one byte after maxBytes, so overread can tell.
func (d Decoder) limit(r io.Reader) *io.LimitedReader {
	return &io.LimitedReader{R: r, N: d.maxBytes() + 1}
}

// overread reports whether more than maxBytes were read through in.
func (d Decoder) overread(name string, in *io.LimitedReader) error {
	if in.N > 0 {
		return nil
	}
	return fmt.Errorf("imagenet: %s: more than %d bytes before the image ends, %w of %d pixels (8 bytes a pixel and 1 MiB)", name, d.maxBytes(), ErrTooLarge, d.maxPixels())
}

// header identifies the format from the first bytes of r, reads the
// image's header, and checks its dimensions against the budget.
func (d Decoder) header(name string, in *io.LimitedReader, r io.Reader) (format string, cfg image.Config, err error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(8)
	switch {
	case bytes.HasPrefix(magic, []byte("\x89PNG\r\n\x1a\n")):
		format = "PNG"
		cfg, err = png.DecodeConfig(br)
	case bytes.HasPrefix(magic, []byte("\xff\xd8")):
		format = "JPEG"
		cfg, err = jpeg.DecodeConfig(br)
	default:
		return "", cfg, fmt.Errorf("imagenet: %s: not a JPEG or PNG file", name)
	}
	if err := d.overread(name, in); err != nil {
		return "", cfg, err
	}
	if err != nil {
		return "", cfg, decodeError(name, format, err)
	}
	w, h := cfg.Width, cfg.Height
	if w < 1 || h < 1 {
		return "", cfg, fmt.Errorf("imagenet: %s: empty %s image (%d×%d)", name, format, w, h)
	}
	sw, sh := w, h // as stored
	if format == "JPEG" {
		sw, sh = (w+31)&^31, (h+15)&^15
	}
	if int64(sw)*int64(sh) > d.maxPixels() {
		stored := ""
		if sw != w || sh != h {
			stored = fmt.Sprintf(" (%d×%d in whole JPEG blocks)", sw, sh)
		}
		return "", cfg, fmt.Errorf("imagenet: %s: %d×%d pixels%s is %w of %d pixels", name, w, h, stored, ErrTooLarge, d.maxPixels())
	}
	return format, cfg, nil
}

// decodeError makes a decoder's error one line that names the file.
func decodeError(name, format string, err error) error {
	var jpegErr jpeg.FormatError
	short := errors.As(err, &jpegErr) && jpegErr == "short Huffman data" // the end of the file inside a scan
	if short || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("imagenet: %s: truncated %s file: it ends before the image does", name, format)
	}
	return fmt.Errorf("imagenet: %s: %w", name, err)
}

// likePIL adjusts what Go's PNG decoder returns where PIL reads the same
// file differently (see DecodeReader).
func likePIL(img image.Image, cfg image.Config) image.Image {
	switch m := img.(type) {
	case *image.Paletted:
		if p, ok := cfg.ColorModel.(color.Palette); ok {
			for i := len(p); i < len(m.Palette); i++ {
				m.Palette[i] = color.RGBA{uint8(i), uint8(i), uint8(i), 0xff}
			}
		}
	case *image.NRGBA64:
		if cfg.ColorModel == color.Gray16Model { // 16-bit gray with tRNS
			g := image.NewGray16(m.Rect)
			for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
				src, dst := m.Pix[m.PixOffset(m.Rect.Min.X, y):], g.Pix[g.PixOffset(m.Rect.Min.X, y):]
				for x := range m.Rect.Dx() {
					dst[2*x], dst[2*x+1] = src[8*x], src[8*x+1]
				}
			}
			return g
		}
	}
	return img
}

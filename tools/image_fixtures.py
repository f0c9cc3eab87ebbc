#!/usr/bin/python3
"""Write the image fixtures of runtime/imagenet into testdata/imagenet/.

Run from anywhere with Debian's PIL (python3-pil, Pillow 9.4 on Debian 12,
libjpeg-turbo 2.1):

    /usr/bin/python3 tools/image_fixtures.py

Each fixture is an image file NAME.png or NAME.jpg and NAME.rgb, what
PIL's Image.open(NAME).convert("RGB").tobytes() returns: the RGB bytes,
row by row, that torchvision's transform starts from. The Go tests decode
NAME with runtime/imagenet and compare.

The images are 13×9 (odd, so JPEG blocks and 2:1 chroma have edges) and
come in every mode PIL opens a PNG or JPEG as. PIL writes them where it
can; the modes it cannot write (16-bit colour and gray+alpha, 2- and 4-bit
gray, 16-bit gray with a transparent value, a palette shorter than the
indices used) and an interlaced PNG are written by png() below and only
read by PIL. JPEGs that
PIL cannot write are PIL's own JPEGs with a header byte changed, so that
both decoders read the same stream another way:

    jpeg_440    a 4:2:2 JPEG whose luma sampling factors are swapped
                (2×1 → 1×2): 4:4:0, same number of blocks
    jpeg_411    a 20×9 4:2:0 JPEG whose luma factors are 4×1 instead
                of 2×2: 4:1:1, same number of blocks
    jpeg_ycck   a CMYK JPEG whose Adobe marker says YCCK (transform 2)
    jpeg_rgb    a 4:4:4 JPEG whose JFIF marker is replaced by an Adobe
                marker of transform 0: the three components are R, G, B

For the CMYK and YCCK JPEGs, NAME.cmyk holds PIL's CMYK decode (before
convert), so the Go test can check the CMYK → RGB conversion on the same
values exactly. The *_tiles JPEGs (45×29, flat 16×16 tiles, quality 100)
are made of flat blocks, which every IDCT decodes alike; on them Go must
match PIL exactly, chroma upsampling and YCbCr conversion included.

cmyk2rgb.png (256×256, gray) is PIL's CMYK → RGB conversion of every
(ink, black) pair: pixel (x, y) is the red of C=x, M=Y=0, K=y.

The script also writes the seed corpus of runtime/imagenet's fuzz target
(runtime/imagenet/testdata/fuzz/FuzzDecodePreprocess, in Go's corpus
format): decompression bombs (PNG headers declaring 40000×40000 and
1000000×64 over a few bytes of pixels, a JPEG declaring 65535×65535),
images at and just past the fuzz target's 65536-pixel budget, truncated
files and a progressive JPEG of 101 scans.
"""

import io
import os
import struct
import warnings
import zlib

import numpy as np
import PIL
from PIL import Image, features

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "testdata", "imagenet")
CORPUS = os.path.join(ROOT, "runtime", "imagenet", "testdata", "fuzz", "FuzzDecodePreprocess")
W, H = 13, 9


def pattern():
    """Colours that hit most byte values, and an alpha with zeros in it."""
    y, x = np.mgrid[0:H, 0:W]
    rgb = np.stack([(x * 19 + y * 7) % 256, (x * 5 + y * 29 + 60) % 256, ((x ^ y) * 23 + 100) % 256], -1)
    alpha = (x * 40 + y * 30) % 256
    alpha[::3, ::4] = 0
    return rgb.astype(np.uint8), alpha.astype(np.uint8)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(depth, colour, rows, *extra, width=W, height=None, interlace=0):
    """A PNG of colour type colour and bit depth depth from packed rows
    (each with its filter byte added here); width and height are what the
    header declares."""
    raw = b"".join(b"\0" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", width, height or len(rows), depth, colour, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + b"".join(extra)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def adam7(a):
    """The rows of the seven Adam7 passes of an H×W×3 8-bit array."""
    rows = []
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                           (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
        sub = a[y0::dy, x0::dx]
        if sub.shape[1]:
            rows += [r.tobytes() for r in sub]
    return rows


def rows16(a):
    """Big-endian 16-bit rows of an H×W×C array."""
    return [a[y].astype(">u2").tobytes() for y in range(a.shape[0])]


def packed(a, depth):
    """Rows of H×W values packed depth bits each, most significant first."""
    out = []
    for row in a:
        bits = "".join(format(int(v), f"0{depth}b") for v in row)
        bits += "0" * (-len(bits) % 8)
        out.append(bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)))
    return out


def pil_png(im, **kw):
    buf = io.BytesIO()
    im.save(buf, "PNG", **kw)
    return buf.getvalue()


def pil_jpeg(im, **kw):
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()


def segments(data):
    """(offset, marker, length) of the marker segments before the first scan."""
    i = 2
    while True:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        yield i, marker, length
        if marker == 0xDA:
            return
        i += 2 + length


def with_sampling(data, hv):
    """data with the luma sampling factors of its SOF0 set to hv."""
    for i, marker, _ in segments(data):
        if marker == 0xC0:
            b = bytearray(data)
            b[i + 11] = hv  # after FF C0, length, precision, height, width, count, id
            return bytes(b)
    raise ValueError("no SOF0")


def with_adobe_transform(data, transform):
    for i, marker, _ in segments(data):
        if marker == 0xEE and data[i + 4:i + 9] == b"Adobe":
            b = bytearray(data)
            b[i + 15] = transform
            return bytes(b)
    raise ValueError("no Adobe marker")


def adobe_instead_of_jfif(data, transform):
    adobe = b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00" + bytes([transform])
    for i, marker, length in segments(data):
        if marker == 0xE0 and data[i + 4:i + 9] == b"JFIF\x00":
            return data[:i] + adobe + data[i + 2 + length:]
    raise ValueError("no JFIF marker")


def tiles():
    """45×29 RGB of flat 16×16 tiles in saturated colours."""
    y, x = np.mgrid[0:29, 0:45]
    t = (y // 16) * 3 + x // 16
    colours = np.array([[230, 20, 40], [20, 200, 60], [30, 40, 220], [250, 240, 10],
                        [200, 30, 210], [10, 220, 230]], dtype=np.uint8)
    return Image.fromarray(colours[t], "RGB")


def fixtures():
    rgb, alpha = pattern()
    im = Image.fromarray(rgb, "RGB")
    gray = im.convert("L")
    g = np.array(gray)
    yield "png_rgb.png", pil_png(im)
    yield "png_rgba.png", pil_png(Image.fromarray(np.dstack([rgb, alpha]), "RGBA"))
    yield "png_l.png", pil_png(gray)
    yield "png_la.png", pil_png(Image.fromarray(np.dstack([g, alpha]), "LA"))
    yield "png_1.png", pil_png(gray.convert("1"))
    yield "png_p.png", pil_png(im.convert("P", palette=Image.ADAPTIVE, colors=200))
    yield "png_p4.png", pil_png(im.convert("P", palette=Image.ADAPTIVE, colors=12))
    yield "png_p1.png", pil_png(im.convert("P", palette=Image.ADAPTIVE, colors=2))
    p = im.convert("P", palette=Image.ADAPTIVE, colors=40)
    yield "png_p_trns.png", pil_png(p, transparency=bytes(range(0, 256, 13)))
    yield "png_l_trns.png", pil_png(gray, transparency=int(g[2, 3]))
    yield "png_rgb_trns.png", pil_png(im, transparency=tuple(int(v) for v in rgb[2, 3]))
    # 16-bit gray: values from 0 to 65535, the first row under 256 (PIL
    # clips the others to 255).
    y, x = np.mgrid[0:H, 0:W]
    g16 = (x * y * 997 + x * 13 + y * 4099) % 65536
    g16[0] = x[0] * 19
    yield "png_i16.png", pil_png(Image.fromarray(g16.astype(np.uint16), "I;16"))
    # Written here: 16-bit samples whose low bytes show truncation.
    low = (x * y * 37 + 128) % 256
    c16 = rgb.astype(np.int64) * 256 + low[..., None]
    a16 = alpha.astype(np.int64) * 256 + 255 - low
    yield "png_rgb16.png", png(16, 2, rows16(c16))
    yield "png_rgba16.png", png(16, 6, rows16(np.dstack([c16, a16])))
    yield "png_la16.png", png(16, 4, rows16(np.dstack([c16[..., 0], a16])))
    yield "png_i16_trns.png", png(16, 0, rows16(g16[..., None]), chunk(b"tRNS", struct.pack(">H", int(g16[0, 5]))))
    trns = struct.pack(">HHH", *(int(v) for v in c16[2, 3]))
    yield "png_rgb16_trns.png", png(16, 2, rows16(c16), chunk(b"tRNS", trns))
    yield "png_rgb_interlaced.png", png(8, 2, adam7(rgb), height=H, interlace=1)
    yield "png_l2.png", png(2, 0, packed(g >> 6, 2))
    yield "png_l4.png", png(4, 0, packed(g >> 4, 4))
    # Palette of 5 entries, indices up to 12.
    pal = bytes([200, 10, 10, 10, 200, 10, 10, 10, 200, 90, 90, 90, 250, 250, 250])
    yield "png_p_short.png", png(8, 3, [r.astype(np.uint8).tobytes() for r in (x + y) % 13], chunk(b"PLTE", pal))

    yield "jpeg_l.jpg", pil_jpeg(gray, quality=90)
    for name, ss in (("444", 0), ("422", 1), ("420", 2)):
        yield f"jpeg_{name}.jpg", pil_jpeg(im, quality=90, subsampling=ss)
    yield "jpeg_420_progressive.jpg", pil_jpeg(im, quality=90, subsampling=2, progressive=True)
    # Two chroma columns: libjpeg repeats samples instead of filtering.
    yield "jpeg_420_narrow.jpg", pil_jpeg(im.crop((0, 0, 4, H)), quality=90, subsampling=2)
    yield "jpeg_440.jpg", with_sampling(pil_jpeg(im, quality=90, subsampling=1), 0x12)
    # 20×9: one 32×8 block row of 4:1:1 holds as many blocks as 4:2:0's 16×16.
    wide = Image.fromarray(np.concatenate([rgb, rgb[:, ::-1]], 1)[:, :20].copy(), "RGB")
    yield "jpeg_411.jpg", with_sampling(pil_jpeg(wide, quality=90, subsampling=2), 0x41)
    y, x = np.mgrid[0:H, 0:W]
    cmyk = np.stack([rgb[..., 0], rgb[..., 1], rgb[..., 2], (x * 23 + y * 41) % 256], -1).astype(np.uint8)
    cmyk_jpeg = pil_jpeg(Image.fromarray(cmyk, "CMYK"), quality=90)
    yield "jpeg_cmyk.jpg", cmyk_jpeg
    yield "jpeg_ycck.jpg", with_adobe_transform(cmyk_jpeg, 2)
    yield "jpeg_rgb.jpg", adobe_instead_of_jfif(pil_jpeg(im, quality=90, subsampling=0), 0)
    t = tiles()
    for name, ss in (("444", 0), ("422", 1), ("420", 2)):
        yield f"jpeg_{name}_tiles.jpg", pil_jpeg(t, quality=100, subsampling=ss)
    yield "jpeg_440_tiles.jpg", with_sampling(pil_jpeg(t, quality=100, subsampling=1), 0x12)


def scans(data):
    """Offsets of the SOS markers of a JPEG without metadata, and of EOI."""
    return [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xDA] + [len(data) - 2]


def fuzz_seeds():
    rgb, _ = pattern()
    im = Image.fromarray(rgb, "RGB")
    yield "bomb_40000x40000_png", png(8, 0, [bytes(64)], width=40000, height=40000)
    yield "bomb_1000000x64_png", png(8, 0, [bytes(1000)], width=1000000, height=64)
    jpg = pil_jpeg(Image.new("L", (8, 8)))
    for i, marker, _ in segments(jpg):
        if marker == 0xC0:
            yield "bomb_65535x65535_jpeg", jpg[:i + 5] + struct.pack(">HH", 65535, 65535) + jpg[i + 9:]
    yield "budget_256x256_png", png(8, 0, [bytes(256)] * 256, width=256)
    yield "budget_257x256_png", png(8, 0, [bytes(257)] * 256, width=257)
    yield "thin_1x2000_jpeg", pil_jpeg(Image.new("RGB", (1, 2000), (200, 30, 90)))
    p, j = pil_png(Image.fromarray(np.dstack([rgb, rgb[..., 0]]), "RGBA")), pil_jpeg(im, quality=90)
    yield "truncated_png", p[:len(p) // 2]
    yield "truncated_jpeg", j[:len(j) // 2]
    prog = pil_jpeg(im, quality=90, subsampling=2, progressive=True)
    at = scans(prog)
    dc_refine = prog[at[6]:at[7]]  # libjpeg's script: scan 7 refines DC
    yield "scans_101_jpeg", prog[:at[7]] + dc_refine * 91 + prog[at[7]:]


def go_corpus(data):
    """data as a Go fuzzing corpus file of one []byte."""
    lit = "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\x{b:02x}" for b in data)
    return f'go test fuzz v1\n[]byte("{lit}")\n'.encode()


def main():
    # PIL warns that it drops a palette's transparency converting to RGB: that
    # is the behaviour being recorded.
    warnings.filterwarnings("ignore", "Palette images with Transparency")
    os.makedirs(OUT, exist_ok=True)
    print(f"PIL {PIL.__version__}, libjpeg-turbo {features.version('libjpeg_turbo')}")
    for name, data in fixtures():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        im = Image.open(io.BytesIO(data))
        stem = os.path.splitext(name)[0]
        print(f"{name:28s} {im.mode:5s} {im.size[0]}×{im.size[1]} {len(data):5d} bytes")
        if im.mode == "CMYK":
            with open(os.path.join(OUT, stem + ".cmyk"), "wb") as f:
                f.write(im.tobytes())
            im = Image.open(io.BytesIO(data))
        with open(os.path.join(OUT, stem + ".rgb"), "wb") as f:
            f.write(im.convert("RGB").tobytes())

    v = np.arange(256, dtype=np.uint8)
    ink, black = np.meshgrid(v, v)
    zero = np.zeros_like(ink)
    red = Image.fromarray(np.stack([ink, zero, zero, black], -1), "CMYK").convert("RGB").getchannel("R")
    red.save(os.path.join(OUT, "cmyk2rgb.png"), optimize=True)

    os.makedirs(CORPUS, exist_ok=True)
    for name, data in fuzz_seeds():
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(go_corpus(data))
        print(f"fuzz seed {name:24s} {len(data):6d} bytes")


if __name__ == "__main__":
    main()

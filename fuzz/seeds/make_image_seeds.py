#!/usr/bin/env python3
"""Writes the PNG and BMP seeds of fuzz/corpus/fuzz_gray_image/ (standard library only).

Tiny images (8x8 or smaller) of every PNG colour type and bit depth, interlaced and not, with
tRNS, ancillary chunks and an eXIf chunk (which read_gray hands to cv::imread), plus a few BMPs.
The JPEG seeds come from make_jpeg_seeds.cpp. Run from anywhere:
    python3 fuzz/seeds/make_image_seeds.py [OUT_DIR]
"""
import os
import struct
import sys
import zlib

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "fuzz_gray_image")

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def sample(x, y, c, depth):
    """A deterministic pattern covering the whole range of the bit depth."""
    top = (1 << depth) - 1
    return ((x * 37 + y * 101 + c * 59) * 2654435761 >> 7) % (top + 1)


def pack_row(samples, depth):
    """Packs one row of samples (ints) at `depth` bits, big-endian, as PNG stores them."""
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def raw_rows(width, height, color_type, depth, xs=None, ys=None):
    xs = list(range(width)) if xs is None else xs
    ys = list(range(height)) if ys is None else ys
    ch = CHANNELS[color_type]
    data = bytearray()
    for i, y in enumerate(ys):
        samples = [sample(x, y, c, depth) for x in xs for c in range(ch)]
        data.append(i % 5)  # filter type 0..4 (None, Sub, Up, Average, Paeth) applied below
        data += pack_row(samples, depth)
    return filter_rows(bytes(data), len(xs), ch, depth)


def filter_rows(data, width, ch, depth):
    """Applies the filter type stored in each row's first byte (so every filter is exercised)."""
    bpp = max(1, ch * depth // 8)
    stride = (width * ch * depth + 7) // 8
    out, prev = bytearray(), bytes(stride)
    for r in range(len(data) // (stride + 1)):
        ft = data[r * (stride + 1)]
        row = data[r * (stride + 1) + 1:(r + 1) * (stride + 1)]
        enc = bytearray()
        for i, v in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 0:
                pred = 0
            elif ft == 1:
                pred = a
            elif ft == 2:
                pred = b
            elif ft == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            enc.append((v - pred) & 0xFF)
        out.append(ft)
        out += enc
        prev = row
    return bytes(out)


def png(name, width, height, color_type, depth, interlace=False, extra_before=(), extra_after=(),
        palette_size=0, trns=None):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlace else 0)
    if interlace:
        data = b""
        for x0, y0, dx, dy in ADAM7:
            xs, ys = list(range(x0, width, dx)), list(range(y0, height, dy))
            if xs and ys:
                data += raw_rows(width, height, color_type, depth, xs, ys)
    else:
        data = raw_rows(width, height, color_type, depth)
    chunks = [chunk(b"IHDR", ihdr)]
    chunks += [chunk(k, v) for k, v in extra_before]
    if color_type == 3:
        n = palette_size or (1 << depth)
        chunks.append(chunk(b"PLTE", bytes((i * 53 + c * 91) % 256 for i in range(n) for c in range(3))))
    if trns is not None:
        chunks.append(chunk(b"tRNS", trns))
    z = zlib.compress(data, 9)
    half = len(z) // 2  # two IDAT chunks: the stream continues across chunk boundaries
    chunks += [chunk(b"IDAT", z[:half]), chunk(b"IDAT", z[half:])]
    chunks += [chunk(k, v) for k, v in extra_after]
    chunks.append(chunk(b"IEND", b""))
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"".join(chunks))


def bmp(name, width, height, bits):
    """Uncompressed BMP (BITMAPINFOHEADER), 8-bit with a grey palette or 24-bit."""
    row = ((width * bits + 31) // 32) * 4
    palette = b"".join(bytes((i, i, i, 0)) for i in range(256)) if bits == 8 else b""
    pixels = bytearray()
    for y in range(height):
        line = bytearray()
        for x in range(width):
            line += bytes([sample(x, y, c, 8) for c in range(bits // 8)])
        pixels += line + bytes(row - len(line))
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, 0, len(pixels), 2835, 2835,
                       256 if bits == 8 else 0, 0)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(header + info + palette + bytes(pixels))


def main():
    os.makedirs(OUT, exist_ok=True)
    for depth in (1, 2, 4, 8, 16):
        png(f"gray{depth}.png", 8, 8, 0, depth)
    png("gray1_5x3.png", 5, 3, 0, 1)  # rows that end inside a byte
    png("gray8_interlaced.png", 8, 8, 0, 8, interlace=True)
    png("gray4_interlaced_3x5.png", 3, 5, 0, 4, interlace=True)
    png("gray16_trns.png", 4, 4, 0, 16, trns=struct.pack(">H", 300))
    png("gray_alpha8.png", 8, 8, 4, 8)
    png("gray_alpha16_interlaced.png", 8, 8, 4, 16, interlace=True)
    png("rgb8.png", 8, 8, 2, 8)
    png("rgb16.png", 4, 4, 2, 16)
    png("rgb8_trns.png", 4, 4, 2, 8, trns=struct.pack(">HHH", 1, 2, 3))
    png("rgba8.png", 8, 8, 6, 8)
    png("rgba16_interlaced.png", 8, 8, 6, 16, interlace=True)
    png("palette8.png", 8, 8, 3, 8, palette_size=200, trns=bytes(range(0, 256, 16)))
    png("palette4.png", 8, 8, 3, 4)
    png("palette2_interlaced.png", 8, 8, 3, 2, interlace=True)
    png("palette1.png", 8, 8, 3, 1)
    png("ancillary.png", 8, 8, 0, 8,
        extra_before=[(b"gAMA", struct.pack(">I", 45455)), (b"sBIT", b"\x05"),
                      (b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)),
                      (b"pHYs", struct.pack(">IIB", 2835, 2835, 1)), (b"bKGD", struct.pack(">H", 7))],
        extra_after=[(b"tEXt", b"Comment\x00sodlab fuzz seed"),
                     (b"zTXt", b"Title\x00\x00" + zlib.compress(b"compressed text")),
                     (b"tIME", struct.pack(">HBBBBB", 2024, 1, 2, 3, 4, 5))])
    png("srgb_rgb8.png", 4, 4, 2, 8, extra_before=[(b"sRGB", b"\x00")])
    # eXIf (little-endian TIFF header, one IFD entry: Orientation = 6): read_gray hands it to imread.
    exif = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + struct.pack("<HHII", 0x0112, 3, 1, 6) + b"\x00" * 4
    png("exif_orientation6.png", 8, 4, 0, 8, extra_before=[(b"eXIf", exif)])
    png("exif_after_idat.png", 4, 8, 2, 8, extra_after=[(b"eXIf", exif)])
    bmp("gray8.bmp", 8, 8, 8)
    bmp("bgr24_5x3.bmp", 5, 3, 24)


if __name__ == "__main__":
    main()

"""PNG decoding and encoding as TF's png_io does them through libpng.

Decoding follows the libpng transformations TF asks for: palette and low-bit gray expanded to 8
bits, tRNS turned into alpha only when an alpha channel is wanted, a missing alpha added with
libpng's filler value ((1 << bit_depth) - 1 of the *file's* depth, so a 2-bit gray image gains
alpha 3), color reduced to gray with libpng's 15-bit integer weights, 16-bit samples cut to
their high byte for 8-bit output and 8-bit samples widened by 257 for 16-bit output. With a
file gamma (gAMA or sRGB) the color-to-gray mix goes through libpng's gamma tables: 8-bit ones,
or 16-bit ones indexed by the top 11 bits when the output is cut to 8 bits.
Encoding writes what libpng writes with TF's settings (memLevel 9, libpng's per-row filter
heuristic, zlib at the given level).
"""

import struct
import zlib

import numpy as np

from metarun.framework.summary_kernels import _chunk, _filtered_rows

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
# libpng's rgb_to_gray weights for TF's (0.299, 0.587): 15-bit fixed point rounded down, blue
# takes the rest.
_RED, _GREEN = 29900 * 32768 // 100000, 58700 * 32768 // 100000
_BLUE = 32768 - _RED - _GREEN


class PngError(Exception):
    """`header` is True when libpng would have failed before the image data (TF then reports
    that the decoder could not be initialized)."""

    def __init__(self, header):
        Exception.__init__(self)
        self.header = header


class PngTooLarge(Exception):
    """(width, height) past TF's limits: either side 2^27 or more, or 2^29 pixels or more."""


def _chunks(data):
    pos = 8
    while True:
        if pos + 8 > len(data):
            raise PngError(None)
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if length > 0x7FFFFFFF or pos + 12 + length > len(data):
            raise PngError(None)
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        ok = zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        yield kind, body, ok
        pos += 12 + length


class _Png(object):
    def __init__(self, data):
        self.width = self.height = 0
        self.palette = self.trns = self.gamma = None
        self.idat = []
        header = True
        for kind, body, ok in _chunks(data):
            if kind == b"IDAT":
                header = False  # libpng checks an IDAT's CRC only when reading the image data
            critical = not (kind[0] & 0x20)
            if not ok:
                if critical:
                    raise PngError(header)
                continue  # libpng drops an ancillary chunk whose CRC fails, with a warning
            if kind == b"IHDR":
                if len(body) != 13:
                    raise PngError(True)
                (self.width, self.height, self.depth, self.color, comp, filt,
                 self.interlace) = struct.unpack(">IIBBBBB", body)
                if (self.color not in _DEPTHS or self.depth not in _DEPTHS[self.color] or comp or filt or
                        self.interlace > 1 or not 0 < self.width < 1 << 31 or not 0 < self.height < 1 << 31):
                    raise PngError(True)
            elif kind == b"PLTE":
                if len(body) % 3 or not body:
                    raise PngError(True)
                pal = np.zeros((256, 3), np.uint8)  # libpng keeps 256 entries, unused ones black
                entries = np.frombuffer(body, np.uint8).reshape(-1, 3)[:256]
                pal[:len(entries)] = entries
                self.palette, self.palette_size = pal, len(entries)
            elif kind == b"tRNS":
                self.trns = body
            elif kind == b"gAMA" and len(body) == 4 and self.gamma != 45455:
                self.gamma = struct.unpack(">I", body)[0] or None
            elif kind == b"sRGB":
                self.gamma = 45455
            elif kind == b"IDAT":
                self.idat.append(body)
            elif kind == b"IEND":
                break
            elif critical:
                raise PngError(header)
        if not self.width:
            raise PngError(True)
        if self.color == 3 and self.palette is None:
            raise PngError(True)
        self._check_trns()

    def _check_trns(self):
        """Keeps a tRNS chunk only where libpng accepts it (it ignores the others with a warning)."""
        t, c = self.trns, self.color
        if t is None:
            return
        if c == 3:
            valid = 0 < len(t) <= self.palette_size
        else:
            valid = (c == 0 and len(t) == 2) or (c == 2 and len(t) == 6)
        if not valid:
            self.trns = None

    def samples(self):
        """The raw samples, [h, w, channels] uint8 or uint16 (palette indices for color type 3)."""
        c = _CHANNELS[self.color]
        passes = _ADAM7 if self.interlace else ((0, 0, 1, 1),)
        expected = 0
        for x0, y0, dx, dy in passes:
            w, h = (self.width - x0 + dx - 1) // dx, (self.height - y0 + dy - 1) // dy
            if w > 0 and h > 0:
                expected += h * ((w * c * self.depth + 7) // 8 + 1)
        try:  # inflating no more than the image needs: a small file cannot claim gigabytes
            raw = zlib.decompressobj().decompress(b"".join(self.idat), expected)
        except zlib.error:
            raise PngError(False) from None
        out = np.zeros((self.height, self.width, c), np.uint16 if self.depth == 16 else np.uint8)
        pos = 0
        for x0, y0, dx, dy in passes:
            w = (self.width - x0 + dx - 1) // dx
            h = (self.height - y0 + dy - 1) // dy
            if w <= 0 or h <= 0:
                continue
            rowbytes = (w * c * self.depth + 7) // 8
            size = h * (rowbytes + 1)
            if pos + size > len(raw):
                raise PngError(False)
            rows = _unfilter(np.frombuffer(raw, np.uint8, size, pos).reshape(h, rowbytes + 1),
                             max(1, c * self.depth // 8))
            pos += size
            out[y0::dy, x0::dx] = _unpack(rows, self.depth, w * c).reshape(h, w, c)
        return out


def _unfilter(rows, bpp):
    """Undoes the per-row filters. None, Sub and Up rows take whole-row numpy steps; Average and
    Paeth make a byte depend on the one decoded bpp before it, so a few such rows are decoded
    byte by byte and longer runs of them along anti-diagonals (all the run's rows at once, in
    rows + columns steps)."""
    h, n = rows.shape[0], rows.shape[1] - 1
    kinds = rows[:, 0].astype(np.int64)
    if (kinds > 4).any():
        raise PngError(False)
    cols = -(-n // bpp)
    raw = np.zeros((h, cols * bpp), np.int64)
    raw[:, :n] = rows[:, 1:]
    out = np.zeros((h + 1, (cols + 1) * bpp), np.int64)  # a zero row above, a zero pixel on the left
    y = 0
    while y < h:
        kind = kinds[y]
        if kind < 3:
            line = raw[y]
            if kind == 1:
                line = np.cumsum(line.reshape(cols, bpp), axis=0).reshape(-1)
            elif kind == 2:
                line = line + out[y, bpp:]
            out[y + 1, bpp:] = line & 255
            y += 1
            continue
        end = y
        while end < h and kinds[end] >= 3:
            end += 1
        if end - y < 16:
            for yy in range(y, end):
                out[y + 1 + (yy - y), bpp:] = _sequential(raw[yy].tolist(), out[yy, bpp:].tolist(), bpp, kinds[yy])
        else:
            _wavefront(out, raw, kinds, y, end, cols, bpp)
        y = end
    return out[1:, bpp:bpp + n].astype(np.uint8)


def _sequential(cur, prev, bpp, kind):
    line = [0] * len(cur)
    for i, v in enumerate(cur):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        if kind == 3:
            line[i] = (v + ((a + b) >> 1)) & 255
            continue
        c = prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        line[i] = (v + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
    return line


def _wavefront(out, raw, kinds, first, end, cols, bpp):
    grid = out.reshape(out.shape[0], cols + 1, bpp)
    pixels = raw.reshape(raw.shape[0], cols, bpp)
    ys_all = np.arange(first, end)
    for d in range(end - first + cols - 1):
        ys = ys_all[max(0, d - cols + 1):min(end - first - 1, d) + 1]
        xs = d - (ys - first)
        a, b, c = grid[ys + 1, xs], grid[ys, xs + 1], grid[ys, xs]
        pa, pb, pc = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        pred = np.where((kinds[ys] == 3)[:, None], (a + b) >> 1, paeth)
        grid[ys + 1, xs + 1] = (pixels[ys, xs] + pred) & 255


def _unpack(rows, depth, count):
    if depth == 16:
        return rows.view(">u2").astype(np.uint16)[:, :count]
    if depth == 8:
        return rows
    per = 8 // depth
    shifts = (8 - depth * (1 + np.arange(per))).astype(np.uint8)
    vals = (rows[:, :, None] >> shifts) & ((1 << depth) - 1)
    return vals.reshape(rows.shape[0], -1)[:, :count].astype(np.uint8)


def _reciprocal(fixed):
    return int(np.floor(1e10 / fixed + 0.5))


def _gamma_table(fixed):
    """libpng's 8-bit gamma table for an exponent in 1e-5 units (identity when insignificant)."""
    table = np.arange(256, dtype=np.int64)
    if not 95000 <= fixed <= 105000:
        v = np.arange(1, 255)
        table[1:255] = np.floor(255 * np.power(v / 255.0, fixed * 0.00001) + 0.5).astype(np.int64)
    return table


def _table16(v, fixed, shift):
    """libpng's 16-bit gamma table looked up at v: indexed by the top 16 - shift bits, each entry
    rounded to 16 bits (a plain rescale when the exponent is insignificant)."""
    top = (1 << (16 - shift)) - 1
    ig = v >> shift
    if not 95000 <= fixed <= 105000:
        return np.floor(65535.0 * np.power(ig / float(top), fixed * 0.00001) + 0.5).astype(np.int64)
    return (ig * 65535 + (1 << (15 - shift))) // top if shift else v


def _gamma_gray(r, g, b, gamma, wide, bits16):
    """(value of gray pixels, value of colored ones) of libpng's rgb_to_gray with a file gamma:
    8-bit tables for 8-bit files; for 16-bit ones, 16-bit tables indexed by the top 11 bits when
    the output is cut to 8 bits (gray pixels then go through the identity table too)."""
    to_linear, from_linear = _reciprocal(gamma), _reciprocal(_reciprocal(gamma))
    if not wide:
        lin, out = _gamma_table(to_linear), _gamma_table(from_linear)
        return r, out[(_RED * lin[r] + _GREEN * lin[g] + _BLUE * lin[b] + 16384) >> 15]
    shift = 0 if bits16 else 5
    mixed = (_RED * _table16(r, to_linear, shift) + _GREEN * _table16(g, to_linear, shift) +
             _BLUE * _table16(b, to_linear, shift) + 16384) >> 15
    overall = int(np.floor(gamma * 1e-5 * _reciprocal(gamma) + 0.5))
    if bits16:
        same = _table16(r, overall, shift)
    else:  # libpng's 16-to-8 table: the 8-bit output whose rounding interval holds the input
        out = np.arange(255) * 257
        bound = np.floor(65535.0 * np.power((out + 128) / 65535.0, overall * 0.00001) + 0.5).astype(np.int64)
        bound = (bound * 2047 + 32768) // 65535 + 1
        same = np.searchsorted(bound, r >> shift, side="right") * 257
    return same, _table16(mixed, from_linear, shift)


def decode(data, channels, bits16):
    """Decodes PNG `data` to [h, w, c] uint8 (or uint16 if `bits16`) with TF's channel rules."""
    png = _Png(data)
    if png.width >= 1 << 27 or png.height >= 1 << 27 or png.width * png.height >= 1 << 29:
        raise PngTooLarge(png.width, png.height)
    raw = png.samples()
    color, depth = png.color, png.depth
    if channels == 0:
        channels = (4 if png.trns is not None else 3) if color == 3 else _CHANNELS[color]
    want_alpha = channels % 2 == 0
    maxval = (1 << depth) - 1
    # Expand to gray / RGB samples of 8 or 16 bits plus an optional alpha plane.
    alpha = None
    if color == 3:
        idx = raw[..., 0]
        rgb = png.palette[idx].astype(np.int32)
        if want_alpha and png.trns is not None:
            table = np.full(256, 255, np.int32)
            table[:len(png.trns)] = np.frombuffer(png.trns, np.uint8)
            alpha = table[idx]
        base, top = rgb, 255
    else:
        base = raw[..., :_CHANNELS[color] - (color in (4, 6))].astype(np.int32)
        if color in (4, 6):
            alpha = raw[..., -1].astype(np.int32)
            if not want_alpha:
                alpha = None
        elif want_alpha and png.trns is not None:
            key = np.frombuffer(png.trns, ">u2").astype(np.int32)
            alpha = np.where((base == key).all(axis=-1), 0, maxval)
        top = 65535 if depth == 16 else 255
        if depth < 8:
            base = base * (255 // maxval)
            if alpha is not None:
                alpha = alpha * (255 // maxval)
    if want_alpha and alpha is None:
        alpha = np.full(base.shape[:2], maxval, np.int32)
    gray_out = channels < 3
    if gray_out and base.shape[-1] == 3:
        r, g, b = (base[..., i].astype(np.int64) for i in range(3))
        same = (r == g) & (g == b)
        # libpng rounds the 16-bit sum but truncates the 8-bit one.
        if png.gamma is not None and not 95000 <= png.gamma <= 105000:
            # A file gamma makes libpng mix the colors in linear light, through its gamma tables.
            r, mixed = _gamma_gray(r, g, b, png.gamma, top == 65535, bits16)
        else:
            # libpng rounds the 16-bit sum but truncates the 8-bit one.
            mixed = (_RED * r + _GREEN * g + _BLUE * b + (16384 if top == 65535 else 0)) >> 15
        base = np.where(same, r, mixed)[..., None]
    elif not gray_out and base.shape[-1] == 1:
        base = np.repeat(base, 3, axis=-1)
    planes = [base] + ([alpha[..., None]] if want_alpha else [])
    out = np.concatenate(planes, axis=-1)
    if top == 65535:
        if not bits16:
            out = out >> 8
    elif bits16:
        out = out * 257
    return out.astype(np.uint16 if bits16 else np.uint8)


def encode(image, compression):
    """PNG bytes of an [h, w, c] uint8 or uint16 image, as TF's png::WriteImageToBuffer."""
    h, w, c = image.shape
    bits16 = image.dtype == np.uint16
    rows = np.ascontiguousarray(image.astype(">u2") if bits16 else image).view(np.uint8).reshape(h, -1)
    bpp = c * (2 if bits16 else 1)
    raw = _filtered_rows(rows, bpp)
    size = h * (rows.shape[1] + 1)
    level = zlib.Z_DEFAULT_COMPRESSION if compression < 0 else compression
    wbits = 15
    if size <= 16384:
        half = 1 << (wbits - 1)
        while size + 262 <= half:
            half >>= 1
            wbits -= 1
    if wbits == 8:
        wbits = 9
    co = zlib.compressobj(level, zlib.DEFLATED, wbits, 9, zlib.Z_FILTERED)
    z = bytearray(co.compress(raw) + co.flush())
    # libpng writes the smallest window size that covers the data into the zlib header.
    if size <= 16384 and (z[0] & 0x0F) == 8 and (z[0] & 0xF0) <= 0x70:
        cinfo = z[0] >> 4
        half = 1 << (cinfo + 7)
        if size <= half:
            while True:
                half >>= 1
                cinfo -= 1
                if not (cinfo > 0 and size <= half):
                    break
            z[0] = (z[0] & 0x0F) | (cinfo << 4)
            flg = z[1] & 0xE0
            z[1] = flg + 0x1F - ((z[0] << 8) + flg) % 0x1F
    z = bytes(z)
    color = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    return (SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16 if bits16 else 8, color, 0, 0, 0)) +
            b"".join(_chunk(b"IDAT", z[i:i + 8192]) for i in range(0, len(z), 8192)) + _chunk(b"IEND", b""))

"""GIF and BMP decoding as TF's kernels do them.

GIF: every frame is drawn on a canvas of the logical screen's size. TF ignores the disposal
methods: a frame starts as a copy of the previous one (the first as black), its image
rectangle is clipped to the canvas, and a pixel of the frame's transparent color index keeps
the pixel below. Interlaced frames are put back in row order. A file that ends inside a frame
gives the frames completed before it, as giflib's reader leaves them to TF.

BMP: TF reads the pixel data offset, width, height and bits per pixel from fixed positions and
takes 8-bit data as gray (a palette is not applied), 24-bit as BGR and 32-bit as BGRA, rows
padded to 4 bytes and bottom-up unless the height is negative.
"""

import struct

import numpy as np


class GifError(Exception):
    pass


class GifTooLarge(Exception):
    """The output's shape when it would pass 4 GiB: a few header bytes can claim any canvas."""


def _sub_blocks(data, pos):
    out = []
    while True:
        if pos >= len(data):
            raise GifError("truncated")
        n = data[pos]
        pos += 1
        if n == 0:
            return b"".join(out), pos
        if pos + n > len(data):
            raise GifError("truncated")
        out.append(data[pos:pos + n])
        pos += n


def _lzw(data, min_size, count):
    """GIF's variable-width LZW: `count` color indices (fewer if the data ends early)."""
    if not 1 <= min_size <= 8:
        raise GifError("bad code size")
    clear, end = 1 << min_size, (1 << min_size) + 1
    base = [bytes([i]) for i in range(clear)] + [b"", b""]
    table = list(base)
    append = table.append
    size, mask, next_code = min_size + 1, (1 << (min_size + 1)) - 1, clear + 2
    parts = []
    produced = 0
    prev = None
    bits = nbits = 0
    for byte in data:
        bits |= byte << nbits
        nbits += 8
        while nbits >= size:
            code = bits & mask
            bits >>= size
            nbits -= size
            if code == clear:
                del table[clear + 2:]
                size, mask, next_code = min_size + 1, (1 << (min_size + 1)) - 1, clear + 2
                prev = None
                continue
            if code == end:
                return b"".join(parts)[:count]
            if code < next_code:
                entry = table[code]
                if prev is not None and next_code < 4096:
                    append(prev + entry[:1])
                    next_code += 1
            elif code == next_code and prev is not None:
                entry = prev + prev[:1]
                if next_code < 4096:
                    append(entry)
                    next_code += 1
            else:
                raise GifError("bad code")
            parts.append(entry)
            produced += len(entry)
            prev = entry
            if next_code > mask and size < 12:
                size += 1
                mask = (mask << 1) | 1
            if produced >= count:
                return b"".join(parts)[:count]
    return b"".join(parts)[:count]


def _deinterlace(pixels, h):
    order = list(range(0, h, 8)) + list(range(4, h, 8)) + list(range(2, h, 4)) + list(range(1, h, 2))
    out = np.empty_like(pixels)
    out[order] = pixels
    return out


def decode_gif(data, first_only):
    """[frames, h, w, 3] uint8 frames of GIF `data`; raises GifError with giflib's reason."""
    if not data.startswith(b"GIF"):
        raise GifError("failed to open gif file: Data is not in GIF format")
    if len(data) < 13:
        raise GifError("failed to open gif file: No screen descriptor detected")
    width, height, packed = struct.unpack("<HHB", data[6:11])
    pos = 13
    global_map = None
    if packed & 0x80:
        n = 2 << (packed & 7)
        if pos + 3 * n > len(data):
            raise GifError("failed to open gif file: No screen descriptor detected")
        global_map = np.frombuffer(data, np.uint8, 3 * n, pos).reshape(n, 3)
        pos += 3 * n
    frames = []
    transparent = None
    try:
        while pos < len(data):
            kind = data[pos]
            pos += 1
            if kind == 0x3B:
                break
            if kind == 0x21:
                if pos >= len(data):
                    raise GifError("truncated")
                label = data[pos]
                body, pos = _sub_blocks(data, pos + 1)
                if label == 0xF9 and len(body) >= 4:
                    transparent = body[3] if body[0] & 1 else None
                continue
            if kind != 0x2C:
                raise GifError("wrong record type")
            if pos + 9 > len(data):
                raise GifError("truncated")
            left, top, w, h, ipacked = struct.unpack("<HHHHB", data[pos:pos + 9])
            pos += 9
            cmap = global_map
            if ipacked & 0x80:
                n = 2 << (ipacked & 7)
                if pos + 3 * n > len(data):
                    raise GifError("truncated")
                cmap = np.frombuffer(data, np.uint8, 3 * n, pos).reshape(n, 3)
                pos += 3 * n
            if pos >= len(data):
                raise GifError("truncated")
            min_size = data[pos]
            body, pos = _sub_blocks(data, pos + 1)
            indices = _lzw(body, min_size, w * h)
            if len(indices) < w * h:
                raise GifError("truncated")
            frames.append((left, top, w, h, ipacked & 0x40, cmap, transparent, indices))
            transparent = None
            if first_only:
                break
    except GifError:
        if not frames:
            raise GifError("failed to slurp gif file: Failed to read from given file") from None
    if not frames:
        raise GifError("gif file does not contain any image")
    if len(frames) * height * width * 3 > 1 << 32:
        raise GifTooLarge(len(frames), height, width, 3)
    return _compose(frames, width, height)


def _compose(frames, width, height):
    out = np.zeros((len(frames), height, width, 3), np.uint8)
    for k, (left, top, w, h, interlaced, cmap, transparent, indices) in enumerate(frames):
        if k:
            out[k] = out[k - 1]
        if cmap is None:
            raise GifError("missing color map")
        idx = np.frombuffer(indices, np.uint8).reshape(h, w)
        if interlaced:
            idx = _deinterlace(idx, h)
        y1, x1 = min(top + h, height), min(left + w, width)
        if y1 <= top or x1 <= left:
            continue
        idx = idx[:y1 - top, :x1 - left]
        keep = idx == transparent if transparent is not None else np.zeros(idx.shape, bool)
        bad = (idx >= len(cmap)) & ~keep
        if bad.any():
            raise GifError("found color index %d outside of color map range %d" % (idx[bad][0], len(cmap)))
        region = out[k, top:y1, left:x1]
        colors = cmap[np.minimum(idx, len(cmap) - 1)]
        region[~keep] = colors[~keep]
        if k == 0:
            region[keep] = 0
    return out


def decode_bmp(data, channels):
    """[h, w, c] uint8 pixels of BMP `data`, or a TF error message (str)."""
    if len(data) < 32:
        return ("Incomplete bmp content, requires at least 32 bytes to find the header size, width, height, "
                "and bpp, got %d bytes" % len(data))
    header_size, = struct.unpack("<i", data[10:14])
    width, height = struct.unpack("<ii", data[18:26])
    bpp, = struct.unpack("<h", data[28:30])
    img_channels = int(bpp / 8)
    if img_channels not in (1, 3, 4):
        return "Number of channels inherent in the image must be 1, 3 or 4, was %d" % img_channels
    want = channels or img_channels
    if width <= 0:
        return "Width must be positive"
    if height == 0:
        return "Height must be nonzero"
    if header_size < 0:
        return "header size must be nonnegative"
    if width * abs(height) >= (2 ** 31 - 1) // 8:
        return "Total possible pixel bytes must be less than 2^30"
    abs_h = abs(height)
    row_size = (img_channels * width + 3) // 4 * 4
    diff = len(data) - header_size - row_size * abs_h
    if diff != 0:
        return "Input size should match (header_size + row_size * abs_height) but they differ by %d" % diff
    rows = np.frombuffer(data, np.uint8, row_size * abs_h, header_size).reshape(abs_h, row_size)
    px = rows[:, :width * img_channels].reshape(abs_h, width, img_channels)
    if height > 0:
        px = px[::-1]
    if img_channels == 1:
        rgb = np.repeat(px, 3, axis=2)
        alpha = np.full((abs_h, width, 1), 255, np.uint8)
        return px if want == 1 else np.concatenate([rgb, alpha], 2)[..., :want]
    rgb = px[..., 2::-1]
    alpha = px[..., 3:4] if img_channels == 4 else np.full((abs_h, width, 1), 255, np.uint8)
    return np.ascontiguousarray(np.concatenate([rgb, alpha], 2)[..., :want])
